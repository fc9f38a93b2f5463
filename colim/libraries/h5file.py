"""Opening colim HDF5 files safely: every missing, truncated, corrupt or foreign file becomes one
:class:`LibraryError` line instead of an h5py traceback."""

from __future__ import annotations

import contextlib
import hashlib
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


#: bytes read per block when hashing a dataset: bounded memory whatever the library's size.
HASH_BLOCK_BYTES = 8 << 20


def _hash_value(digest, value) -> None:
    """Feed one attribute value or text item to ``digest``, length-prefixed so that no two sequences collide."""
    data = value if isinstance(value, bytes) else np.asarray(value).tobytes() if isinstance(value, np.ndarray) else str(value).encode()
    digest.update(len(data).to_bytes(8, "little"))
    digest.update(data)


def data_hash(f: h5py.File) -> str:
    """sha256 over every dataset (name, dtype, shape and values, read block by block) and every attribute of
    ``f`` but :data:`keys.LIB_DATA_HASH` itself, in name order: a swapped, permuted, cut or flipped byte changes it."""
    digest = hashlib.sha256()
    names: list[str] = []
    f.visit(names.append)
    for name in ["", *sorted(names)]:
        obj = f[name] if name else f
        _hash_value(digest, "/" + name)
        for attr in sorted(obj.attrs):
            if name or attr != keys.LIB_DATA_HASH:
                _hash_value(digest, attr)
                _hash_value(digest, obj.attrs[attr])
        if not isinstance(obj, h5py.Dataset):
            continue
        _hash_value(digest, f"{obj.dtype}{obj.shape}")
        if obj.shape == () or obj.size == 0:
            _hash_value(digest, obj[()] if obj.shape == () else b"")
            continue
        row_bytes = max(1, obj.dtype.itemsize * int(np.prod(obj.shape[1:], dtype=np.int64)))
        step = max(1, HASH_BLOCK_BYTES // row_bytes)
        for a in range(0, obj.shape[0], step):
            block = obj[a : a + step]
            if block.dtype == object:
                for item in block.reshape(-1):
                    _hash_value(digest, item)
            else:
                digest.update(np.ascontiguousarray(block).tobytes())
    return digest.hexdigest()


def stamp_data_hash(f: h5py.File) -> None:
    """Record :func:`data_hash` in ``f`` (call last, once everything is written)."""
    f.attrs[keys.LIB_DATA_HASH] = data_hash(f)


def check_data_hash(f: h5py.File, path: str | os.PathLike, what: str, rebuild: str, required: bool = True) -> None:
    """Refuse ``f`` when its datasets no longer hash to the recorded :data:`keys.LIB_DATA_HASH` (one line
    naming the file and ``rebuild``, the command that remakes it); a file without one is refused when ``required``."""
    recorded = f.attrs.get(keys.LIB_DATA_HASH)
    if recorded is None:
        if required:
            raise LibraryError(f"{path}: this {what} has no data checksum (written by an older colim), so it cannot be checked; rebuild it with '{rebuild}'")
        return
    if str(recorded) != data_hash(f):
        raise LibraryError(f"{path}: the {what} was changed after it was written (its data no longer match the checksum "
                           f"recorded then, so what is read from it would be wrong); rebuild it with '{rebuild}'")


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
