"""``colim pretrain-data generate`` and ``info`` from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from colim.cli import cli
from colim.pretrain_data import load_pretraining_set

SUBSET = Path(__file__).parents[1] / "data" / "pretrain" / "ml_au_dft_subset.extxyz.gz"


def test_generate_writes_a_readable_set_and_info_summarises_it(tmp_path):
    out = tmp_path / "clusters.extxyz.gz"
    args = ["pretrain-data", "generate", "-o", str(out), "--n", "3", "--elements", "Cu,Pt", "--sizes", "5-9",
            "--seed", "2", "--workers", "1", "--relax-steps", "5", "--silent"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output == ""
    frames = load_pretraining_set(out)
    assert len(frames) == 3 and all(5 <= len(a) <= 9 and "Cu" in a.get_chemical_symbols() for a in frames)
    info = CliRunner().invoke(cli, ["pretrain-data", "info", str(out)])
    assert info.exit_code == 0
    assert info.output.splitlines()[2] == "e_form reference: emt-isolated-atoms (3)"
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1
    assert again.output.strip() == f"Error: {out} exists; pass --overwrite to replace it"


def test_info_on_the_real_subset():
    result = CliRunner().invoke(cli, ["pretrain-data", "info", str(SUBSET)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"{SUBSET}: 1498 frames, 10-35 atoms (14 sizes)"
    assert lines[1] == "elements (frames containing): Au 1498"
    assert lines[2] == "e_form reference: ml-au-vasp-pbe-lsq (1498)"


def test_bad_backend_and_element_are_one_line_errors(tmp_path):
    out = str(tmp_path / "x.extxyz")
    result = CliRunner().invoke(cli, ["pretrain-data", "generate", "-o", out, "--backend", "gfn2"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unknown backend 'gfn2'; choose from: emt, xtb"
    result = CliRunner().invoke(cli, ["pretrain-data", "generate", "-o", out, "--elements", "Ag,Zn"])
    assert result.output.strip() == "Error: unknown element 'Zn'; choose from: Ag, Cu, Au, Pd, Pt, Ni, Al (ASE EMT elements)"
