"""Preloaded into each worker process of a local Dask cluster (``colim screen --workers``): the worker ignores
Ctrl-C. The terminal sends SIGINT to the whole process group; the client alone answers it (one ``Error:``
line, the finished tasks kept) and closes the cluster, instead of every worker printing a traceback."""

from __future__ import annotations

import signal
import threading


def dask_setup(worker=None) -> None:
    """Dask's preload hook: ignore SIGINT in this worker process."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
