"""SIGINT and SIGKILL in the middle of a `--workers 2` screen and of `library cores --append`, then the same
command again (issue 20): no half-written output at any moment, and the result of the rerun is the result of
an uninterrupted run. Each case runs the real CLI in its own process group, stopped at a known point
(a hook in the child marks it and waits), so the signal always lands mid-run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from colim.libraries.core_library import load_core_library
from tests.test_bad_inputs import AU25, LIBRARIES, SEED0, invoke, libs, screen_args  # noqa: F401

pytest.importorskip("distributed", reason="Dask distributed is part of the test extra (pip install -e '.[test]')")

#: runs the CLI with a hook that marks (flag file) and then waits at the point the test stops it.
HOOKED_CLI = """
import contextlib, sys, time


def mark(flag):
    open(flag, "w").close()
    time.sleep(300)


def main(flag, where, args):
    if where == "screen":  # after the 3rd finished task is saved, the hits not written yet
        from colim.screening import state
        save, count = state.ScreenState.save, [0]
        def hooked(self, block):
            save(self, block)
            count[0] += 1
            if count[0] == 3:
                mark(flag)
        state.ScreenState.save = hooked
    else:  # the new library fully written to its temporary file, not yet renamed over the old one
        from colim.libraries import core_library
        atomic = core_library.atomic_output
        @contextlib.contextmanager
        def hooked(path, overwrite=False, suffix=None):
            with atomic(path, overwrite, suffix) as tmp:
                yield tmp
                mark(flag)
        core_library.atomic_output = hooked
    from colim.cli import cli
    cli(args, prog_name="colim")


if __name__ == "__main__":  # (Dask's worker processes import this script too: nothing runs there)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
"""


def _stop_midway(tmp_path, where: str, args: list, sig: int) -> tuple[int, str]:
    """Run the hooked CLI, send ``sig`` to its whole process group once it reached the hook; (exit code, output)."""
    script, flag = tmp_path / "hooked.py", tmp_path / f"reached-{where}"
    script.write_text(HOOKED_CLI)
    env = {**os.environ, "PYTHONPATH": str(LIBRARIES.parent)}
    proc = subprocess.Popen([sys.executable, script, flag, where, *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 240
        while not flag.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert flag.exists(), proc.communicate()[0].decode()[-3000:]
        os.killpg(proc.pid, sig)
        output = proc.communicate(timeout=120)[0].decode()
    finally:
        with pytest.raises(ProcessLookupError):  # nothing of the run survives it (Dask workers included)
            time.sleep(2)
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_workers_2_screen_stopped_midway_resumes_to_the_same_hits(tmp_path, libs, sig):
    reference = tmp_path / "reference.csv"
    assert invoke(*screen_args(libs, reference, "--core-block", "1", "--set-block", "2")).exit_code == 0  # one process, 15 tasks
    out = tmp_path / "hits.csv"
    args = ["screen", "--core-lib", libs["cores"], "--ligand-lib", libs["ligands"], "--model", SEED0, "-o", out, "--top-k", "3",
            "--core-block", "1", "--set-block", "2", "--workers", "2", "--silent"]
    code, output = _stop_midway(tmp_path, "screen", args, sig)
    assert code == (1 if sig == signal.SIGINT else -signal.SIGKILL), output
    if sig == signal.SIGINT:
        assert output.strip().splitlines()[-1].startswith("Error: screen interrupted after"), output  # (worker tracebacks before it: issue 20, i20a)
    assert not out.exists() and not list(tmp_path.glob(".hits.csv.*.part"))  # no hits file until the screen is whole
    saved = list((tmp_path / "hits.csv.state").glob("*"))
    assert len(saved) >= 3
    again = invoke(*args[1:] if args[0] == "colim" else args)
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "hits.csv.summary.json").read_text())["resumed_tasks"] >= 3
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(reference))
    assert not (tmp_path / "hits.csv.state").exists() and not list(tmp_path.glob(".hits.csv*"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_library_cores_append_stopped_midway_keeps_the_old_library_and_resumes(tmp_path, libs, sig):
    edits = tmp_path / "edits.h5"
    assert invoke("edit", "enumerate", LIBRARIES / "cores" / "au25_core.xyz", "--ops", "remove", "-o", edits, "--silent").exit_code == 0
    reference, lib = tmp_path / "reference.h5", tmp_path / "lib.h5"
    shutil.copy(libs["cores"], reference)
    shutil.copy(libs["cores"], lib)
    args = ["library", "cores", edits, "--append", "--model", SEED0, "-o", lib, "--silent"]
    assert invoke(*args[:-3], "-o", reference, "--silent").exit_code == 0
    before = lib.read_bytes()
    code, output = _stop_midway(tmp_path, "append", args, sig)
    assert code == (1 if sig == signal.SIGINT else -signal.SIGKILL), output
    assert lib.read_bytes() == before  # the old library, whole: never a half-written one
    leftovers = list(tmp_path.glob(".lib.h5.*.part"))
    assert leftovers == [] if sig == signal.SIGINT else len(leftovers) == 1  # a killed writer cannot clean up ...
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert not list(tmp_path.glob(".lib.h5*"))  # ... the next writer does
    new, ref = load_core_library(lib), load_core_library(reference)
    assert new.ids == ref.ids and len(new.ids) == 3 + 3
    for (info_a, a), (info_b, b) in zip(new.embeddings, ref.embeddings):
        assert info_a.weights_hash == info_b.weights_hash and np.array_equal(a, b)
