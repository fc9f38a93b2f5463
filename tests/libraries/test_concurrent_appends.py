"""Appends commute: processes appending to one core library at once wait their turn and every core lands;
an overwrite while another process writes is still refused at once, and a wait that runs out says so."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import ase.io
import pytest

import colim
import colim.api  # noqa: F401 - loaded before the forks, so each child does not import it again
from colim.io.core_sources import read_cores
from colim.io.locks import OutputLockedError, lock_path, output_lock
from colim.libraries.core_library import read_core_library

CORES = Path(__file__).resolve().parents[1] / "data" / "cores" / "cores20.extxyz"


def _append_one(index: int, library: str, start: multiprocessing.synchronize.Barrier, done: multiprocessing.Queue) -> None:
    core = ase.io.read(CORES, index=index)
    start.wait()  # all eight ask for the lock at the same moment
    try:
        counts = colim.build_core_library(core, library, model=(), append=True, wait=120)
        done.put((index, "ok", counts["added"] if "added" in counts else counts["cores"]))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which asserts on it
        done.put((index, "error", f"{type(exc).__name__}: {exc}"))


def test_eight_processes_appending_one_core_each_all_land(tmp_path):
    library = str(tmp_path / "cores.h5")
    context = multiprocessing.get_context("fork")
    start, done = context.Barrier(8), context.Queue()
    procs = [context.Process(target=_append_one, args=(i, library, start, done)) for i in range(8)]
    for proc in procs:
        proc.start()
    outcomes = sorted(done.get(timeout=240) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
    assert [o[1:] for o in outcomes] == [("ok", 1)] * 8, outcomes
    expected = {c.info["id"] for c in read_cores(str(CORES))[:8]}
    assert {c.info["id"] for c in read_core_library(library)} == expected
    assert len(read_core_library(library)) == 8
    assert not lock_path(library).exists()


def _hold(library: str, ready: multiprocessing.Event, release: multiprocessing.Event) -> None:
    with output_lock(library):
        ready.set()
        release.wait(60)


@pytest.fixture
def held(tmp_path):
    """A library whose lock another process holds until ``release`` is set."""
    library = tmp_path / "cores.h5"
    colim.build_core_library(ase.io.read(CORES, index=0), library, model=())
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(library), ready, release))
    holder.start()
    assert ready.wait(30)
    yield library, release, holder
    release.set()
    holder.join(timeout=30)


def test_an_overwrite_while_another_process_writes_is_refused_at_once(held):
    library, _, holder = held
    start = time.monotonic()
    with pytest.raises(OutputLockedError, match=rf"^{library} is being written by another colim process \(pid {holder.pid}"):
        colim.build_core_library(ase.io.read(CORES, index=1), library, model=(), overwrite=True)
    assert time.monotonic() - start < 5
    assert len(read_core_library(library)) == 1


def test_an_append_that_waits_too_long_says_so(held):
    library, _, holder = held
    with pytest.raises(OutputLockedError, match=rf"^{library} is still being written by another colim process \(pid {holder.pid}.*\) "
                                                r"after 0.5 s of waiting; wait for it to finish or choose another output$"):
        colim.build_core_library(ase.io.read(CORES, index=1), library, model=(), append=True, wait=0.5)
    assert len(read_core_library(library)) == 1


def test_an_append_lands_once_the_other_writer_finishes(held):
    library, release, _ = held
    context = multiprocessing.get_context("fork")
    done = context.Queue()
    appender = context.Process(target=_append_one, args=(1, str(library), context.Barrier(1), done))
    appender.start()
    time.sleep(0.5)
    assert appender.is_alive()  # waiting for the lock, not refused
    release.set()
    assert done.get(timeout=120) == (1, "ok", 1)
    appender.join(timeout=30)
    assert len(read_core_library(library)) == 2
