"""The bad-input catalogue, continued (issue 14): tracebacks, silent wrong results and frictions an attack
and a new user found. Each case runs the real CLI on real inputs and checks the exact one-line error (or
the correct result), and that a refused command changed nothing (docs/errors.md)."""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

import colim.api as colim_api
import colim.io.output_files as output_files
from colim import keys
from colim.editing import enumerate as enumerate_module
from colim.libraries.core_library import load_core_library
from colim.screening.state import state_dir
from tests.conftest import STRUCTURES
from tests.test_bad_inputs import AU25, DFT, LIBRARIES, SEED0, SEED1, assert_refused, invoke, libs, screen_args, snapshot  # noqa: F401

CIFS = STRUCTURES / "au_thiolate_cifs"
NM = STRUCTURES / "nanomodeler_au_sr"


# --- tracebacks that became one line --------------------------------------------------------------

def test_ligand_list_not_in_utf8(tmp_path):
    latin = tmp_path / "latin1.smi"
    latin.write_bytes("[S]C SCH3\n[S]CC thiolate-éthyl\n".encode("latin-1"))
    assert_refused(tmp_path, f"{latin}:2: not UTF-8 text (byte 0xe9); save the ligand list as UTF-8",
                   "library", "ligands", latin, "--model", SEED0, "-o", tmp_path / "lig.h5")
    binary = tmp_path / "model.csv"
    shutil.copy(SEED0, binary)
    assert_refused(tmp_path, f"{binary}: a binary file, not a ligand list (expected UTF-8 text)",
                   "library", "ligands", binary, "--model", SEED0, "-o", tmp_path / "lig.h5")


def test_csv_with_bom_is_read_and_semicolons_are_named(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfsmiles,name\n[S]C,SCH3\n[S]CC,SEt\n")
    made = invoke("library", "ligands", bom, "--model", SEED0, "--max-kinds", "1", "-o", tmp_path / "bom.h5")
    assert made.exit_code == 0, made.output
    assert "2 ligands (2 new), 2 ligand sets" in made.output
    semi = tmp_path / "semi.csv"
    semi.write_text("smiles;name\n[S]C;SCH3\n")
    assert_refused(tmp_path, f"{semi}: a ligand CSV needs a 'smiles' column (its header is separated by semicolons: save it with commas)",
                   "library", "ligands", semi, "--model", SEED0, "-o", tmp_path / "semi.h5")


@pytest.fixture
def tmpfs(tmp_path):
    """A 2 MB tmpfs (root only); skipped where mounting is not permitted."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_read_only_output_folder(libs, tmpfs):
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    cases = {
        "cores.h5": ["library", "cores", AU25, "--model", SEED0, "--silent"],
        "ligands.h5": ["library", "ligands", libs["smi"], "--model", SEED0],
        "hits.csv": screen_args(libs, tmpfs / "hits.csv")[:-5] + ["--silent"],
        "edits.h5": ["edit", "enumerate", AU25, "--core-only", "--ops", "remove", "--silent"],
    }
    for name, args in cases.items():
        out = tmpfs / name
        assert_refused(tmpfs, f"cannot write {out}: {tmpfs} is read-only or not writable by you", *args, "-o", out)
    assert_refused(tmpfs, f"cannot write {tmpfs / 'explained' / 'attribution.xyz'}: {tmpfs} is read-only or not writable by you",
                   "explain", "--model", SEED0, "--core", AU25, "--ligands", "[S]C", "-o", tmpfs / "explained")


def test_full_disk_keeps_the_old_library(libs, tmpfs):
    lib = tmpfs / "ligands.h5"
    shutil.copy(libs["ligands"], lib)
    free = shutil.disk_usage(tmpfs).free
    (tmpfs / "filler").write_bytes(bytes(max(free - 4096, 0)))
    assert_refused(tmpfs, f"cannot write {lib}: no space left on device in {tmpfs}; nothing was written; the old file is kept",
                   "library", "ligands", libs["smi"], "--model", SEED0, "--max-kinds", "4", "-o", lib, "--overwrite")


def test_full_disk_simulated(libs, tmp_path, monkeypatch):
    """The same without root: the final rename reports ENOSPC (as a full disk does on a late flush)."""
    out = tmp_path / "hits.csv"
    out.write_text("earlier hits\n")

    real_replace = os.replace

    def no_space(src, dst):
        if Path(dst) == out:
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(output_files.os, "replace", no_space)
    result = invoke(*screen_args(libs, out, "--overwrite"))
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: cannot write {out}: no space left on device in {tmp_path}; nothing was written; the old file is kept; "
                                     f"the scored blocks are kept in {state_dir(out)}: make room and run the same command again to finish")
    assert out.read_text() == "earlier hits\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.csv", "hits.csv.state"]  # no temp file left
    monkeypatch.setattr(output_files.os, "replace", real_replace)
    assert invoke(*screen_args(libs, out, "--overwrite")).exit_code == 0
    assert len(pd.read_csv(out)) == 3 * 3 and not state_dir(out).exists()


def test_stale_temp_files_of_a_killed_build_are_removed(libs, tmp_path):
    lib = tmp_path / "ligands.h5"
    stale = tmp_path / ".ligands.h5.k1ll3d.h5.part"
    stale.write_bytes(bytes(1024))
    other = tmp_path / ".notes.txt.part"  # not colim's naming for this output: left alone
    other.write_text("mine")
    made = invoke("library", "ligands", libs["smi"], "--model", SEED0, "-o", lib)
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.txt.part", "ligands.h5"]


def test_truncated_screen_block_is_scored_again(libs, tmp_path, monkeypatch):
    whole = tmp_path / "whole.csv"
    assert invoke(*screen_args(libs, whole, "--core-block", "1")).exit_code == 0
    out = tmp_path / "hits.csv"
    real_screen = colim_api._screen

    def ctrl_c_after_two_blocks(*args):
        report, seen = args[6], []

        def on_block(block):
            report(block)
            seen.append(block)
            if len(seen) == 2:
                raise KeyboardInterrupt

        return real_screen(*args[:6], on_block, *args[7:])

    monkeypatch.setattr(colim_api, "_screen", ctrl_c_after_two_blocks)
    assert invoke(*screen_args(libs, out, "--core-block", "1")).exit_code == 1
    monkeypatch.setattr(colim_api, "_screen", real_screen)
    block = next(state_dir(out).glob("task_1_2_*.npz"))  # the second task: core 1, every set
    block.write_bytes(block.read_bytes()[:100])  # kill -9 while the disk was writing it
    (state_dir(out) / (block.name.replace("task_1_2_", "task_2_3_") + ".part.npz")).write_bytes(b"PK\x03\x04")  # a temp task file of the killed run
    resumed = invoke(*screen_args(libs, out, "--core-block", "1"))
    assert resumed.exit_code == 0, resumed.output
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(whole))


def test_ctrl_c_after_the_hits_were_written_says_they_are_complete(libs, tmp_path, monkeypatch):
    out = tmp_path / "hits.csv"
    real_screen = colim_api._screen

    def ctrl_c_at_the_end(*args):
        result = real_screen(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(colim_api, "_screen", ctrl_c_at_the_end)
    result = invoke(*screen_args(libs, out))
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: screen interrupted after it finished: {out} is complete"
    assert len(pd.read_csv(out)) == 3 * 3


# --- options: one line naming the option ------------------------------------------------------

@pytest.mark.parametrize("option, value, message", [
    ("--top-k", "0", "--top-k must be a whole number ≥ 1, got 0"),
    ("--top-k", "-3", "--top-k must be a whole number ≥ 1, got -3"),
    ("--core-block", "0", "--core-block must be a whole number ≥ 1, got 0"),
    ("--block-size", "-1", "--block-size must be a whole number ≥ 1, got -1"),
    ("--memory-mb", "nan", "--memory-mb must be a finite number > 0, got nan"),
    ("--memory-mb", "inf", "--memory-mb must be a finite number > 0, got inf"),
])
def test_screen_option_values(libs, tmp_path, option, value, message):
    assert_refused(tmp_path, message, *screen_args(libs, tmp_path / "hits.csv", option, value))


@pytest.mark.parametrize("value", ["nan", "0", "-0.1"])
def test_enumerate_tolerance(tmp_path, value):
    assert_refused(tmp_path, f"--tol must be a finite number > 0, got {float(value):g}".replace("-0.1", "-0.1"),
                   "edit", "enumerate", AU25, "--core-only", "--ops", "remove", "--tol", value, "-o", tmp_path / "e.h5", "--silent")


def test_folder_where_a_file_is_expected(tmp_path):
    assert_refused(tmp_path, f"{tmp_path}: is a folder; LIGAND_FILE needs a file", "library", "ligands", tmp_path, "-o", tmp_path / "l.h5")
    assert_refused(tmp_path, f"{tmp_path}: is a folder; --core-lib needs a file", "screen", "--core-lib", tmp_path, "-o", tmp_path / "h.csv")


def test_raw_pickle_as_model_is_one_line(tmp_path):
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps({"state_dict": {"w": [1.0, 2.0]}}))
    assert_refused(tmp_path, f"cannot read checkpoint {raw}: not a torch checkpoint file, or corrupt or truncated",
                   "explain", "--model", raw, "--core", AU25, "--ligands", "[S]C", "-o", tmp_path / "explained")


# --- silent wrong results that are now refused or right ---------------------------------------

@pytest.mark.parametrize("ratios", ["1e400:1", "inf:1", "1e308:1e308", "nan:1"])
def test_non_finite_ratios(libs, tmp_path, ratios):
    assert_refused(tmp_path, f"--ligands: ligand ratios must be finite numbers, got '{ratios}'",
                   "explain", "--model", SEED0, "--core", AU25, "--ligands", f"[S]C.[S]CC {ratios}", "-o", tmp_path / "explained")
    sets = tmp_path / "sets.txt"
    sets.write_text(f"[S]C.[S]CC {ratios}\n")
    assert_refused(tmp_path, f"{sets}:1: ligand ratios must be finite numbers, got '{ratios}'",
                   "library", "ligands", libs["smi"], "--sets", sets, "--model", SEED0, "-o", tmp_path / "lig.h5")


def test_checkpoint_with_nan_weights(libs, tmp_path):
    payload = torch.load(SEED0, weights_only=True)
    name = next(k for k in payload["state_dict"] if k.startswith("head."))
    payload["state_dict"][name] = payload["state_dict"][name].clone().fill_(float("nan"))
    nan = tmp_path / "diverged.pt"
    torch.save(payload, nan)
    assert_refused(tmp_path, f"{nan}: weights '{name}' contain NaN or infinity (a diverged training run?); retrain or use another checkpoint",
                   *screen_args(libs, tmp_path / "hits.csv", model=nan))


def test_library_with_nan_embeddings(libs, tmp_path):
    cores = tmp_path / "cores.h5"
    shutil.copy(libs["cores"], cores)
    with h5py.File(cores, "r+") as f:
        group = next(iter(f[keys.LIB_EMBEDDINGS].values()))
        emb = group[keys.CORE_EMBEDDINGS]
        emb[0, 0] = np.nan
    info = load_info(libs["cores"])
    assert_refused(tmp_path, f"{cores}: the core embeddings of {info} contain NaN or infinity; rebuild the library with 'colim library cores ... --overwrite'",
                   *screen_args({**libs, "cores": cores}, tmp_path / "hits.csv"))


def load_info(path: Path) -> str:
    return load_core_library(path).embeddings[0][0].describe()


def test_library_whose_atoms_were_changed_after_embedding(libs, tmp_path):
    cores = tmp_path / "cores.h5"
    shutil.copy(libs["cores"], cores)
    with h5py.File(cores, "r+") as f:
        f[keys.CORES][keys.CORE_POSITIONS][0, 0] += 0.5
        first = f[keys.CORES][keys.CORE_IDS][0].decode()
    assert_refused(tmp_path, f"{cores}: the atoms stored for core {first} no longer match its content hash (the file was changed after it was written, "
                   "so its embeddings describe other atoms); rebuild it with 'colim library cores ... --overwrite'",
                   *screen_args({**libs, "cores": cores}, tmp_path / "hits.csv"))


def disordered_cif(tmp_path: Path) -> Path:
    """25_18.cif (Au25(SR)18 core, every site full) with disorder added: Au2 70 % Au / 30 % Ag on one site, Au3 split
    over two positions 0.4 Å apart (60/40), and an S site of occupancy 0."""
    lines = (CIFS / "25_18.cif").read_text().splitlines()
    out = []
    for line in lines:
        fields = line.split()
        if len(fields) == 8 and fields[:1] == ["Au2"]:  # the atom_site loop (bond loops name atoms too)
            out.append(line.replace(" 1.00", " 0.70"))
            out.append(" ".join(["Ag2", "Ag", *fields[2:7], "0.30"]))
            continue
        if len(fields) == 8 and fields[:1] == ["Au3"]:
            out.append(line.replace(" 1.00", " 0.60"))
            out.append(" ".join(["Au3B", "Au", fields[2], f"{float(fields[3]) + 0.02:.5f}", *fields[4:7], "0.40"]))
            out.append(" ".join(["S99", "S", "0.10000", "0.10000", "0.10000", "0.00000", "Uiso", "0.00"]))
            continue
        out.append(line)
    cif = tmp_path / "au25_disordered.cif"
    cif.write_text("\n".join(out) + "\n")
    return cif


def test_cif_disorder_is_resolved_with_a_note(tmp_path):
    cif = disordered_cif(tmp_path)
    result = invoke("inspect", cif)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (f"note: {cif}: partial occupancies resolved (1 site(s) of occupancy 0 dropped; "
                                     "2 alternative partial site(s) dropped for a more occupied one at the same place)")
    assert result.stdout.strip() == f"{cif}: Au25S18 (43 atoms, 25 metal)"
    assert invoke("inspect", CIFS / "25_18.cif").stdout.strip() == f"{CIFS / '25_18.cif'}: Au25S18 (43 atoms, 25 metal)"


def test_gro_metal_names_are_read_as_gromacs_does(tmp_path):
    upper = tmp_path / "au25_upper.gro"
    upper.write_text((NM / "au25_pet18.gro").read_text().replace("     Au ", "     AU "))
    assert "     AU " in upper.read_text()
    result = invoke("inspect", upper)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{upper}: Au25C144H162S18 (349 atoms, 25 metal)"


def test_inspect_writes_metal_first_formulas(tmp_path):
    result = invoke("inspect", AU25, NM / "au25_pet18.gro")
    assert result.stdout.splitlines() == [f"{AU25}: Au25C18H54S18 (115 atoms, 25 metal)", f"{NM / 'au25_pet18.gro'}: Au25C144H162S18 (349 atoms, 25 metal)"]


def test_core_library_without_model_is_embedded_by_the_default_and_suggestions_work(libs, tmp_path):
    made = invoke("library", "cores", AU25, "-o", tmp_path / "default.h5", "--silent")
    assert made.exit_code == 0, made.output
    assert made.stdout.strip() == f"{tmp_path / 'default.h5'}: 1 cores, embedded by 3 model(s)"
    edits = tmp_path / "edits.h5"
    assert invoke("edit", "enumerate", AU25, "--core-only", "--ops", "remove", "-o", edits, "--silent").exit_code == 0
    suggestion = f"colim library cores {edits} --append --model {SEED0} -o {edits}"
    assert_refused(tmp_path, f"{edits}: the core library has no embeddings; embed it with '{suggestion}'",
                   *screen_args({**libs, "cores": edits}, tmp_path / "hits.csv"))
    followed = invoke(*suggestion.split()[1:], "--silent")
    assert followed.exit_code == 0, followed.output
    screened = invoke(*screen_args({**libs, "cores": edits}, tmp_path / "hits.csv"))
    assert screened.exit_code == 0, screened.output


@pytest.mark.parametrize("smiles, message", [
    ("[Au]SC", "'[Au]SC' holds metal atoms (Au); give the ligand without the core metal, with a radical at its anchor: 'C[S]'"),
    ("[Cu+]", "'[Cu+]' is a metal (Cu), not a ligand; the core holds the metal atoms"),
    ("C[N+](C)(C)C", "'C[N+](C)(C)C' is charged (+1 net, on N); colim's ligands are neutral, written as bound to the cluster with a radical "
                     "at the anchor (e.g. [S]C for methanethiolate)"),
    ("C" * 500, "'" + "C" * 40 + "...' has 500 heavy atoms; colim takes ligands of at most 150 (a polymer or a whole cluster is not a ligand)"),
])
def test_ligands_colim_refuses(tmp_path, smiles, message):
    smi = tmp_path / "odd.smi"
    smi.write_text(f"[S]CC SEt\n{smiles} odd\n")
    assert_refused(tmp_path, f"{smi}:2: {message}", "library", "ligands", smi, "--model", SEED0, "-o", tmp_path / "lig.h5")


def test_thiols_and_anions_are_normalised_with_a_note(tmp_path):
    smi = tmp_path / "free.smi"
    smi.write_text("CCS ethanethiol\nCC(=O)[O-] acetate\n[S]C SCH3\n")
    made = invoke("library", "ligands", smi, "--model", SEED0, "--max-kinds", "1", "-o", tmp_path / "lig.h5")
    assert made.exit_code == 0, made.output
    assert made.stderr.splitlines() == [
        "note: ligand 'CCS' read as 'CC[S]' (colim writes a thiol as the bound thiolate radical, as in [S]CC)",
        "note: ligand 'CC(=O)[O-]' read as 'CC([O])=O' (colim writes an anionic ligand as the bound radical)",
    ]
    from colim.libraries.ligand_library import load_ligand_library

    assert [lig.smiles for lig in load_ligand_library(tmp_path / "lig.h5").ligands] == ["CC[S]", "CC([O])=O", "C[S]"]


def test_enumerate_max_caps_the_work(tmp_path, monkeypatch):
    """--max 3 on the 144-atom Au core stops after a handful of edits instead of applying every site."""
    big = NM / "au144SR60.pdb"
    applied = []
    real = enumerate_module.iter_site_classes

    def counted(core, operator, *args, **kwargs):
        for cls in real(core, operator, *args, **kwargs):
            applied.append(len(cls.members))
            yield cls

    monkeypatch.setattr(enumerate_module, "iter_site_classes", counted)
    result = invoke("edit", "enumerate", big, "--core-only", "--ops", "remove", "--max", "3", "-o", tmp_path / "e.h5", "--silent")
    assert result.exit_code == 0, result.output
    assert "stopped at --max 3 edited cores" in result.output
    assert len(applied) == 3 and sum(applied) < 144


# --- frictions ----------------------------------------------------------------------------------

def test_no_progress_fragments_off_a_terminal(libs, tmp_path):
    result = invoke("library", "cores", AU25, DFT / "au18_opt.xyz", "--model", SEED0, "-o", tmp_path / "c.h5")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{tmp_path / 'c.h5'}: 2 cores, embedded by 1 model(s)"
    assert all(line.startswith("note: ") for line in result.stderr.splitlines())  # whole clusters: their cores are used (issue 20)
    hits = invoke(*screen_args(libs, tmp_path / "hits.csv")[:-1])  # without --silent
    assert "%|" not in hits.output and "pairs" not in hits.stderr


def test_screen_old_option_names_still_work_with_a_note(libs, tmp_path):
    out = tmp_path / "hits.csv"
    result = invoke("screen", "--core-lib", libs["cores"], "--ligand-lib", libs["ligands"], "--ensemble", SEED0, "-o", out, "--top-k", "2",
                    "--depth", "4", "--silent")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert notes == ["note: screen --depth is now --stability-depth", "note: screen --ensemble is now --model (which takes ensembles too)"]


def test_hits_families_line_up_with_names_and_members_have_columns(tmp_path):
    smi = tmp_path / "two.smi"
    smi.write_text("[S]CCc1ccccc1 PET\nc1ccc(P(c2ccccc2)c2ccccc2)cc1 PPh3\n")
    cores, ligands, out = tmp_path / "c.h5", tmp_path / "l.h5", tmp_path / "hits.csv"
    assert invoke("library", "cores", AU25, "--model", SEED0, "--model", SEED1, "-o", cores, "--silent").exit_code == 0
    assert invoke("library", "ligands", smi, "--model", SEED0, "--model", SEED1, "-o", ligands).exit_code == 0
    result = invoke("screen", "--core-lib", cores, "--ligand-lib", ligands, "--model", SEED0, "--model", SEED1, "-o", out, "--top-k", "3", "--silent")
    assert result.exit_code == 0, result.output
    hits = pd.read_csv(out)
    both = hits[hits.ligand_names.str.contains(r"\.")].iloc[0]
    family = {"PET": "thiolate", "PPh3": "phosphine"}
    assert both.families.split(".") == [family[n] for n in both.ligand_names.split(".")]
    np.testing.assert_allclose(hits.probability, (hits.probability_0 + hits.probability_1) / 2, rtol=1e-5)
    summary = json.loads((tmp_path / "hits.csv.summary.json").read_text())
    assert summary["members"] == 2
