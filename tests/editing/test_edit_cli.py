"""``colim edit enumerate`` and ``colim edit apply`` end to end on the shipped Au25 structure."""

from __future__ import annotations

import ase.io
from click.testing import CliRunner

from colim.cli import cli
from colim.io.structure_readers import read_structure
from colim.libraries.core_library import read_core_library

from .conftest import AU25_DFT, AU25_TOL


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_enumerate_writes_a_core_library_with_provenance_and_a_summary(tmp_path):
    out = tmp_path / "cores.h5"
    result = run("edit", "enumerate", AU25_DFT, "--core-only", "--ops", "remove,substitute:Ag,add:Au,swap",
                 "--tol", AU25_TOL, "-o", out, "--silent")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["depth", "operator", "candidates", "classes", "unique", "duplicates", "rejected"]
    rows = {line.split()[1]: line.split() for line in lines[2:6]}
    assert rows["remove"][2:6] == ["25", "3", "3", "0"] and rows["substitute:Ag"][2:6] == ["25", "3", "3", "0"]
    assert rows["add:Au"][6] == "too-close" and rows["swap"][2:] == ["0", "0", "0", "0", "0"]
    cores = read_core_library(out)
    n_add = int(rows["add:Au"][4])
    assert len(cores) == 7 + n_add and lines[-1] == f"wrote {7 + n_add} cores to {out}"
    assert cores[0].info["id"] == "au25_opt" and "depth" not in cores[0].info  # the parent comes first by default
    first = cores[1]
    assert (first.info["id"], first.info["parent"], first.info["operator"], first.info["site"], first.info["element"], first.info["depth"]) == (
        "au25_opt~remove:0", "au25_opt", "remove", "0", "Au", 1)
    assert {c.info["operator"] for c in cores[1:]} == {"remove", "substitute", "add"}
    again = run("edit", "enumerate", AU25_DFT, "--core-only", "--ops", "remove", "-o", out)
    assert again.exit_code == 1 and again.output.strip() == f"Error: {out} exists; pass --overwrite to replace it"


def test_enumerate_to_extxyz_with_depth_and_cap(tmp_path):
    out = tmp_path / "cores.xyz"
    result = run("edit", "enumerate", AU25_DFT, "--core-only", "--ops", "remove", "--depth", "2", "--max", "5",
                 "--tol", AU25_TOL, "--include-parent", "-o", out, "--silent")
    assert result.exit_code == 0, result.output
    assert "stopped at --max 5 edited cores" in result.output
    frames = ase.io.read(out, index=":")
    assert len(frames) == 6 and frames[0].info["id"] == "au25_opt" and len(frames[0]) == 25
    assert {f.info.get("depth") for f in frames[1:]} <= {1, 2} and any(f.info.get("depth") == 2 for f in frames)


def test_enumerate_errors_are_one_line(tmp_path):
    bad = run("edit", "enumerate", AU25_DFT, "--ops", "remove,explode", "-o", tmp_path / "x.h5")
    assert bad.exit_code == 1 and bad.output.startswith("Error: unknown edit operator 'explode'; choose from: add, ")
    fmt = run("edit", "enumerate", AU25_DFT, "--ops", "remove", "-o", tmp_path / "x.csv")
    assert fmt.exit_code == 1
    assert fmt.output.strip() == f"Error: cannot write edited cores to '{tmp_path / 'x.csv'}'; use one of: .h5, .hdf5, .xyz, .extxyz, .traj"


def test_apply_writes_one_edited_core(tmp_path):
    out = tmp_path / "one.xyz"
    result = run("edit", "apply", AU25_DFT, "--core-only", "--op", "substitute", "--element", "Ag", "--site", "3", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote au25_opt~substitute:3:Ag (AgAu24) to {out}"
    edited = read_structure(out)
    assert edited.get_chemical_symbols()[3] == "Ag" and len(edited) == 25
    added = run("edit", "apply", AU25_DFT, "--core-only", "--op", "add:Cu", "--site", "top:13", "-o", tmp_path / "add.xyz")
    assert added.exit_code == 0, added.output
    assert len(read_structure(tmp_path / "add.xyz")) == 26


def test_apply_refuses_missing_sites_and_insane_edits(tmp_path):
    missing = run("edit", "apply", AU25_DFT, "--core-only", "--op", "remove", "--site", "99", "-o", tmp_path / "a.xyz")
    assert missing.exit_code == 1 and missing.output.strip() == "Error: no remove site 99 on au25_opt (25 atoms)"
    clash = run("edit", "apply", AU25_DFT, "--core-only", "--op", "add:Cu", "--site", "1,2", "-o", tmp_path / "b.xyz")
    assert clash.exit_code == 1
    assert clash.output.strip() == (
        "Error: au25_opt~add:bridge:1-2:Cu fails the sanity checks (too-close: atoms 15 and 25 are 1.35 Å apart "
        "(minimum 2.14 Å)); pass --no-check to write it anyway")
    forced = run("edit", "apply", AU25_DFT, "--core-only", "--op", "add:Cu", "--site", "1,2", "--no-check", "-o", tmp_path / "b.xyz")
    assert forced.exit_code == 0 and not (tmp_path / "a.xyz").exists()
