"""Whole screens: hit table contents, resume after an interrupt, refusals with one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from colim.cli import cli
from colim.errors import LibraryError, OutputExistsError
from colim.io.hit_tables import read_hits
from colim.libraries.ligand_library import load_ligand_library
from colim.screening.screen import ScreenInterrupted, ScreenOptions, screen
from colim.screening.state import state_dir
from colim.model.members import ModelMember
from tests.screening.conftest import make_model


def _models(setup, n=2):
    return [ModelMember(str(p), m, {}) for p, m in zip(setup["paths"][:n], setup["models"][:n])]


def test_hits_hold_topk_per_core_with_provenance_and_spread(screen_setup, tmp_path):
    out = tmp_path / "hits.csv"
    result = screen(screen_setup["core_lib"], screen_setup["ligand_lib"], _models(screen_setup), out, ScreenOptions(top_k=4))
    hits = read_hits(out)
    assert len(hits) == 5 * 4 and list(hits["rank"][:4]) == [1, 2, 3, 4]
    assert hits.groupby("core_id")["probability"].apply(lambda p: p.is_monotonic_decreasing).all()
    edited = hits[hits.core_id == "au20_opt"].iloc[0]
    assert (edited.parent, edited.operator, str(edited.site), edited.depth) == ("au20_parent", "remove", "3", 1)
    assert (hits.spread > 0).all() and set(hits.columns) >= {"member_ranks", "rank_range", "stable", "core_domain"}
    assert 0.0 <= result.summary["overlap_at_k_mean"] <= 1.0
    lib_sets = {str(s) for s in load_ligand_library(screen_setup["ligand_lib"]).sets}
    assert set(hits.ligand_set) <= lib_sets
    assert not state_dir(out).exists()


def test_resumed_screen_equals_uninterrupted(screen_setup, tmp_path):
    options = ScreenOptions(top_k=3, core_block=2)
    whole = tmp_path / "whole.parquet"
    screen(screen_setup["core_lib"], screen_setup["ligand_lib"], _models(screen_setup), whole, options)
    out = tmp_path / "resumed.parquet"
    seen = []

    def interrupt_after_two(block):
        seen.append(block.start)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(ScreenInterrupted) as err:
        screen(screen_setup["core_lib"], screen_setup["ligand_lib"], _models(screen_setup), out, options, on_block=interrupt_after_two)
    assert str(err.value) == f"screen interrupted after 2 of 3 tasks; the finished tasks are saved in {state_dir(out)}: run the same command again to resume"
    assert not out.exists()
    resumed_blocks = []
    result = screen(screen_setup["core_lib"], screen_setup["ligand_lib"], _models(screen_setup), out, options, on_block=lambda b: resumed_blocks.append(b.start))
    assert resumed_blocks == [4] and result.summary["resumed_from_core"] == 4
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(whole))
    assert not state_dir(out).exists()


def test_library_from_another_model_is_refused(screen_setup, tmp_path):
    stranger = make_model(7)
    with pytest.raises(LibraryError) as err:
        screen(screen_setup["core_lib"], screen_setup["ligand_lib"], [ModelMember("other.pt", stranger, {})], tmp_path / "h.csv")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{screen_setup['core_lib']}: core library was embedded by cgcnn v1 (weights ")
    assert message.endswith("not by the core encoder of other.pt, cgcnn v1 (weights " + message.rsplit("(weights ", 1)[1])
    assert "rebuild it with 'colim library cores ... --model other.pt --overwrite'" in message


def test_existing_output_is_refused_without_overwrite(screen_setup, tmp_path):
    out = tmp_path / "hits.h5"
    out.write_text("old")
    with pytest.raises(OutputExistsError, match=f"^{out} exists; pass --overwrite to replace it$"):
        screen(screen_setup["core_lib"], screen_setup["ligand_lib"], _models(screen_setup, 1), out)
    screen(screen_setup["core_lib"], screen_setup["ligand_lib"], _models(screen_setup, 1), out, ScreenOptions(top_k=2, overwrite=True))
    assert len(read_hits(out)) == 10


def test_cli_truncated_library_is_one_error_line(screen_setup, tmp_path):
    truncated = tmp_path / "cores.h5"
    truncated.write_bytes(screen_setup["core_lib"].read_bytes()[:2000])
    result = CliRunner().invoke(cli, ["screen", "--core-lib", str(truncated), "--ligand-lib", str(screen_setup["ligand_lib"]),
                                      "--model", str(screen_setup["paths"][0]), "-o", str(tmp_path / "h.csv"), "--silent"])
    assert result.exit_code == 1
    assert result.output == f"Error: {truncated}: not a readable HDF5 core library (truncated or corrupt file)\n"


def test_cli_screen_writes_hits(screen_setup, tmp_path):
    out = tmp_path / "hits.csv"
    args = ["screen", "--core-lib", str(screen_setup["core_lib"]), "--ligand-lib", str(screen_setup["ligand_lib"]),
            "--model", str(screen_setup["paths"][0]), "--model", str(screen_setup["paths"][1]), "-o", str(out), "--top-k", "2", "--silent"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 10
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and again.output == f"Error: {out} exists; pass --overwrite to replace it\n"
