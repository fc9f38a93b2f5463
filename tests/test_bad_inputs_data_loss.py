"""The bad-input catalogue, data-loss cases (issue 14): a refused command leaves the old data byte for byte.

1. ``library ligands --append`` with another model than the library's would drop its embeddings;
2. two writers of one output (``--append`` twice, two screens) would lose one's work: an OS lock makes a second append
   wait its turn (appends commute; a wait that runs out is refused) and refuses a second screen or overwrite at once;
3. an output that is also an input (with ``--overwrite``) would destroy the input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from colim.io.locks import lock_path
from tests.test_bad_inputs import AU25, DFT, SEED0, SEED1, assert_refused, invoke, libs, screen_args  # noqa: F401 - libs is a fixture

ROOT = Path(__file__).parents[1]


def test_ligand_append_with_another_model_keeps_the_old_embeddings(libs, tmp_path):
    lib = tmp_path / "ligands.h5"
    shutil.copy(libs["ligands"], lib)
    more = tmp_path / "more.smi"
    more.write_text("[S]CCCC SBu\n")
    before = lib.read_bytes()
    assert_refused(tmp_path, f"{lib}: cannot append without the model of embeddings {_embedded_by(lib)}; pass every --model the library was built with",
                   "library", "ligands", more, "--append", "--model", SEED1, "-o", lib)
    assert lib.read_bytes() == before
    both = invoke("library", "ligands", more, "--append", "--model", SEED0, "--model", SEED1, "-o", lib)
    assert both.exit_code == 0, both.output
    assert "5 ligands (1 new)" in both.output


def _embedded_by(lib: Path) -> str:
    from colim.libraries.ligand_library import load_ligand_library

    return load_ligand_library(lib).embeddings[0][0].describe()


HOLDER = textwrap.dedent("""
    import sys
    sys.argv = ["python", "library", "cores", "--append", "-o", sys.argv[1]]
    from colim.io.locks import output_lock
    with output_lock(sys.argv[-1]):
        print("locked", flush=True)
        sys.stdin.read()
""")


@pytest.fixture
def held_lock():
    """Hold the lock of an output from another process (a running 'colim library cores --append'), as a real second writer meets it."""
    procs = []

    def hold(output: Path) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(output)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield hold
    for proc in procs:
        proc.communicate("")
        proc.wait(timeout=30)


def test_second_append_waits_for_the_first_and_says_so_when_the_wait_runs_out(libs, tmp_path, held_lock, monkeypatch):
    lib = tmp_path / "cores.h5"
    shutil.copy(libs["cores"], lib)
    holder = held_lock(lib)
    before = lib.read_bytes()
    monkeypatch.setenv("COLIM_LOCK_WAIT", "1")
    assert_refused(tmp_path, f"{lib} is still being written by another colim process (pid {holder.pid}: colim library cores --append -o {lib}) "
                   "after 1 s of waiting; wait for it to finish or choose another output",
                   "library", "cores", DFT / "au28_opt.xyz", "--append", "--model", SEED0, "-o", lib, "--silent")
    assert lib.read_bytes() == before


def test_an_overwrite_while_another_process_appends_is_refused_at_once(libs, tmp_path, held_lock):
    lib = tmp_path / "cores.h5"
    shutil.copy(libs["cores"], lib)
    holder = held_lock(lib)
    assert_refused(tmp_path, f"{lib} is being written by another colim process (pid {holder.pid}: colim library cores --append -o {lib}); "
                   "wait for it to finish or choose another output",
                   "library", "cores", DFT / "au28_opt.xyz", "--overwrite", "--model", SEED0, "-o", lib, "--silent")


def test_second_screen_to_one_output_is_refused(libs, tmp_path, held_lock):
    out = tmp_path / "hits.csv"
    holder = held_lock(out)
    assert_refused(tmp_path, f"{out} is being written by another colim process (pid {holder.pid}: colim library cores --append -o {out}); "
                   "wait for it to finish or choose another output", *screen_args(libs, out))


def test_concurrent_appends_both_land(libs, tmp_path):
    """Two real appends started together: the second waits its turn; both cores land."""
    lib = tmp_path / "cores.h5"
    shutil.copy(libs["cores"], lib)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-c", "from colim.cli import cli; cli()"]
    runs = [subprocess.Popen([*cmd, "library", "cores", DFT / name, "--append", "--model", SEED0, "-o", lib, "--silent"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for name in ("au28_opt.xyz", "au36_opt.xyz")]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in runs]
    from colim.libraries.core_library import read_core_library

    assert [r[0] for r in results] == [0, 0], results
    assert len(read_core_library(lib)) == 3 + 2
    assert not lock_path(lib).exists()


def test_screen_onto_its_core_library_is_refused(libs, tmp_path):
    cores = tmp_path / "cores.h5"
    shutil.copy(libs["cores"], cores)
    args = screen_args({**libs, "cores": cores}, cores, "--overwrite")
    assert_refused(tmp_path, f"{cores} is also an input of this command ({cores}); writing it would destroy the input: choose another output", *args)


def test_enumerate_onto_its_input_is_refused(tmp_path):
    core = tmp_path / "au25.xyz"
    shutil.copy(AU25, core)
    assert_refused(tmp_path, f"{core} is also an input of this command ({core}); writing it would destroy the input: choose another output",
                   "edit", "enumerate", core, "--core-only", "--ops", "remove", "-o", core, "--overwrite", "--silent")


def test_ligand_library_onto_its_ligand_list_is_refused(libs, tmp_path):
    smi = tmp_path / "four.smi"
    shutil.copy(libs["smi"], smi)
    link = tmp_path / "link.smi"
    link.symlink_to(smi)
    message = f"{link} is also an input of this command ({smi}); writing it would destroy the input: choose another output"
    assert_refused(tmp_path, message, "library", "ligands", smi, "--model", SEED0, "-o", link, "--overwrite")
