"""Opening colim HDF5 files safely: every missing, truncated, corrupt or foreign file becomes one
:class:`LibraryError` line instead of an h5py traceback."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator, Sequence

import h5py
import numpy as np

from colim import keys
from colim.errors import LibraryError
from colim.version import __version__

#: h5py variable-length UTF-8 string type used for every text dataset.
STR = h5py.string_dtype("utf-8")


def write_header(f: h5py.File, fmt: str, version: int) -> None:
    """Mark ``f`` as a colim file of format ``fmt``."""
    f.attrs[keys.FORMAT] = fmt
    f.attrs[keys.FORMAT_VERSION] = int(version)
    f.attrs[keys.COLIM_VERSION] = __version__


@contextlib.contextmanager
def open_colim_h5(path: str | os.PathLike, fmt: str, max_version: int, mode: str = "r") -> Iterator[h5py.File]:
    """Open ``path`` as a colim file of format ``fmt``; any read failure inside the block is a LibraryError."""
    target = Path(path)
    what = fmt.removeprefix("colim-").replace("-", " ")
    if not target.is_file():
        raise LibraryError(f"{target}: no such {what} file")
    try:
        f = h5py.File(target, mode)
    except OSError as exc:
        raise LibraryError(f"{target}: not a readable HDF5 {what} (truncated or corrupt file)") from exc
    try:
        try:
            found, version = f.attrs.get(keys.FORMAT), f.attrs.get(keys.FORMAT_VERSION, 0)
        except (OSError, KeyError, ValueError, TypeError) as exc:  # a damaged header: h5py opens it, reading fails
            raise LibraryError(f"{target}: not a readable HDF5 {what} (truncated or corrupt file)") from exc
        if found is None:
            raise LibraryError(f"{target}: not a colim {what} (no '{keys.FORMAT}' attribute)")
        if str(found) != fmt:
            raise LibraryError(f"{target}: is a {found} file, expected a {fmt} file")
        version = int(version)
        if version > max_version:
            raise LibraryError(f"{target}: {fmt} format version {version} is newer than this colim reads ({max_version})")
        try:
            yield f
        except (OSError, KeyError, ValueError, TypeError, IndexError) as exc:
            raise LibraryError(f"{target}: corrupt {what}: {_one_line(exc)}") from exc
    finally:
        try:
            f.close()
        except Exception:  # noqa: BLE001 - closing a corrupt file must not mask the real error
            pass


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_text(group: h5py.Group, name: str) -> list[str]:
    """A text dataset as a list of Python strings."""
    return [x.decode() if isinstance(x, bytes) else str(x) for x in group[name][()]]


def write_text(group: h5py.Group, name: str, values: Sequence[str], resizable: bool = False) -> None:
    """Write (or replace) a text dataset."""
    if name in group:
        del group[name]
    data = np.array(list(values), dtype=object)
    group.create_dataset(name, data=data, dtype=STR, maxshape=(None,) if resizable else None)


def embedding_group_name(weights_hash: str) -> str:
    """Name of the subgroup of ``embeddings`` holding one encoder's vectors (weights hash prefix)."""
    return (weights_hash or "unhashed")[:16]
