"""Screening on a Dask cluster: each task (core block × set block) runs on a worker and returns its top
lists; the client saves and merges them exactly as a single process does, so the hits are the same.

The engine travels to the workers once (``Client.scatter(..., broadcast=True)``) as its description:
folded heads, and sources that name the library files (see :mod:`colim.screening.sources`). Workers
read the libraries from that shared path; no embedding block goes through the scheduler. A worker lost
mid-screen has its tasks re-run by Dask on the others; finished tasks are saved by the caller as they
arrive, so an interrupted distributed screen resumes like any other. At most a few tasks per worker
thread are in flight at once, so millions of tasks never sit in the scheduler together.

``distributed`` is an optional dependency: ``pip install colim[dask]``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable, Sequence

from colim.errors import ColimError
from colim.screening.engine import BlockResult, ScreenEngine
from colim.validation import SCHEDULER_TIMEOUT_S, workers as check_workers


class ClusterLost(ColimError):
    """The Dask scheduler or cluster went away mid-screen; the tasks finished so far were handed to the caller."""

#: module each local worker process preloads: it ignores Ctrl-C (the client answers it).
WORKER_PRELOAD = "colim.screening.worker_signals"
#: tasks in flight per worker thread.
IN_FLIGHT_PER_THREAD = 4


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ColimError("--workers/--scheduler need Dask: pip install 'colim[dask]' (the distributed package)") from None
    return distributed


def _score(engine: ScreenEngine, task: tuple[int, int, int, int]) -> BlockResult:
    """One task on a worker (module-level so the worker imports it by name)."""
    return engine.score_task(*task)


def local_cluster(workers: int):
    """A local Dask cluster of ``workers`` worker processes sharing this machine's cores (no dashboard)."""
    distributed = _import_distributed()
    threads = max(1, (os.cpu_count() or 1) // workers)
    env = {"NUMBA_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}  # each worker its share of the cores
    # Ctrl-C reaches the whole process group; only this client should answer it (one line, finished tasks
    # kept) and close the cluster. The worker processes are started with SIGINT ignored (inherited across
    # exec, and Python then installs no KeyboardInterrupt handler) and keep ignoring it (WORKER_PRELOAD),
    # so none prints a traceback. While this process ignores SIGINT too, a `sleep` child in the same
    # process group, which does not, notices a Ctrl-C for it: the client is interrupted once the cluster
    # is up (never a swallowed Ctrl-C).
    main = threading.current_thread() is threading.main_thread()
    watcher = subprocess.Popen(["sleep", "86400"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) \
        if main and shutil.which("sleep") else None
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                                           silence_logs=40, worker_class=distributed.Nanny, env=env, preload=[WORKER_PRELOAD])
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
        interrupted = watcher is not None and watcher.poll() == -signal.SIGINT
        if watcher is not None:
            watcher.kill()
            watcher.wait()
    if interrupted:
        cluster.close()
        raise KeyboardInterrupt
    return cluster, threads


def run_tasks(engine: ScreenEngine, tasks: Sequence[tuple[int, int, int, int]], on_result: Callable[[BlockResult], None],
              workers: int | None = None, scheduler: str | None = None) -> None:
    """Run ``tasks`` of ``engine`` on a new local cluster of ``workers`` processes or on the cluster at
    ``scheduler``; ``on_result`` sees each finished task (in completion order) in this process."""
    distributed = _import_distributed()
    check_workers(workers)
    cluster = None
    try:
        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ColimError(f"--scheduler {scheduler}: no Dask scheduler answered there within {SCHEDULER_TIMEOUT_S} s "
                                 f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
            threads = None
        else:
            cluster, threads = local_cluster(int(workers))
            client = distributed.Client(cluster)
        lost = (distributed.client.FutureCancelledError, distributed.comm.CommClosedError, TimeoutError)
        with _quiet_dask_logs(), client:
            try:
                _run(distributed, client, engine, tasks, on_result, threads)
            except FileNotFoundError as exc:  # raised on a worker that does not see this machine's files
                raise ColimError(f"a Dask worker cannot open {exc.filename or 'a library file'}: the workers must see the same "
                                 "filesystem as this client, at the same absolute paths") from None
            except lost as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ClusterLost(f"the Dask cluster went away or has no workers ({reason})") from None
    finally:
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def _quiet_dask_logs():
    """Dask's own error logs (a lost scheduler logs reconnect tracebacks) stay out of the terminal while colim
    runs tasks: colim reports what happened in one line (:class:`ClusterLost`)."""
    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.client", "distributed.core", "distributed.comm")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _run(distributed, client, engine: ScreenEngine, tasks, on_result, threads: int | None) -> None:
    if threads:
        engine.threads = threads
    remote = client.scatter(engine, broadcast=True, hash=False)
    slots = max(1, sum(client.nthreads().values())) * IN_FLIGHT_PER_THREAD
    pending = iter(tasks)
    token = uuid.uuid4().hex[:12]
    queue = distributed.as_completed()

    def submit(count: int) -> None:
        for _ in range(count):
            task = next(pending, None)
            if task is None:
                return
            queue.add(client.submit(_score, remote, task, key="colim-task-{}-{}-{}-{}-{}".format(*task, token), retries=2))

    submit(slots)
    for future in queue:
        result = future.result()
        future.release()
        on_result(result)
        submit(1)
