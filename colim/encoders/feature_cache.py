"""Ligand features cached on disk per canonical SMILES, and computed on every core the machine has.

Featurising (conformers, sterics) is the slow step of a ligand library; it depends only on the SMILES and
on the featuriser's version, never on model weights, so a rebuild, an ``--append`` or another model's
library reuses it. Rows live in ``<cache dir>/<namespace>/<hh>/<sha256>.npy`` (written to a temporary name
and renamed, so a row is whole or absent; several processes may share the folder). The cache folder is
``$COLIM_CACHE_DIR`` or, by default, ``$XDG_CACHE_HOME/colim`` (``~/.cache/colim``); ``COLIM_CACHE_DIR=off``
turns it off. Missing rows are computed in a process pool of :func:`feature_workers` processes (default:
every core) when there are enough of them to pay for the pool.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

CACHE_ENV = "COLIM_CACHE_DIR"
#: fewer missing ligands than this are featurised in this process (a pool's start-up costs more).
POOL_MIN = 16

_workers: list[int | None] = [None]


def cache_dir() -> Path | None:
    """The feature cache folder, or None when ``COLIM_CACHE_DIR=off``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return None if env.lower() in ("off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "colim"


@contextlib.contextmanager
def feature_workers(workers: int | None) -> Iterator[None]:
    """Featurise with ``workers`` processes inside the block (None: every core; 1: this process only)."""
    before = _workers[0]
    _workers[0] = workers
    try:
        yield
    finally:
        _workers[0] = before


def _path(folder: Path, smiles: str) -> Path:
    digest = hashlib.sha256(smiles.encode()).hexdigest()
    return folder / digest[:2] / f"{digest}.npy"


def _read(path: Path) -> np.ndarray | None:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None


def _write(path: Path, row: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.part.npy")
        np.save(tmp, row, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:  # a read-only or full cache folder only costs the speed-up
        pass


class FeatureStats:
    """How many rows a process computed and read from the cache (for tests and reports)."""

    computed = 0
    cached = 0


def cached_rows(namespace: str, function: Callable[[str], np.ndarray], smiles: Sequence[str]) -> list[np.ndarray]:
    """``[function(s) for s in smiles]``, each row read from the cache when it is there, the others computed
    (in a pool of :func:`feature_workers` processes when there are many) and stored."""
    root = cache_dir()
    folder = root / namespace if root is not None else None
    rows: dict[str, np.ndarray] = {}
    for s in dict.fromkeys(smiles):
        row = _read(_path(folder, s)) if folder is not None else None
        if row is not None:
            rows[s] = row
    FeatureStats.cached += len(rows)
    missing = [s for s in dict.fromkeys(smiles) if s not in rows]
    workers = _workers[0] if _workers[0] is not None else (os.cpu_count() or 1)
    if len(missing) >= POOL_MIN and workers > 1:
        method = "forkserver" if sys.platform.startswith("linux") else "spawn"  # never fork a process whose torch threads run
        with ProcessPoolExecutor(min(workers, len(missing)), mp_context=multiprocessing.get_context(method)) as pool:
            computed = list(pool.map(function, missing, chunksize=max(1, len(missing) // (8 * workers))))
    else:
        computed = [function(s) for s in missing]
    FeatureStats.computed += len(missing)
    for s, row in zip(missing, computed):
        rows[s] = row
        if folder is not None:
            _write(_path(folder, s), np.asarray(row))
    return [rows[s] for s in smiles]
