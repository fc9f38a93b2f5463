"""The core library: cores (coordinates, ids, provenance) and optionally their embeddings, in HDF5.

Written by ``colim library cores`` and ``colim edit enumerate``; read by ``colim screen``. Atoms of
all cores are stored concatenated with an offsets array, so a library of 100k edited cores is a few
flat datasets. Provenance comes from ``atoms.info`` keys ``id, parent, operator, site, element,
depth, source``; see docs/formats.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence

import h5py
import numpy as np
from ase import Atoms

from colim import keys
from colim.atomic import atomic_output
from colim.core import core_id, structure_hash
from colim.errors import LibraryError
from colim.libraries.encoder_info import EncoderInfo, text_hash
from colim.libraries.h5file import open_colim_h5, read_text, write_header, write_text

FORMAT_VERSION = 1

#: text provenance fields read from / written to ``atoms.info``.
TEXT_PROVENANCE = {"parent": keys.CORE_PARENT, "operator": keys.CORE_OPERATOR, "site": keys.CORE_SITE, "element": keys.CORE_ELEMENT, "source": keys.CORE_SOURCE}


@dataclass
class CoreLibrary:
    """A core library loaded for screening (no Atoms objects built).

    Attributes:
        ids, hashes: one per core. provenance: field name → list of text (``depth`` as int).
        embeddings: ``[C, D]`` float32, or None when the library was written without a model.
        encoder: the encoder that made ``embeddings`` (None without embeddings).
    """

    path: str
    ids: list[str]
    hashes: list[str]
    provenance: dict[str, list]
    embeddings: np.ndarray | None
    encoder: EncoderInfo | None

    def __len__(self) -> int:
        return len(self.ids)


def _text(value) -> str:
    return "" if value is None else str(value)


def write_core_library(
    path: str | os.PathLike,
    cores: Sequence[Atoms],
    overwrite: bool = False,
    embeddings=None,
    encoder_info: EncoderInfo | Mapping | None = None,
) -> None:
    """Write ``cores`` (and their ``[C, D]`` embeddings with the encoder that made them) to ``path``.

    Raises :class:`LibraryError` on duplicate ids or embeddings that do not match the cores, and
    :class:`colim.errors.OutputExistsError` for an existing ``path`` without ``overwrite``.
    """
    cores = list(cores)
    ids = [core_id(c) for c in cores]
    seen: set[str] = set()
    for cid in ids:
        if cid in seen:
            raise LibraryError(f"duplicate core id '{cid}' in core library {path}")
        seen.add(cid)
    emb = None
    if embeddings is not None:
        emb = np.asarray(embeddings.detach().cpu() if hasattr(embeddings, "detach") else embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(cores):
            raise LibraryError(f"core embeddings have shape {emb.shape}, expected ({len(cores)}, D)")
        if encoder_info is None:
            raise LibraryError("core embeddings need the encoder_info of the encoder that made them")
    hashes = [structure_hash(c) for c in cores]
    counts = np.array([len(c) for c in cores], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    numbers = np.concatenate([c.numbers for c in cores]).astype(np.int16) if cores else np.zeros(0, np.int16)
    positions = np.concatenate([c.get_positions() for c in cores]).astype(np.float64) if cores else np.zeros((0, 3))
    with atomic_output(path, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as f:
        write_header(f, keys.CORE_LIBRARY_FORMAT, FORMAT_VERSION)
        f.attrs[keys.LIB_CONTENT_HASH] = text_hash(hashes)
        g = f.create_group(keys.CORES)
        g.create_dataset(keys.CORE_NUMBERS, data=numbers)
        g.create_dataset(keys.CORE_POSITIONS, data=positions)
        g.create_dataset(keys.CORE_OFFSETS, data=offsets)
        write_text(g, keys.CORE_IDS, ids)
        write_text(g, keys.CORE_HASHES, hashes)
        for info_key, name in TEXT_PROVENANCE.items():
            write_text(g, name, [_text(c.info.get(info_key)) for c in cores])
        g.create_dataset(keys.CORE_DEPTH, data=np.array([int(c.info.get("depth") or 0) for c in cores], dtype=np.int32))
        if emb is not None:
            e = f.create_group(keys.LIB_EMBEDDINGS)
            EncoderInfo.coerce(encoder_info).write_attrs(e)
            e.create_dataset(keys.CORE_EMBEDDINGS, data=emb)


def _check_shapes(path, g: h5py.Group) -> np.ndarray:
    offsets = g[keys.CORE_OFFSETS][()]
    n_atoms = g[keys.CORE_NUMBERS].shape[0]
    n = len(offsets) - 1
    if n < 0 or offsets[-1] != n_atoms or g[keys.CORE_POSITIONS].shape != (n_atoms, 3) or g[keys.CORE_IDS].shape[0] != n or np.any(np.diff(offsets) < 0):
        raise LibraryError(f"{path}: corrupt core library: atom offsets, coordinates and ids disagree")
    return offsets


def read_core_library(path: str | os.PathLike) -> list[Atoms]:
    """Read every core as ``ase.Atoms`` with ``info['id']`` and the non-empty provenance fields."""
    with open_colim_h5(path, keys.CORE_LIBRARY_FORMAT, FORMAT_VERSION) as f:
        g = f[keys.CORES]
        offsets = _check_shapes(path, g)
        numbers = g[keys.CORE_NUMBERS][()]
        positions = g[keys.CORE_POSITIONS][()]
        ids = read_text(g, keys.CORE_IDS)
        prov = {k: read_text(g, name) for k, name in TEXT_PROVENANCE.items()}
        depth = g[keys.CORE_DEPTH][()]
    cores = []
    for i, cid in enumerate(ids):
        a, b = offsets[i], offsets[i + 1]
        atoms = Atoms(numbers=numbers[a:b].astype(int), positions=positions[a:b], pbc=False)
        atoms.info["id"] = cid
        for k, values in prov.items():
            if values[i]:
                atoms.info[k] = values[i]
        if depth[i]:
            atoms.info["depth"] = int(depth[i])
        cores.append(atoms)
    return cores


def load_core_library(path: str | os.PathLike) -> CoreLibrary:
    """Ids, hashes, provenance and embeddings of a core library, as screening needs them."""
    with open_colim_h5(path, keys.CORE_LIBRARY_FORMAT, FORMAT_VERSION) as f:
        g = f[keys.CORES]
        _check_shapes(path, g)
        ids = read_text(g, keys.CORE_IDS)
        hashes = read_text(g, keys.CORE_HASHES)
        prov: dict[str, list] = {k: read_text(g, name) for k, name in TEXT_PROVENANCE.items()}
        prov["depth"] = [int(x) for x in g[keys.CORE_DEPTH][()]]
        emb, info = None, None
        if keys.LIB_EMBEDDINGS in f:
            e = f[keys.LIB_EMBEDDINGS]
            info = EncoderInfo.read_attrs(e, str(path))
            emb = np.asarray(e[keys.CORE_EMBEDDINGS][()], dtype=np.float32)
            if emb.ndim != 2 or emb.shape[0] != len(ids):
                raise LibraryError(f"{path}: corrupt core library: {emb.shape[0] if emb.ndim else 0} embeddings for {len(ids)} cores")
    return CoreLibrary(str(path), ids, hashes, prov, emb, info)


def read_core_embeddings(path: str | os.PathLike) -> tuple[list[str], np.ndarray, EncoderInfo]:
    """``(ids, [C, D] embeddings, encoder)``; a library without embeddings raises LibraryError."""
    lib = load_core_library(path)
    if lib.embeddings is None:
        raise LibraryError(f"{path}: the core library has no embeddings; build it with 'colim library cores --model CKPT'")
    return lib.ids, lib.embeddings, lib.encoder


def append_core_library(
    path: str | os.PathLike,
    cores: Sequence[Atoms],
    embed=None,
    encoder_info: EncoderInfo | Mapping | None = None,
) -> tuple[int, int]:
    """Add ``cores`` not yet in the library at ``path`` (same content hash), embedding only the new ones.

    ``embed(list[Atoms]) -> [N, D]`` computes embeddings of new cores; it must come from the same
    encoder as the library's (else LibraryError). Returns ``(added, skipped)``.
    """
    old_cores = read_core_library(path)
    old = load_core_library(path)
    if (old.embeddings is None) != (embed is None):
        raise LibraryError(f"{path}: cannot append {'with' if embed else 'without'} a model to a library {'without' if old.embeddings is None else 'with'} embeddings")
    if embed is not None and old.encoder is not None:
        why = old.encoder.mismatch(EncoderInfo.coerce(encoder_info))
        if why:
            raise LibraryError(f"{path}: the library was embedded by {old.encoder.describe()}; the model has {why}")
    known = set(old.hashes)
    new = []
    for c in cores:
        h = structure_hash(c)
        if h not in known:
            known.add(h)
            new.append(c)
    if not new:
        return 0, len(cores)
    emb = None
    if embed is not None:
        new_emb = np.asarray(embed(new), dtype=np.float32)
        emb = np.concatenate([old.embeddings, new_emb])
    write_core_library(path, old_cores + new, overwrite=True, embeddings=emb, encoder_info=old.encoder if embed is not None else None)
    return len(new), len(cores) - len(new)
