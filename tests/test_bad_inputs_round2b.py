"""The bad-input catalogue, round 2 (issue 20, integrity and new-user cases): interrupts, readers against
overwriting writers, tampered ligand libraries, outputs that are not regular files, report escaping, and
what a new user tripped on. Each case drives the real CLI or API on real inputs (docs/errors.md)."""

from __future__ import annotations

import os
import stat
import warnings

import numpy as np
import pandas as pd
import pytest
from ase.cluster import Icosahedron

import colim
import colim.api as colim_api
from colim.io.edited_cores import write_cores
from colim.model.checkpoint import save_checkpoint
from colim.training.trainer import build_model
from tests.test_bad_inputs import AU25, DFT, LIBRARIES, SEED0, assert_refused, invoke, libs, screen_args, snapshot  # noqa: F401


@pytest.fixture(scope="module")
def ligchem_model(tmp_path_factory):
    """An untrained cgcnn + ligchem checkpoint: the shipped default embeds ligands with ``fingerprint``, which
    makes no conformer, so the RDKit conformer cases (Ctrl-C inside one, an eta2-alkene with no room for a
    metal) are reached through the encoder that makes them."""
    model, _ = build_model("cgcnn", "ligchem", {"embedding_dim": 8})
    path = tmp_path_factory.mktemp("ligchem") / "ligchem.pt"
    save_checkpoint(model, path, {})
    return path


# --- outputs are regular files ----------------------------------------------------------------------

def test_output_that_is_a_fifo_or_a_device_is_refused(tmp_path):
    smi = tmp_path / "two.smi"
    smi.write_text("[S]C SCH3\n[S]CC SEt\n")
    fifo = tmp_path / "pipe.h5"
    os.mkfifo(fifo)
    message = "is not a regular file (a device, fifo or socket); colim writes its outputs to regular files: choose another output"
    assert_refused(tmp_path, f"{fifo} {message}", "library", "ligands", smi, "--model", SEED0, "-o", fifo, "--overwrite")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    if os.geteuid() == 0:  # a /dev/null-like character device (1, 3), made in tmp: only root may mknod
        null = tmp_path / "null.h5"
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        assert_refused(tmp_path, f"{null} {message}", "library", "ligands", smi, "--model", SEED0, "-o", null, "--overwrite")
        assert stat.S_ISCHR(os.stat(null).st_mode)
    with pytest.raises(colim.ColimError, match="is not a regular file"):
        colim.build_ligand_library(smi, fifo, model=SEED0, overwrite=True)


# --- names carry the ratio ------------------------------------------------------------------------

def test_ligand_names_carry_the_ratio(tmp_path):
    smi = tmp_path / "two.smi"
    smi.write_text("[S]C SCH3\nCC(C)(C)P(C(C)(C)C)C(C)(C)C PtBu3\n")
    lib = tmp_path / "lig.h5"
    made = invoke("library", "ligands", smi, "--model", SEED0, "--kinds", "2", "--ratios", "1:1", "--ratios", "2:1", "-o", lib)
    assert made.exit_code == 0, made.output
    cores = tmp_path / "cores.h5"
    assert invoke("library", "cores", AU25, "--model", SEED0, "-o", cores, "--silent").exit_code == 0
    hits = colim.screen(cores, lib, SEED0, top_k=3).hits
    assert len(hits) == 3 and hits["ligand_names"].is_unique, hits["ligand_names"].tolist()
    named = dict(zip(hits["ligand_set"], hits["ligand_names"]))
    for key, name in named.items():
        ratio = key.split(" ")[1].split(":")
        parts = [float(r) for r in ratio]
        expected = ":".join(f"{p / min(parts):.3g}" for p in parts)
        assert name.endswith(" " + expected), (key, name)
    assert {n.split(" ")[1] for n in named.values()} == {"1:1", "2:1", "1:2"}


# --- the API's domain warnings reach a notebook ----------------------------------------------------

def test_api_emits_domain_warnings_as_colim_warnings(tmp_path, libs):
    pd13 = Icosahedron("Pd", 2)
    pd13.info["id"] = "Pd13"
    edits = tmp_path / "pd13.h5"
    write_cores(edits, [pd13])
    cores = tmp_path / "pd13_cores.h5"
    colim.build_core_library(edits, cores, model=SEED0)
    with pytest.warns(colim.ColimWarning) as caught:
        result = colim.screen(cores, libs["ligands"], SEED0, top_k=2)
    lines = result.summary["warnings"]
    assert lines and [str(w.message) for w in caught if w.category is colim.ColimWarning] == lines
    assert all(f"warning: {line}" in repr(result) for line in lines)
    with pytest.warns(colim.ColimWarning, match="farther from every training core"):
        colim.explain(pd13, "[S]C", model=SEED0, steps=4)
    with warnings.catch_warnings():  # the CLI prints them as Warning: lines, never as Python warnings
        warnings.simplefilter("error", colim.ColimWarning)
        done = invoke("screen", "--core-lib", cores, "--ligand-lib", libs["ligands"], "--model", SEED0, "-o", tmp_path / "h.csv", "--top-k", "2", "--silent")
    assert done.exit_code == 0, done.output
    assert f"Warning: {lines[0]}" in done.output


# --- ligand libraries are checked against themselves -------------------------------------------------

def _tamper_swap_smiles(f):
    ds = f["ligands/smiles"]
    values = list(ds[()])
    values[0], values[1] = values[1], values[0]
    ds[...] = values


def _tamper_permute_members(f):
    ds = f["sets/members"]
    ds[...] = ds[()][::-1]


def _tamper_flip_bit(f):
    group = next(iter(f["embeddings"].values()))
    ds = group["set"] if "set" in group else group["ligand"]
    row = ds[0]
    raw = row.view(np.uint32).copy()
    raw[3] ^= 1 << 7
    ds[0] = raw.view(np.float32)


def _tamper_chunk_counts(f):
    ds = f["set_rule/chunk_counts"]
    counts = ds[()]
    counts[-1] -= 1
    ds[...] = counts


@pytest.fixture(scope="module")
def combinatorial(tmp_path_factory, libs):
    out = tmp_path_factory.mktemp("comb") / "comb.h5"
    made = invoke("library", "ligands", libs["smi"], "--model", SEED0, "--kinds", "1-2", "-o", out)
    assert made.exit_code == 0, made.output
    return out


CHANGED = ("the ligand library was changed after it was written (its data no longer match the checksum recorded then, "
           "so what is read from it would be wrong); rebuild it with 'colim library ligands ... --overwrite'")
#: a cut chunk count no longer fits the rule: the shape checks on opening (run before the checksum) name it
CHUNKS = "corrupt ligand library: the set-rule chunk counts do not match its ligands and rule"


@pytest.mark.parametrize("tamper,kind,reason", [(_tamper_swap_smiles, "ligands", CHANGED), (_tamper_permute_members, "ligands", CHANGED),
                                                (_tamper_flip_bit, "ligands", CHANGED), (_tamper_chunk_counts, "combinatorial", CHUNKS),
                                                (_tamper_flip_bit, "combinatorial", CHANGED)])
def test_tampered_ligand_library_is_refused(tmp_path, libs, combinatorial, tamper, kind, reason):
    import shutil

    import h5py

    lib = tmp_path / "tampered.h5"
    shutil.copy(libs["ligands"] if kind == "ligands" else combinatorial, lib)
    with h5py.File(lib, "r+") as f:
        tamper(f)
    args = ["screen", "--core-lib", libs["cores"], "--ligand-lib", lib, "--model", SEED0, "-o", tmp_path / "hits.csv", "--top-k", "3", "--silent"]
    assert_refused(tmp_path, f"{lib}: {reason}", *args)
    with pytest.raises(colim.ColimError) as raised:
        colim.screen(libs["cores"], lib, SEED0, top_k=3)
    assert str(raised.value) == f"{lib}: {reason}"


def test_data_hash_is_the_same_block_by_block(libs, monkeypatch):
    import h5py

    from colim.libraries import h5file

    with h5py.File(libs["ligands"], "r") as f:
        whole = h5file.data_hash(f)
        monkeypatch.setattr(h5file, "HASH_BLOCK_BYTES", 64)  # a few rows per block
        assert h5file.data_hash(f) == whole == f.attrs["data_sha256"]


def test_ligand_library_without_a_checksum_is_refused(tmp_path, libs):
    import shutil

    import h5py

    lib = tmp_path / "old.h5"
    shutil.copy(libs["ligands"], lib)
    with h5py.File(lib, "r+") as f:
        del f.attrs["data_sha256"]
    assert_refused(tmp_path, f"{lib}: this ligand library has no data checksum (written by an older colim), so it cannot be checked; "
                             "rebuild it with 'colim library ligands ... --overwrite'",
                   "screen", "--core-lib", libs["cores"], "--ligand-lib", lib, "--model", SEED0, "-o", tmp_path / "h.csv", "--silent")


# --- a reader holds its file: no writer replaces a library a screen is reading ------------------------

READER_SCRIPT = """
import sys, time, colim
cores, ligands, model, out, flag = sys.argv[1:6]
def started(total, done):
    open(flag, "w").write("reading")
    time.sleep(4)  # the test tries to rebuild the core library now
colim.screen(cores, ligands, model, out, top_k=3, on_start=started)
"""


def test_core_library_rebuilt_while_a_screen_reads_it_is_refused(tmp_path, libs):
    import shutil
    import subprocess
    import sys
    import time

    from colim.io.locks import reading

    cores = tmp_path / "libA.h5"
    shutil.copy(libs["cores"], cores)
    rebuild = ["library", "cores", DFT / "au18_opt.xyz", "--model", SEED0, "-o", cores, "--overwrite", "--silent"]
    before = snapshot(tmp_path)
    with reading(cores):  # what a screen holds while it reads
        refused = invoke(*rebuild)
        assert refused.exit_code == 1, refused.output
        line = refused.output.strip()
        assert line.startswith(f"Error: {cores} is being read by another colim process (pid {os.getpid()}: ")
        assert line.endswith("replacing it now would mix the old file's data with the new one's: wait for it to finish or choose another output")
    assert snapshot(tmp_path) == before
    # a real screen in another process, and a rebuild tried while it reads
    script, flag, out = tmp_path / "reader.py", tmp_path / "started", tmp_path / "hits.csv"
    script.write_text(READER_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(LIBRARIES.parent)}
    proc = subprocess.Popen([sys.executable, script, cores, libs["ligands"], SEED0, out, flag], env=env, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not flag.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert flag.exists(), proc.stderr.read().decode()
    refused = invoke(*rebuild)
    assert refused.exit_code == 1 and "is being read by another colim process" in refused.output, refused.output
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    alone = colim.screen(libs["cores"], libs["ligands"], SEED0, top_k=3).hits
    pd.testing.assert_frame_equal(colim.read_hits(out)[alone.columns], alone, check_dtype=False)
    assert not (tmp_path / ".libA.h5.lock").exists()
    assert invoke(*rebuild).exit_code == 0  # once the screen is done the rebuild goes ahead


def test_screen_refuses_a_library_being_written(tmp_path, libs):
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom colim.io.locks import output_lock\n"
                               f"with output_lock({str(libs['cores'])!r}):\n    print('held', flush=True)\n    time.sleep(30)"],
                              env={**os.environ, "PYTHONPATH": str(LIBRARIES.parent)}, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        done = invoke(*screen_args(libs, tmp_path / "hits.csv"))
        assert done.exit_code == 1
        assert done.output.strip().startswith(f"Error: {libs['cores']} is being written by another colim process (pid {holder.pid}: ")
        assert not (tmp_path / "hits.csv").exists()
    finally:
        holder.kill()
        holder.wait()


# --- Ctrl-C while RDKit makes a conformer stops the build ---------------------------------------------

#: flexible ligands whose conformers take RDKit a while: a Ctrl-C lands inside its embedding code.
SLOW_LIGANDS = ["CCCCCCCCCCCCCCCCCCCCCCCCC(CCCCCCCC)CCCCCCCCCC(CCCCCC)CCCCCCCCC[S]", "CCCCCCCCCCCCCCCCCCCCCCC(CCCCCCCCC)CCCCCCCCC(CCCCCCC)CCCCCCP(CCCC)CCCC",
                "CCCCCCCCCCCCCCCCCCCCCCCCCCCCC(CCCCCCCCCCCC)CCCCCCCCCCCCCCC[S]", "CCCCCCCCCCCCCCCCCCCC(CCCCCCCCCCCCCC)CCCCCCCCC(CCCCCCCCC)CCCCC[Se]"]

#: the real CLI, with a flag file written each time RDKit starts a conformer (so the test knows when to press Ctrl-C).
INTERRUPT_SCRIPT = """
import sys
import colim.plugins.builtin.ligand_chemistry as chemistry
flag = sys.argv[1]
embed = chemistry._embed
def marked(*args):
    open(flag, "w").close()
    return embed(*args)
chemistry._embed = marked
from colim.cli import cli
cli(sys.argv[2:], prog_name="colim")
"""


def test_ctrl_c_during_rdkit_conformers_stops_the_ligand_build(tmp_path, ligchem_model):
    import signal
    import subprocess
    import sys
    import time

    smi = tmp_path / "slow.smi"
    smi.write_text("".join(f"{s} L{i}\n" for i, s in enumerate(SLOW_LIGANDS)))
    script = tmp_path / "build.py"
    script.write_text(INTERRUPT_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(LIBRARIES.parent)}
    for attempt, delay in enumerate((0.0, 0.1, 0.3)):  # each lands inside RDKit's embedding of the first ligand
        out, flag = tmp_path / f"lib{attempt}.h5", tmp_path / f"flag{attempt}"
        proc = subprocess.Popen([sys.executable, script, flag, "library", "ligands", smi, "--model", ligchem_model, "--max-kinds", "1", "-o", out],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 180
        while not flag.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=180)[0].decode()
        assert proc.returncode == 1, output  # never 0: the build stopped
        assert "Traceback" not in output, output
        assert not out.exists() and not list(tmp_path.glob(f".lib{attempt}.h5*")), output


# --- out-of-domain numbers are marked where they are printed ------------------------------------------

def test_explain_marks_an_out_of_domain_probability(tmp_path):
    from ase.io import write

    core = tmp_path / "pd13.xyz"
    write(core, Icosahedron("Pd", 2))
    done = invoke("explain", "--model", SEED0, "--core", core, "--ligands", "[S]C", "-o", tmp_path / "why", "--steps", "4")
    assert done.exit_code == 0, done.output
    first = done.output.splitlines()[0]
    assert " + C[S]: P(compatible) = " in first and first.split(" = ", 1)[1].split(" ")[1:3] == ["(out", "of"], first
    assert "core_in_domain False" in done.output


def test_out_of_domain_reads_every_false_flag():
    from colim.cli.warning_lines import out_of_domain

    assert out_of_domain(np.False_, True) and out_of_domain(True, False) and out_of_domain("False")
    assert not out_of_domain(True, np.True_) and not out_of_domain(None, pd.NA)


# --- colim demo twice in a row ------------------------------------------------------------------------

def test_demo_twice_in_a_row_replaces_its_own_files(tmp_path):
    out = tmp_path / "colim-demo"
    args = ["demo", "-o", out, "--ops", "remove", "--top-k", "2", "--silent"]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    assert "note: replaced" not in first.output
    second = invoke(*args)
    assert second.exit_code == 0, second.output
    assert f"note: replaced the files of the previous demo run in {out} (edited_cores.h5, hits.csv, heatmap.png)" in second.output
    # a file the user changed is not the demo's any more: refused as any existing output
    with open(out / "hits.csv", "a") as handle:
        handle.write("# my notes\n")
    assert_refused(tmp_path, f"{out / 'hits.csv'} exists; pass --overwrite to replace it", *args)
    assert "colim-demo/" in (LIBRARIES.parent / ".gitignore").read_text().splitlines()


# --- embedding an existing library: one documented command, and a hint that names every member ---------

def test_readme_embeds_a_library_in_place_and_the_hint_names_every_member(tmp_path, libs):
    ensemble = LIBRARIES / "models" / "default"
    edits = tmp_path / "cores.h5"
    assert invoke("edit", "enumerate", AU25, "--core-only", "--ops", "remove", "-o", edits, "--silent").exit_code == 0
    members = sorted(str(p) for p in ensemble.glob("seed-*.pt"))
    flags = " ".join(f"--model {m}" for m in members)
    hint = f"colim library cores {edits} --append {flags} -o {edits}"
    refused = invoke("screen", "--core-lib", edits, "--ligand-lib", libs["ligands"], "--model", ensemble, "-o", tmp_path / "h.csv", "--silent")
    assert refused.exit_code == 1
    assert refused.output.strip() == f"Error: {edits}: the core library has no embeddings; embed it with '{hint}'"
    # the README's line names the ensemble folder; the hint names each member: both embed every member
    readme = next(line for line in (LIBRARIES.parent / "README.md").read_text().splitlines() if line.startswith("colim library cores"))
    command = readme.split("#")[0].split()[1:]
    assert command == ["library", "cores", "cores.h5", "--append", "--model", "model/", "-o", "cores.h5"]
    readme_copy = tmp_path / "readme.h5"
    import shutil

    shutil.copy(edits, readme_copy)
    made = invoke(*[str(readme_copy) if a == "cores.h5" else str(ensemble) if a == "model/" else a for a in command], "--silent")
    assert made.exit_code == 0, made.output
    followed = invoke(*hint.split()[1:], "--silent")
    assert followed.exit_code == 0, followed.output
    for lib in (edits, readme_copy):  # both now screen with the whole ensemble (its ligand library: every member too)
        done = invoke("screen", "--core-lib", lib, "--model", ensemble, "-o", tmp_path / f"{lib.stem}.csv", "--top-k", "2", "--silent")
        assert done.exit_code == 0, done.output
    # the old README line (--overwrite onto its own input) names the command that works
    refused = invoke("library", "cores", edits, "--model", ensemble, "-o", edits, "--overwrite", "--silent")
    assert refused.exit_code == 1 and refused.output.strip().endswith(
        f"to embed a core library in place, keeping its cores and other embeddings, run 'colim library cores {edits} --append --model MODEL -o {edits}'")


# --- the parent given beside its enumerated edits -----------------------------------------------------

def test_parent_given_twice_is_kept_once_with_a_note(tmp_path):
    parent = LIBRARIES / "cores" / "au25_core.xyz"
    edits = tmp_path / "edits.h5"
    assert invoke("edit", "enumerate", parent, "--ops", "remove", "-o", edits, "--silent").exit_code == 0
    enumerated = len(colim.read_cores(edits))
    out = tmp_path / "cores.h5"
    made = invoke("library", "cores", parent, edits, "--model", SEED0, "-o", out, "--silent")
    assert made.exit_code == 0, made.output
    assert made.stdout.strip() == f"{out}: {enumerated} cores, embedded by 1 model(s)"
    assert made.stderr.strip() == f"note: 1 core(s) given twice with the same atoms ('au25_core'): each kept once in {out}"
    assert [c.info["id"] for c in colim.read_cores(out)] == [c.info["id"] for c in colim.read_cores(edits)]
    # the same id on other atoms is still an error
    moved = colim.read_cores(parent)[0]
    moved.positions[0] += 0.3
    with pytest.raises(colim.ColimError, match="duplicate core id 'au25_core' in core library .*: two different cores carry it; rename one"):
        colim.build_core_library([parent, moved], tmp_path / "bad.h5", model=())


# --- the plugin tutorial: its snippets import what they use, and its train line trains ------------------

def test_plugin_tutorial_snippets_import_registrar_and_its_train_line_works(tmp_path):
    import re
    import shlex

    text = (LIBRARIES.parent / "docs" / "plugins.md").read_text()
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        needed = set(re.findall(r"Registrar\[(\w+)\]", block)) | ({"Registrar"} if "Registrar[" in block else set()) | (
            {"hookimpl"} if "@hookimpl" in block else set())
        for name in needed:
            assert re.search(rf"^from colim[\w.]* import .*\b{name}\b", block, re.M), f"uses {name} without importing it:\n{block}"
    train = next(line for line in text.splitlines() if line.startswith("colim train") and "--core-encoder coulomb-eigen" in line)
    args = shlex.split(train.split("#")[0])[1:]
    args = [str(LIBRARIES / "dataset" / "shared_structures.h5") if a == "ds.h5" else str(tmp_path / "model") if a == "model/" else a for a in args]
    done = invoke(*args, "--epochs", "1", "--silent") if "--silent" in invoke("train", "--help").output else invoke(*args, "--epochs", "1")
    assert done.exit_code == 0, done.output
    member = colim.load_model(tmp_path / "model")[0]
    assert member.model.core_encoder.name == "coulomb-eigen"


# --- ligands colim cannot use: all named at once, or left out with --skip-invalid ----------------------

VTMS = "C=C[Si](C)(C)C"  # vinyltrimethylsilane, an eta2-alkene: no conformer leaves room for a metal at its anchor


def _bad_ligand_csv(folder):
    csv_file = folder / "mixed.csv"
    csv_file.write_text(f"smiles,name\n[S]C,SCH3\n{VTMS},VTMS\n[S]CC,SEt\nC1CC(,broken\nCC(=O)[O],acetate\n")
    return csv_file


def test_every_bad_ligand_is_named_with_its_line(tmp_path, ligchem_model):
    csv_file = _bad_ligand_csv(tmp_path)
    assert_refused(tmp_path, f"{csv_file}:3: no conformer of '{VTMS}' leaves room for a metal at its anchor (steric features); "
                             "1 more ligand(s) colim cannot use, on line(s) 5 (--skip-invalid builds the library without them)",
                   "library", "ligands", csv_file, "--model", ligchem_model, "-o", tmp_path / "lig.h5")


def test_skip_invalid_builds_the_rest_and_lists_the_rejects(tmp_path, ligchem_model):
    import csv

    csv_file = _bad_ligand_csv(tmp_path)
    out = tmp_path / "lig.h5"
    made = invoke("library", "ligands", csv_file, "--model", ligchem_model, "-o", out, "--skip-invalid")
    assert made.exit_code == 0, made.output
    rejects = tmp_path / "lig.h5.rejects.csv"
    assert made.stderr.strip() == f"note: 2 ligand(s) of {csv_file} left out (line(s) 3, 5): listed with their reasons in {rejects}"
    rows = list(csv.DictReader(rejects.open()))
    assert [(r["line"], r["smiles"]) for r in rows] == [("3", VTMS), ("5", "C1CC(")]
    assert rows[1]["reason"] == "invalid SMILES 'C1CC('" and "leaves room for a metal" in rows[0]["reason"]
    from colim.libraries.ligand_library import load_ligand_library

    assert [lig.name for lig in load_ligand_library(out).ligands] == ["SCH3", "SEt", "acetate"]
    counts = colim.build_ligand_library(["[S]C", VTMS, "[S]CC"], tmp_path / "api.h5", model=ligchem_model, skip_invalid=True)
    assert [(r.line, r.smiles) for r in counts["rejects"]] == [(2, VTMS)] and counts["ligands"] == 2
    with pytest.raises(colim.ColimError, match=r"^ligands:2: no conformer of .* \(--skip-invalid builds the library without them\)$"):
        colim.build_ligand_library(["[S]C", VTMS, "[S]CC"], tmp_path / "api2.h5", model=ligchem_model)


# --- a whole cluster given to library cores ---------------------------------------------------------

def test_whole_cluster_gives_its_perceived_core_with_a_note(tmp_path):
    from tests.conftest import STRUCTURES

    cluster = STRUCTURES / "nanomodeler_au_sr" / "au25_pet18.gro"
    out = tmp_path / "cores.h5"
    made = invoke("library", "cores", cluster, "--model", SEED0, "-o", out, "--silent")
    assert made.exit_code == 0, made.output
    assert made.stderr.strip() == ("note: au25_pet18: a whole cluster with organic ligands (Au25C144H162S18): its core Au25 is used, "
                                   "perceived as 'colim dataset build' does (give a core file to keep other atoms)")
    (core,) = colim.read_cores(out)
    assert core.get_chemical_formula() == "Au25" and core.info["id"] == "au25_pet18"
    # the same core as the dataset builder's, atom for atom
    from colim.dataset.perception import perceive

    expected = perceive(colim.read_cores(cluster)[0]).core
    assert np.allclose(core.positions, expected.positions) and list(core.numbers) == list(expected.numbers)
    # a core file (metals only, or a carbide C without H) is taken as it is
    bare = invoke("library", "cores", LIBRARIES / "cores" / "au25_core.xyz", "--model", SEED0, "-o", tmp_path / "bare.h5", "--silent")
    assert bare.exit_code == 0 and "note:" not in bare.output


# --- a screen too small for a local Dask cluster says so ----------------------------------------------

def test_tiny_screen_with_workers_says_a_cluster_does_not_pay(tmp_path, libs):
    done = invoke(*screen_args(libs, tmp_path / "two.csv", "--workers", "2"))
    assert done.exit_code == 0, done.output
    assert ("note: this screen is 1 task(s) (30 pairs) for 2 Dask workers: too small for a local cluster to pay (starting the workers "
            "takes longer than scoring it); it runs faster without --workers") in done.stderr
    one = invoke(*screen_args(libs, tmp_path / "one.csv"))
    assert "too small for a local cluster" not in one.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "two.csv"), pd.read_csv(tmp_path / "one.csv"))


def test_core_library_with_a_flipped_bit_in_its_embeddings_is_refused(tmp_path, libs):
    import shutil

    import h5py

    lib = tmp_path / "flipped.h5"
    shutil.copy(libs["cores"], lib)
    with h5py.File(lib, "r+") as f:
        _tamper_flip_bit_core(f)
    assert_refused(tmp_path, f"{lib}: the core library was changed after it was written (its data no longer match the checksum recorded then, "
                             "so what is read from it would be wrong); rebuild it with 'colim library cores ... --overwrite'",
                   "screen", "--core-lib", lib, "--ligand-lib", libs["ligands"], "--model", SEED0, "-o", tmp_path / "h.csv", "--silent")


def _tamper_flip_bit_core(f):
    group = next(iter(f["embeddings"].values()))
    ds = group[list(group.keys())[0]]
    raw = ds[0].view(np.uint32).copy()
    raw[5] ^= 1 << 3
    ds[0] = raw.view(np.float32)
