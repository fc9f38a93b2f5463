"""The out-of-the-box path: `colim demo` and `colim screen` on the shipped libraries and model."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from colim import api
from colim.cli import cli
from colim.defaults import DEFAULT_CORE_LIBRARY, DEFAULT_LIGAND_LIBRARY, DEFAULT_MODEL, shipped
from colim.libraries.core_library import load_core_library, read_core_library
from colim.libraries.ligand_library import load_ligand_library
from colim.model.members import load_model
from colim.screening.domain import UNKNOWN_WARNING

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_demo_enumerates_screens_and_plots_the_shipped_au25_core(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "-o", str(out), "--top-k", "4", "--silent"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"wrote {out / name}" for name in ("edited_cores.h5", "hits.csv", "heatmap.png")]
    warnings = result.stderr.splitlines()
    assert warnings and all(line.startswith("Warning: ") for line in warnings)
    model = load_model()[0].model
    if model.domain_reference is None:  # a shipped model from before checkpoints carried their domain
        assert f"Warning: {UNKNOWN_WARNING}" in warnings
    else:  # the Ag- and Cu-substituted edits hold elements the clusters never showed, the MetaLig pair model's complexes did
        for element in ("Ag", "Cu"):
            assert (f"Warning: {element} (in 3 of 10 cores): seen only in mononuclear complexes, never in a cluster: "
                    "scores transfer from coordination chemistry") in warnings
        assert not any("never saw (" in line for line in warnings)
    cores = read_core_library(out / "edited_cores.h5")
    # Th-symmetric Au25: 3 removal classes (centre, icosahedral shell, staple) and 2 × 3 substitutions.
    assert [c.info["id"] for c in cores][0] == "au25_core"
    assert sorted(c.info.get("operator", "") for c in cores[1:]) == ["remove"] * 3 + ["substitute"] * 6
    assert {c.get_chemical_formula() for c in cores if c.info.get("operator") == "substitute"} == {"AgAu24", "Au24Cu"}
    hits = pd.read_csv(out / "hits.csv")
    assert len(hits) == 10 * 4
    assert set(hits.groupby("core_id")["rank"].apply(tuple)) == {(1, 2, 3, 4)}
    assert hits["probability"].between(0, 1).all() and (hits["spread"] >= 0).all()
    if model.domain_reference is not None:
        substituted = hits[hits.element.isin(["Ag", "Cu"])]
        assert set(substituted.core_seen_in) == {"complexes only"}  # in domain or not by their embedding distance
        assert set(hits[hits.core_id == "au25_core"].core_seen_in) == {"clusters"} and hits[hits.core_id == "au25_core"].core_in_domain.all()
    per_core = hits.sort_values("rank").groupby("core_id")["probability"].apply(list)
    assert all(p == sorted(p, reverse=True) for p in per_core)
    assert (out / "heatmap.png").read_bytes()[:8] == PNG_SIGNATURE


def test_demo_refuses_to_overwrite_an_earlier_run(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "hits.csv").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "-o", str(out), "--silent"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {out / 'hits.csv'} exists; pass --overwrite to replace it"
    assert (out / "hits.csv").read_text() == "keep me" and sorted(p.name for p in out.iterdir()) == ["hits.csv"]


def test_screen_without_library_arguments_uses_the_shipped_defaults(tmp_path):
    out = tmp_path / "hits.parquet"
    result = CliRunner().invoke(cli, ["screen", "-o", str(out), "--top-k", "3", "--silent"])
    assert result.exit_code == 0, result.output
    hits = pd.read_parquet(out)
    cores = load_core_library(shipped(DEFAULT_CORE_LIBRARY))
    ligands = load_ligand_library(shipped(DEFAULT_LIGAND_LIBRARY))
    assert len(cores) == 169 and len(ligands.sets) == 2926  # 129 dataset cores + 40 generated; 76 ligands in sets of 1-2 kinds
    assert sorted(hits["core_id"].unique()) == sorted(cores.ids)
    assert len(hits) == 3 * len(cores)
    assert set(hits["ligand_set"]) <= {ls.key for ls in ligands.sets}


def test_a_demo_that_fails_half_way_leaves_no_files(tmp_path, monkeypatch):
    def broken_screen(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(api, "screen", broken_screen)  # the demo screens through colim.api
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "-o", str(out), "--silent"])
    assert isinstance(result.exception, RuntimeError)
    assert list(out.iterdir()) == []


def test_screen_with_the_shipped_ensemble_reports_rank_stability(tmp_path):
    out = tmp_path / "hits.csv"
    result = CliRunner().invoke(cli, ["screen", "--ensemble", str(shipped(DEFAULT_MODEL)), "-o", str(out), "--top-k", "5"])
    assert result.exit_code == 0, result.output
    assert "3 model(s)" in result.output and "ensemble agreement: overlap@5 mean" in result.output
    hits = pd.read_csv(out)
    assert {"spread", "member_ranks", "rank_range", "stable"} <= set(hits.columns)
    assert (hits["rank_range"] >= 0).all() and hits["stable"].isin([True, False]).all()
