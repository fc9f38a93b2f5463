"""The core library: cores (coordinates, ids, provenance) and optionally their embeddings, in HDF5.

Written by ``colim library cores`` and ``colim edit enumerate``; read by ``colim screen``. Atoms of
all cores are stored concatenated with an offsets array, so a library of 100k edited cores is a few
flat datasets. Provenance comes from ``atoms.info`` keys ``id, parent, operator, site, element,
depth, source``; see docs/formats.md.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import h5py
import numpy as np
from ase import Atoms
from colim.progress import progress_bar

from colim import keys
from colim.encoders import CoreEncoder
from colim.errors import LibraryError
from colim.io.output_files import atomic_output
from colim.libraries.encoder_info import EncoderInfo, encoder_info, text_hash
from colim.libraries.h5file import check_data_hash, embedding_group_name, open_colim_h5, read_text, stamp_data_hash, write_header, write_text
from colim.notes import note
from colim.structures.core import core_id, structure_hash

FORMAT_VERSION = 1
#: how to remake a core library that fails its checks.
REBUILD = "colim library cores ... --overwrite"

#: text provenance fields read from / written to ``atoms.info``.
TEXT_PROVENANCE = {"parent": keys.CORE_PARENT, "operator": keys.CORE_OPERATOR, "site": keys.CORE_SITE, "site_kind": keys.CORE_SITE_KIND,
                   "element": keys.CORE_ELEMENT, "source": keys.CORE_SOURCE}


def _provenance(g: h5py.Group, n: int) -> dict[str, list[str]]:
    """Text provenance per core; a field an older library lacks (``site_kind``) reads as empty."""
    return {k: read_text(g, name) if name in g else [""] * n for k, name in TEXT_PROVENANCE.items()}


@dataclass
class CoreLibrary:
    """A core library loaded for screening (no Atoms objects built).

    Attributes:
        ids, hashes: one per core. provenance: field name → list of text (``depth`` as int).
        embeddings: one ``(encoder, [C, D] float32)`` per encoder that embedded the library (several
            for an ensemble whose members have their own weights); empty without a model.
    """

    path: str
    ids: list[str]
    hashes: list[str]
    provenance: dict[str, list]
    embeddings: list[tuple[EncoderInfo, np.ndarray]]
    content_hash: str = ""

    def __len__(self) -> int:
        return len(self.ids)

    def embeddings_for(self, encoder: EncoderInfo, model_name: str = "the model", every_model: Sequence[str] = ()) -> np.ndarray:
        """The embeddings made by ``encoder``; LibraryError (one line) when the library has none."""
        return find_embeddings(self.path, "core", self.embeddings, encoder, model_name, every_model)


def find_embeddings(path: str, what: str, groups: list[tuple[EncoderInfo, np.ndarray]], encoder: EncoderInfo, model_name: str,
                    every_model: Sequence[str] = ()) -> np.ndarray:
    """Pick the embeddings of ``encoder`` among a library's groups, or explain in one line why none fit; the
    command suggested for a library without embeddings embeds it for ``every_model`` (all members of the screen)."""
    model_name = re.sub(r"#\d+$", "", model_name)  # an ensemble member "dir#0": the command takes the ensemble itself
    if not groups:
        names = dict.fromkeys(re.sub(r"#\d+$", "", name) for name in every_model) or {model_name: None}
        flags = " ".join(f"--model {name}" for name in names)
        how = (f"embed it with 'colim library cores {path} --append {flags} -o {path}'" if what == "core"
               else f"embed it with 'colim library ligands LIGAND_FILE --append {flags} -o {path}'")
        raise LibraryError(f"{path}: the {what} library has no embeddings; {how}")
    for info, arr in groups:
        if encoder.mismatch(info) is None:
            return arr
    made_by = ", ".join(info.describe() for info, _ in groups)
    raise LibraryError(
        f"{path}: {what} library was embedded by {made_by}, not by the {what} encoder of {model_name}, {encoder.describe()}; "
        f"rebuild it with 'colim library {what}s ... --model {model_name} --overwrite'"
    )


def _text(value) -> str:
    return "" if value is None else str(value)


def write_core_library(
    path: str | os.PathLike,
    cores: Sequence[Atoms],
    overwrite: bool = False,
    embeddings=None,
    encoder_info: EncoderInfo | Mapping | None = None,
    more_embeddings: Sequence[tuple[EncoderInfo, np.ndarray]] = (),
) -> None:
    """Write ``cores`` (and their ``[C, D]`` embeddings with the encoder that made them) to ``path``.

    Raises :class:`LibraryError` on duplicate ids or embeddings that do not match the cores, and
    :class:`colim.errors.OutputExistsError` for an existing ``path`` without ``overwrite``.
    """
    cores = list(cores)
    keep = unique_cores(cores, path)
    extra = []
    for info, more in more_embeddings:
        more = np.asarray(more, dtype=np.float32)
        if more.ndim != 2 or more.shape[0] != len(cores):
            raise LibraryError(f"core embeddings have shape {more.shape}, expected ({len(cores)}, D)")
        extra.append((EncoderInfo.coerce(info), more[keep]))
    emb = None
    if embeddings is not None:
        emb = np.asarray(embeddings.detach().cpu() if hasattr(embeddings, "detach") else embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(cores):
            raise LibraryError(f"core embeddings have shape {emb.shape}, expected ({len(cores)}, D)")
        emb = emb[keep]
        if encoder_info is None:
            raise LibraryError("core embeddings need the encoder_info of the encoder that made them")
    cores = [cores[i] for i in keep]
    ids = [core_id(c) for c in cores]
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
        e = f.create_group(keys.LIB_EMBEDDINGS)
        if emb is not None:
            _write_embeddings(e, EncoderInfo.coerce(encoder_info), emb)
        for info, more in extra:  # every model's embeddings in the one atomic write: a kill leaves the old file or the new
            _write_embeddings(e, info, more)
        stamp_data_hash(f)


def unique_cores(cores: Sequence[Atoms], path: str | os.PathLike) -> list[int]:
    """Indices of the cores to keep: a core given twice (same id, same atoms: e.g. the parent file beside
    enumerated edits that already include the parent) is kept once, with a note; the same id on other atoms
    is a LibraryError."""
    first: dict[str, tuple[int, str]] = {}
    keep, repeated = [], []
    for i, core in enumerate(cores):
        cid, digest = core_id(core), structure_hash(core)
        if cid not in first:
            first[cid] = (i, digest)
            keep.append(i)
        elif first[cid][1] == digest:
            repeated.append(cid)
        else:
            raise LibraryError(f"duplicate core id '{cid}' in core library {path}: two different cores carry it; rename one")
    if repeated:
        shown = ", ".join(f"'{c}'" for c in list(dict.fromkeys(repeated))[:3]) + (" ..." if len(set(repeated)) > 3 else "")
        note(f"{len(repeated)} core(s) given twice with the same atoms ({shown}): each kept once in {path}")
    return keep


def embed_cores(encoder: CoreEncoder, cores: Sequence[Atoms], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """``[len(cores), D]`` float32 embeddings of ``cores`` by ``encoder`` (evaluation mode), batch by batch."""
    rows = [
        encoder.encode(list(cores[start : start + batch_size]), batch_size=batch_size).numpy()
        for start in progress_bar(range(0, len(cores), batch_size), desc="embedding cores", unit="batch", disable=not progress, leave=False)
    ]
    return np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, encoder.embedding_dim), np.float32)


def build_core_library(path: str | os.PathLike, cores: Sequence[Atoms], encoders: Sequence[CoreEncoder] = (),
                       batch_size: int = 64, overwrite: bool = False, progress: bool = False) -> int:
    """Write ``cores`` to a new core library embedded by each of ``encoders`` (one group per encoder weights);
    returns how many cores it holds (a core given twice is kept once)."""
    cores = list(cores)
    cores = [cores[i] for i in unique_cores(cores, path)]
    groups = [(encoder_info(enc), embed_cores(enc, cores, batch_size, progress)) for enc in encoders]
    first = groups[0] if groups else (None, None)
    write_core_library(path, cores, overwrite=overwrite, embeddings=first[1], encoder_info=first[0], more_embeddings=groups[1:])
    return len(cores)


def _write_embeddings(parent: h5py.Group, info: EncoderInfo, emb: np.ndarray) -> None:
    name = embedding_group_name(info.weights_hash)
    if name in parent:
        del parent[name]
    g = parent.create_group(name)
    info.write_attrs(g)
    g.create_dataset(keys.CORE_EMBEDDINGS, data=np.asarray(emb, dtype=np.float32))


def add_core_embeddings(path: str | os.PathLike, embeddings, encoder_info: EncoderInfo | Mapping) -> None:
    """Add (or replace) the embeddings of one more encoder, e.g. another ensemble member's."""
    lib = load_core_library(path)
    emb = np.asarray(embeddings.detach().cpu() if hasattr(embeddings, "detach") else embeddings, dtype=np.float32)
    if emb.ndim != 2 or emb.shape[0] != len(lib):
        raise LibraryError(f"core embeddings have shape {emb.shape}, expected ({len(lib)}, D)")
    with atomic_output(path, overwrite=True) as tmp:
        shutil.copyfile(path, tmp)
        with h5py.File(tmp, "a") as f:
            _write_embeddings(f.require_group(keys.LIB_EMBEDDINGS), EncoderInfo.coerce(encoder_info), emb)
            stamp_data_hash(f)


def check_core_shapes(path, g, size: int) -> None:
    """Every per-core dataset of a core library holds one row per core (offsets one more), and ``depth`` whole numbers."""
    expected = {keys.CORE_HASHES: size, keys.CORE_OFFSETS: size + 1, keys.CORE_DEPTH: size, **{ds: size for ds in TEXT_PROVENANCE.values()}}
    for name, rows in expected.items():
        if name not in g:
            continue
        shape = g[name].shape
        if len(shape) != 1 or shape[0] != rows:
            raise LibraryError(f"{path}: corrupt core library: '{name}' holds {shape[0] if shape else 0} rows for {size} cores; rebuild it")
    if keys.CORE_DEPTH in g and g[keys.CORE_DEPTH].dtype.kind not in "iu":
        raise LibraryError(f"{path}: corrupt core library: '{keys.CORE_DEPTH}' holds {g[keys.CORE_DEPTH].dtype} values, not whole numbers; rebuild it")


def _check_shapes(path, g: h5py.Group) -> np.ndarray:
    offsets = g[keys.CORE_OFFSETS][()]
    n_atoms = g[keys.CORE_NUMBERS].shape[0]
    n = len(offsets) - 1
    if n < 0 or offsets[-1] != n_atoms or g[keys.CORE_POSITIONS].shape != (n_atoms, 3) or g[keys.CORE_IDS].shape[0] != n or np.any(np.diff(offsets) < 0):
        raise LibraryError(f"{path}: corrupt core library: atom offsets, coordinates and ids disagree")
    check_core_shapes(path, g, n)
    return offsets


def read_core_library(path: str | os.PathLike) -> list[Atoms]:
    """Read every core as ``ase.Atoms`` with ``info['id']`` and the non-empty provenance fields."""
    with open_colim_h5(path, keys.CORE_LIBRARY_FORMAT, FORMAT_VERSION) as f:
        g = f[keys.CORES]
        offsets = _check_shapes(path, g)
        numbers = g[keys.CORE_NUMBERS][()]
        positions = g[keys.CORE_POSITIONS][()]
        ids = read_text(g, keys.CORE_IDS)
        prov = _provenance(g, len(ids))
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


def _check_hashes(path, ids: list[str], hashes: list[str], numbers: np.ndarray, positions: np.ndarray, offsets: np.ndarray) -> None:
    """Refuse a library whose stored atoms were changed after it was written: its embeddings describe other cores."""
    if len(hashes) != len(ids):
        raise LibraryError(f"{path}: corrupt core library: {len(hashes)} content hashes for {len(ids)} cores")
    for i, cid in enumerate(ids):
        a, b = offsets[i], offsets[i + 1]
        if structure_hash(Atoms(numbers=numbers[a:b].astype(int), positions=positions[a:b])) != hashes[i]:
            raise LibraryError(f"{path}: the atoms stored for core {cid} no longer match its content hash (the file was changed after "
                               "it was written, so its embeddings describe other atoms); rebuild it with 'colim library cores ... --overwrite'")


def load_core_library(path: str | os.PathLike) -> CoreLibrary:
    """Ids, hashes, provenance and embeddings of a core library, as screening needs them."""
    with open_colim_h5(path, keys.CORE_LIBRARY_FORMAT, FORMAT_VERSION) as f:
        g = f[keys.CORES]
        offsets = _check_shapes(path, g)
        ids = read_text(g, keys.CORE_IDS)
        hashes = read_text(g, keys.CORE_HASHES)
        _check_hashes(path, ids, hashes, g[keys.CORE_NUMBERS][()], g[keys.CORE_POSITIONS][()], offsets)
        prov: dict[str, list] = dict(_provenance(g, len(ids)))
        prov["depth"] = [int(x) for x in g[keys.CORE_DEPTH][()]]
        groups = []
        for name, e in f.get(keys.LIB_EMBEDDINGS, {}).items():
            info = EncoderInfo.read_attrs(e, str(path))
            emb = np.asarray(e[keys.CORE_EMBEDDINGS][()], dtype=np.float32)
            if emb.ndim != 2 or emb.shape[0] != len(ids):
                raise LibraryError(f"{path}: corrupt core library: {emb.shape[0] if emb.ndim else 0} embeddings for {len(ids)} cores")
            if not np.isfinite(emb).all():
                raise LibraryError(f"{path}: the core embeddings of {info.describe()} contain NaN or infinity; rebuild the library with 'colim library cores ... --overwrite'")
            groups.append((info, emb))
        check_data_hash(f, path, "core library", REBUILD, required=False)  # after the named checks above: they say more
        content = str(f.attrs.get(keys.LIB_CONTENT_HASH, ""))
    return CoreLibrary(str(path), ids, hashes, prov, groups, content)


def read_core_embeddings(path: str | os.PathLike) -> tuple[list[str], np.ndarray, EncoderInfo]:
    """``(ids, [C, D] embeddings, encoder)`` of the library's first embedding group; LibraryError without one."""
    lib = load_core_library(path)
    if not lib.embeddings:
        raise LibraryError(f"{path}: the core library has no embeddings; rebuild it with 'colim library cores ... --model MODEL --overwrite'")
    info, emb = lib.embeddings[0]
    return lib.ids, emb, info


def append_core_library(
    path: str | os.PathLike,
    cores: Sequence[Atoms],
    embedders: Sequence[tuple[EncoderInfo, Callable[[list[Atoms]], np.ndarray]]] = (),
) -> tuple[int, int]:
    """Add the ``cores`` not yet in the library at ``path`` (by content hash) and embed what is missing.

    ``embedders`` are ``(encoder info, embed(list[Atoms]) -> [N, D])`` pairs, one per model: for an
    encoder the library already holds, only the new cores are embedded; a new encoder embeds all.
    Returns ``(added, skipped)`` core counts.
    """
    old_cores = read_core_library(path)
    old = load_core_library(path)
    known = set(old.hashes)
    new = []
    for c in cores:
        h = structure_hash(c)
        if h not in known:
            known.add(h)
            new.append(c)
    groups = {embedding_group_name(info.weights_hash): (info, emb) for info, emb in old.embeddings}
    for info, embed in embedders:
        name = embedding_group_name(info.weights_hash)
        if name in groups and groups[name][0].mismatch(info) is None:
            if new:
                groups[name] = (info, np.concatenate([groups[name][1], np.asarray(embed(new), dtype=np.float32)]))
        else:
            groups[name] = (info, np.asarray(embed(old_cores + new), dtype=np.float32))
    stale = [info.describe() for info, emb in groups.values() if len(emb) != len(old_cores) + len(new)]
    if stale:
        raise LibraryError(f"{path}: cannot append without the model of embeddings {stale[0]}; pass every --model the library was built with")
    all_cores = old_cores + new
    infos = list(groups.values())
    first = infos[0] if infos else (None, None)
    write_core_library(path, all_cores, overwrite=True, embeddings=first[1], encoder_info=first[0], more_embeddings=infos[1:])
    return len(new), len(cores) - len(new)
