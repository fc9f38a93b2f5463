"""The bad-input catalogue (docs/errors.md): each case drives the real CLI on real inputs and checks
exit status 1, the exact one-line ``Error: ...`` output, and that nothing was written or lost (the
working folder is byte-for-byte what it was: no output, no temp file, existing files untouched)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch
from ase.build import bulk
from click.testing import CliRunner

import colim.api as colim_api
from colim.cli import cli
from colim.libraries.core_library import load_core_library
from colim.libraries.encoder_info import weights_hash
from colim.model.checkpoint import FORMAT_VERSION, load_checkpoint
from colim.screening.state import state_dir
from colim.version import __version__
from tests.conftest import STRUCTURES

ROOT = Path(__file__).parents[1]
LIBRARIES = ROOT / "libraries"
SEED0 = LIBRARIES / "models" / "default" / "seed-0.pt"
SEED1 = LIBRARIES / "models" / "default" / "seed-1.pt"
DFT = STRUCTURES / "au_sch3_dft"
AU25 = DFT / "au25_opt.xyz"
LIGANDS = {"PET": "[S]CCc1ccccc1", "SCH3": "[S]C", "PPh3": "c1ccc(P(c2ccccc2)c2ccccc2)cc1", "acetate": "CC(=O)[O]"}


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``, hidden ones included."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def assert_refused(folder: Path, message: str, *args) -> None:
    """Run ``colim *args``: exit 1, exactly ``Error: message`` on one line, and ``folder`` unchanged."""
    before = snapshot(folder)
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"Error: {message}"
    assert snapshot(folder) == before


@pytest.fixture(scope="module")
def libs(tmp_path_factory) -> dict[str, Path]:
    """Small real libraries embedded by ONE shipped ensemble member (seed 0): 3 DFT cores, 4 ligands (10 sets)."""
    root = tmp_path_factory.mktemp("libs")
    smi = root / "four.smi"
    smi.write_text("".join(f"{s} {name}\n" for name, s in LIGANDS.items()))
    cores, ligands = root / "cores0.h5", root / "ligands0.h5"
    made = invoke("library", "cores", DFT / "au18_opt.xyz", DFT / "au20_opt.xyz", AU25, "--model", SEED0, "-o", cores, "--silent")
    assert made.exit_code == 0, made.output
    made = invoke("library", "ligands", smi, "--model", SEED0, "--max-kinds", "2", "-o", ligands)
    assert made.exit_code == 0, made.output
    return {"cores": cores, "ligands": ligands, "smi": smi}


def screen_args(libs: dict[str, Path], output: Path, *extra: str, model: Path = SEED0) -> list:
    return ["screen", "--core-lib", libs["cores"], "--ligand-lib", libs["ligands"], "--model", model, "-o", output, "--top-k", "3", "--silent", *extra]


def xyz_lines() -> list[str]:
    return AU25.read_text().splitlines()


# 1. invalid SMILES

def test_invalid_smiles_in_ligand_list(tmp_path):
    bad = tmp_path / "bad.smi"
    bad.write_text("[S]CCc1ccccc1 PET\nC1CC( broken\nCC(=O)[O] acetate\n")
    assert_refused(tmp_path, f"{bad}:2: invalid SMILES 'C1CC('", "library", "ligands", bad, "--model", SEED0, "-o", tmp_path / "lig.h5")


def test_invalid_smiles_in_explain(tmp_path):
    assert_refused(tmp_path, "--ligands: invalid SMILES 'C1CC('", "explain", "--model", SEED0, "--core", AU25, "--ligands", "[S]C.C1CC(",
                   "-o", tmp_path / "explained")


# 2. more than 4 ligand kinds

FIVE = "[S]C.[S]CC.[S]CCC.[S]CCCC.[S]CCCCC"
FIVE_CANONICAL = "CCCCC[S].CCCC[S].CCC[S].CC[S].C[S]"


def test_five_ligand_kinds_in_explain(tmp_path):
    assert_refused(tmp_path, f"--ligands: a ligand set holds at most 4 ligand kinds, got 5: {FIVE_CANONICAL}",
                   "explain", "--model", SEED0, "--core", AU25, "--ligands", FIVE, "-o", tmp_path / "explained")


def test_five_ligand_kinds_in_a_sets_file(tmp_path):
    smi, sets = tmp_path / "five.smi", tmp_path / "sets.txt"
    smi.write_text("".join(f"{s}\n" for s in FIVE.split(".")))
    sets.write_text("[S]C.[S]CC\n" + FIVE + "\n")
    assert_refused(tmp_path, f"{sets}:2: a ligand set holds at most 4 ligand kinds, got 5: {FIVE_CANONICAL}",
                   "library", "ligands", smi, "--sets", sets, "--model", SEED0, "-o", tmp_path / "lig.h5")
    assert_refused(tmp_path, "--max-kinds must be between 1 and 4, got 5",
                   "library", "ligands", smi, "--max-kinds", "5", "--model", SEED0, "-o", tmp_path / "lig.h5")


# 3. empty files

def test_empty_structure_file(tmp_path):
    empty = tmp_path / "empty.xyz"
    empty.touch()
    assert_refused(tmp_path, f"{empty}: empty file", "library", "cores", empty, "--model", SEED0, "-o", tmp_path / "c.h5", "--silent")
    assert_refused(tmp_path, f"{empty}: empty file", "edit", "enumerate", empty, "--ops", "remove", "-o", tmp_path / "e.h5", "--silent")


def test_empty_ligand_list(tmp_path):
    empty = tmp_path / "empty.smi"
    empty.touch()
    assert_refused(tmp_path, f"{empty}: no ligands found", "library", "ligands", empty, "--model", SEED0, "-o", tmp_path / "lig.h5")


# 4. XYZ whose first line disagrees with its atom rows

@pytest.mark.parametrize("delta", [5, -5])
def test_xyz_with_wrong_atom_count(tmp_path, delta):
    lines = xyz_lines()
    wrong = tmp_path / "au25_wrong.xyz"
    wrong.write_text("\n".join([str(int(lines[0]) + delta)] + lines[1:]) + "\n")
    message = f"{wrong}: cannot read as extxyz: frame 1 says {int(lines[0]) + delta} atoms on its first line but {lines[0]} atom lines follow"
    assert_refused(tmp_path, message, "library", "cores", wrong, "--model", SEED0, "-o", tmp_path / "c.h5", "--silent")


# 5. NaN and overlapping coordinates

def test_nan_coordinates(tmp_path):
    lines = xyz_lines()
    fields = lines[5].split()
    lines[5] = " ".join([fields[0], "nan", *fields[2:]])
    nan = tmp_path / "au25_nan.xyz"
    nan.write_text("\n".join(lines) + "\n")
    assert_refused(tmp_path, f"{nan}: coordinates contain NaN or infinity", "library", "cores", nan, "--model", SEED0, "-o", tmp_path / "c.h5", "--silent")
    assert_refused(tmp_path, f"{nan}: coordinates contain NaN or infinity", "edit", "enumerate", nan, "--ops", "remove", "-o", tmp_path / "e.h5", "--silent")


def test_overlapping_coordinates(tmp_path):
    lines = xyz_lines()
    lines[6] = lines[5]  # atom 4 placed exactly on atom 3
    overlap = tmp_path / "au25_overlap.xyz"
    overlap.write_text("\n".join(lines) + "\n")
    message = f"{overlap}: atoms 3 and 4 overlap (0.00 Å apart, minimum 0.5 Å)"
    assert_refused(tmp_path, message, "library", "cores", overlap, "--model", SEED0, "-o", tmp_path / "c.h5", "--silent")
    assert_refused(tmp_path, message, "explain", "--model", SEED0, "--core", overlap, "--ligands", "[S]C", "-o", tmp_path / "explained")


# 6. unknown element

def test_unknown_element(tmp_path):
    lines = xyz_lines()
    lines[2] = "Xx" + lines[2][2:]
    unknown = tmp_path / "au25_xx.xyz"
    unknown.write_text("\n".join(lines) + "\n")
    assert_refused(tmp_path, f"{unknown}: unknown element 'Xx'", "library", "cores", unknown, "--model", SEED0, "-o", tmp_path / "c.h5", "--silent")


# 7. a core without metal

def test_core_without_metal(tmp_path):
    lines = xyz_lines()
    shell = [line for line in lines[2:] if line.split()[0] != "Au"]
    ligands_only = tmp_path / "au25_shell.xyz"
    ligands_only.write_text("\n".join([str(len(shell)), "the ligand shell of Au25(SCH3)18 alone"] + shell) + "\n")
    message = f"{ligands_only}: a core needs at least one metal atom, got C18H54S18"
    assert_refused(tmp_path, message, "library", "cores", ligands_only, "--model", SEED0, "-o", tmp_path / "c.h5", "--silent")
    assert_refused(tmp_path, message, "edit", "enumerate", ligands_only, "--ops", "remove", "-o", tmp_path / "e.h5", "--silent")


# 8. a periodic structure

def test_periodic_structure(tmp_path):
    crystal = tmp_path / "bulk_au.extxyz"
    bulk("Au", "fcc", a=4.08, cubic=True).repeat(2).write(crystal, format="extxyz")
    message = f"{crystal}: the structure is periodic (bonds run across the cell); colim needs a finite cluster"
    assert_refused(tmp_path, message, "library", "cores", crystal, "--model", SEED0, "-o", tmp_path / "c.h5", "--silent")
    assert_refused(tmp_path, message, "edit", "enumerate", crystal, "--ops", "remove", "-o", tmp_path / "e.h5", "--silent")


# 9. corrupt and truncated HDF5 libraries

@pytest.mark.parametrize("damage", ["truncated", "no signature", "damaged heap"])
@pytest.mark.parametrize("kind", ["core", "ligand"])
def test_corrupt_or_truncated_library(tmp_path, damage, kind):
    data = bytearray((LIBRARIES / ("cores/cores.h5" if kind == "core" else "ligands/ligands.h5")).read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "no signature":
        data[:8] = bytes(8)
    else:  # h5py still opens it, but the format attribute's string lives in this heap collection
        heap = data.find(b"GCOL")
        data[heap:heap + 4] = b"XXXX"
    broken = tmp_path / f"{kind}s.h5"
    broken.write_bytes(bytes(data))
    option = "--core-lib" if kind == "core" else "--ligand-lib"
    assert_refused(tmp_path, f"{broken}: not a readable HDF5 {kind} library (truncated or corrupt file)",
                   "screen", option, broken, "-o", tmp_path / "hits.csv", "--silent")


# 10. a library embedded by another model or another encoder

def test_library_of_another_model(libs, tmp_path):
    message = (f"{libs['cores']}: core library was embedded by cgcnn v1 (weights {weights(SEED0)}), not by the core encoder of {SEED1}, "
               f"cgcnn v1 (weights {weights(SEED1)}); rebuild it with 'colim library cores ... --model {SEED1} --overwrite'")
    assert_refused(tmp_path, message, *screen_args(libs, tmp_path / "hits.csv", model=SEED1))


def test_library_of_another_encoder(tmp_path):
    gin = tmp_path / "gin.pt"
    trained = invoke("train", "--dataset", LIBRARIES / "dataset" / "shared_structures.h5", "--core-encoder", "gin", "--core-args", '{"embedding_dim": 16}',
                     "--hidden-dims", "16", "--epochs", "1", "-o", gin, "--silent")
    assert trained.exit_code == 0, trained.output
    embedded_by = [info.weights_hash[:8] for info, _ in load_core_library(LIBRARIES / "cores" / "cores.h5").embeddings]
    assert sorted(embedded_by) == sorted(weights(LIBRARIES / "models" / "default" / f"seed-{i}.pt") for i in range(3))
    shipped = ", ".join(f"cgcnn v1 (weights {w})" for w in embedded_by)
    message = (f"{LIBRARIES / 'cores' / 'cores.h5'}: core library was embedded by {shipped}, not by the core encoder of {gin}, "
               f"gin v1 (weights {weights(gin)}); rebuild it with 'colim library cores ... --model {gin} --overwrite'")
    assert_refused(tmp_path, message, "screen", "--model", gin, "-o", tmp_path / "hits.csv", "--silent")


def weights(checkpoint: Path) -> str:
    """The 8-hex weights id a library reports for a checkpoint's core encoder."""
    return weights_hash(load_checkpoint(checkpoint)[0].core_encoder)[:8]


# 11. a checkpoint from another format version

def test_checkpoint_of_another_version(libs, tmp_path):
    payload = torch.load(SEED0, weights_only=True)
    payload["format_version"] = FORMAT_VERSION + 1
    future = tmp_path / "future.pt"
    torch.save(payload, future)
    message = f"{future} has colim checkpoint format version {FORMAT_VERSION + 1}, but this colim ({__version__}) reads version {FORMAT_VERSION}"
    assert_refused(tmp_path, message, *screen_args(libs, tmp_path / "hits.csv", model=future))
    assert_refused(tmp_path, message, "explain", "--model", future, "--core", AU25, "--ligands", "[S]C", "-o", tmp_path / "explained")


# 12. Ctrl-C during a screen, then the same command resumes

def test_interrupted_screen_resumes(libs, tmp_path, monkeypatch):
    whole = tmp_path / "whole" / "hits.csv"
    whole.parent.mkdir()
    assert invoke(*screen_args(libs, whole, "--core-block", "1")).exit_code == 0
    out = tmp_path / "hits.csv"
    real_screen = colim_api._screen

    def ctrl_c_after_first_block(*args):
        report = args[6]

        def on_block(block):
            report(block)
            raise KeyboardInterrupt

        return real_screen(*args[:6], on_block, *args[7:])

    monkeypatch.setattr(colim_api, "_screen", ctrl_c_after_first_block)
    result = invoke(*screen_args(libs, out, "--core-block", "1"))
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: screen interrupted after 1 of 3 tasks; the finished tasks are saved in {state_dir(out)}: "
                                     "run the same command again to resume")
    saved = sorted(p.name for p in state_dir(out).iterdir())
    assert not out.exists() and saved[0] == "run.json" and saved[1].startswith("task_0_1_0_") and saved[1].endswith(".npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.csv.state", "whole"]
    monkeypatch.setattr(colim_api, "_screen", real_screen)
    resumed = invoke(*screen_args(libs, out, "--core-block", "1"))
    assert resumed.exit_code == 0, resumed.output
    assert not state_dir(out).exists()
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(whole))


# 13. an output that exists is refused without --overwrite

def test_existing_screen_output(libs, tmp_path):
    out = tmp_path / "hits.csv"
    out.write_text("earlier hits\n")
    assert_refused(tmp_path, f"{out} exists; pass --overwrite to replace it", *screen_args(libs, out))
    assert invoke(*screen_args(libs, out, "--overwrite")).exit_code == 0
    assert len(pd.read_csv(out)) == 3 * 3


def test_existing_library_outputs(libs, tmp_path):
    out = tmp_path / "lib.h5"
    out.write_bytes(b"earlier library")
    message = f"{out} exists; pass --overwrite to replace it"
    assert_refused(tmp_path, message, "library", "ligands", libs["smi"], "--model", SEED0, "-o", out)
    assert_refused(tmp_path, message, "library", "cores", AU25, "--model", SEED0, "-o", out, "--silent")


def test_existing_dataset_output(tmp_path):
    out = tmp_path / "dataset.h5"
    out.write_bytes(b"earlier dataset")
    assert_refused(tmp_path, f"{out} exists; pass --overwrite to replace it", "dataset", "build", AU25, "-o", out, "--silent")


def test_existing_enumeration_output(tmp_path):
    out = tmp_path / "edits.xyz"
    shutil.copy(LIBRARIES / "cores" / "au25_core.xyz", out)
    assert_refused(tmp_path, f"{out} exists; pass --overwrite to replace it", "edit", "enumerate", AU25, "--core-only", "--ops", "remove",
                   "-o", out, "--silent")


def test_existing_demo_output(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "hits.csv").write_text("earlier demo hits\n")
    assert_refused(tmp_path, f"{demo / 'hits.csv'} exists; pass --overwrite to replace it", "demo", "-o", demo, "--silent")
