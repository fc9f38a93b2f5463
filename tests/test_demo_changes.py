"""The demo says, per edit of the shipped Au25 core, whether its top-k differs from the parent's: how many of
its top-k sets are new, which, and the largest probability change on the parent's top sets; the API's
DemoResult carries the same table, and the demo prints how much the cores decided."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from colim import api
from colim.cli import cli
from colim.demo import CHANGE_COLUMNS


def expected_changes(hits: pd.DataFrame, parent: str) -> dict[str, tuple[int, set[str], set[str]]]:
    """Per edit, from the hit table alone: (sets changed, names in, names out)."""
    tops = {c: list(g.sort_values("rank")["ligand_set"]) for c, g in hits.groupby("core_id")}
    names = dict(zip(hits["ligand_set"], hits["ligand_names"]))
    out = {}
    for core, top in tops.items():
        if core != parent:
            new, gone = set(top) - set(tops[parent]), set(tops[parent]) - set(top)
            out[core] = (len(new), {names[s] for s in new}, {names[s] for s in gone})
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return api.run_demo(tmp_path_factory.mktemp("demo") / "out", top_k=5, progress=False)


def test_demo_result_carries_each_edits_top_k_change(demo):
    changes, hits = demo.topk_changes, demo.hits
    parent = demo.parent.info["id"]
    assert list(changes.columns) == list(CHANGE_COLUMNS)
    assert sorted(changes["core_id"]) == sorted(set(hits["core_id"]) - {parent}) and len(changes) == 9
    expected = expected_changes(hits, parent)
    for row in changes.itertuples():
        n, new, gone = expected[row.core_id]
        assert (row.changed, row.top_k) == (n, 5)
        assert set(filter(None, row.new_sets.split("; "))) == new and set(filter(None, row.dropped_sets.split("; "))) == gone
    assert demo.changed_edits == sum(n > 0 for n, _, _ in expected.values())


def test_largest_shift_bounds_every_probability_change_the_hits_show(demo):
    hits, parent = demo.hits, demo.parent.info["id"]
    p = hits.pivot(index="core_id", columns="ligand_set", values="probability")
    parent_sets = list(hits[hits.core_id == parent]["ligand_set"])
    for row in demo.topk_changes.itertuples():
        shared = [s for s in parent_sets if not np.isnan(p.loc[row.core_id, s])]
        shifts = (p.loc[row.core_id, shared] - p.loc[parent, shared]).to_numpy()
        assert np.abs(shifts).max() <= abs(row.largest_shift) + 1e-9
        if row.changed == 0:  # every parent set is in the edit's hits: the largest change is one of them
            assert row.largest_shift == pytest.approx(shifts[np.abs(shifts).argmax()], abs=1e-9)


def test_cli_demo_prints_per_edit_whether_its_top_k_changed(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "-o", str(out), "--top-k", "5"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    hits = api.read_hits(out / "hits.csv")
    expected = expected_changes(hits, "au25_core")
    assert any(line.startswith("  au25_core: ") and line.endswith("  [parent]") for line in lines)
    for core, (n, new, gone) in expected.items():
        (line,) = [line for line in lines if line.startswith(f"  {core}: ")]
        if n:
            assert f"[top 5: {n} of 5 sets changed vs the parent: " in line
            assert all(name in line for name in new | gone)
        else:
            assert "[top 5: same sets as the parent; largest P change " in line
    changed = sum(n > 0 for n, _, _ in expected.values())
    assert any(line.startswith(f"{changed} of 9 edits change the parent's top 5 (the largest probability change") for line in lines)
    assert any(line.startswith("core effect (hit probability minus the same set's mean on the Cu/Ag/Au reference panel): ") for line in lines)
    assert {"core_effect", "panel_probability", "core_seen_in"} <= set(hits.columns)
