"""The core–ligand matching dataset: unique cores, labelled (core, ligand set) pairs, and its HDF5 file.

Training and evaluation read a :class:`MatchingDataset`; the builder writes one. The file records
every builder parameter and the sha256 of every input, so a model can name the exact data it saw
(:meth:`MatchingDataset.content_hash`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
from ase import Atoms

from colim import keys
from colim.choices import resolve_choice
from colim.errors import LibraryError, LigandError
from colim.io.output_files import atomic_output
from colim.libraries.h5file import read_text, write_text
from colim.structures.core import structure_hash
from colim.structures.ligands import LigandSet
from colim.version import __version__

SPLITS = ("train", "val", "test")
ORIGINS = ("reported", "sampled", "reported_negative")
CORE_TYPES = ("I", "II", "complex")


@dataclass(frozen=True)
class PairRecord:
    """One labelled (core, ligand set) pair of the matching dataset."""

    core_index: int  # index into MatchingDataset.cores
    ligand_set: LigandSet
    label: int  # 1 compatible (reported), 0 negative
    split: str  # "train" | "val" | "test"
    group: str  # grouping key: no group on both sides of a split
    origin: str  # "reported" | "sampled" | "reported_negative"


@dataclass
class MatchingDataset:
    """Unique cores plus labelled pairs, with the parameters and input hashes that made them.

    ``cores[i].info`` holds ``id``, ``core_type`` ("I" or "II") and ``source`` (the input file).
    """

    cores: list[Atoms]
    pairs: list[PairRecord]
    params: dict = field(default_factory=dict)
    input_hashes: dict = field(default_factory=dict)

    def split_pairs(self, name: str) -> list[PairRecord]:
        """The pairs of split ``name`` ("train", "val" or "test")."""
        key = resolve_choice(name, SPLITS, "split")
        return [p for p in self.pairs if p.split == key]

    def content_hash(self) -> str:
        """sha256 over the cores (elements, coordinates, id, type) and the pairs, in order."""
        h = hashlib.sha256()
        for core in self.cores:
            h.update(structure_hash(core).encode())
            h.update(f"|{core.info.get('id', '')}|{core.info.get('core_type', '')}\n".encode())
        for p in self.pairs:
            ratios = "" if p.ligand_set.ratios is None else ":".join(f"{r:.6g}" for r in p.ligand_set.ratios)
            h.update(f"{p.core_index}|{p.ligand_set.key}|{ratios}|{p.label}|{p.split}|{p.group}|{p.origin}\n".encode())
        return h.hexdigest()

    def __len__(self) -> int:
        return len(self.pairs)


def _info_json(core: Atoms) -> str:
    info = {k: v for k, v in core.info.items() if isinstance(v, (str, int, float, bool))}
    return json.dumps(info, sort_keys=True)


def save_dataset(ds: MatchingDataset, path: str | os.PathLike, overwrite: bool = False) -> None:
    """Write ``ds`` to an HDF5 file (atomically; an existing file needs ``overwrite``)."""
    with atomic_output(path, overwrite=overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs[keys.FORMAT] = keys.DATASET_FORMAT
            f.attrs[keys.FORMAT_VERSION] = keys.DATASET_FORMAT_VERSION
            f.attrs[keys.COLIM_VERSION] = __version__
            f.attrs[keys.DS_PARAMS] = json.dumps(ds.params, sort_keys=True, default=str)
            f.attrs[keys.DS_INPUT_HASHES] = json.dumps(ds.input_hashes, sort_keys=True)
            f.attrs[keys.DS_CONTENT_HASH] = ds.content_hash()
            g = f.create_group(keys.DS_CORES)
            sizes = [len(c) for c in ds.cores]
            g.create_dataset(keys.DS_CORE_OFFSETS, data=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
            g.create_dataset(
                keys.DS_CORE_NUMBERS,
                data=np.concatenate([c.numbers for c in ds.cores]).astype(np.int32) if ds.cores else np.zeros(0, np.int32),
            )
            g.create_dataset(
                keys.DS_CORE_POSITIONS,
                data=np.concatenate([c.get_positions() for c in ds.cores]) if ds.cores else np.zeros((0, 3)),
            )
            write_text(g, keys.DS_CORE_IDS, [str(c.info.get("id", "")) for c in ds.cores])
            write_text(g, keys.DS_CORE_TYPES, [str(c.info.get("core_type", "")) for c in ds.cores])
            write_text(g, keys.DS_CORE_SOURCES, [str(c.info.get("source", "")) for c in ds.cores])
            write_text(g, keys.DS_CORE_INFO, [_info_json(c) for c in ds.cores])
            p = f.create_group(keys.DS_PAIRS)
            p.create_dataset(keys.DS_PAIR_CORE, data=np.array([r.core_index for r in ds.pairs], dtype=np.int64))
            write_text(p, keys.DS_PAIR_LIGANDS, [r.ligand_set.key for r in ds.pairs])
            write_text(p, keys.DS_PAIR_RATIOS,
                       [json.dumps(list(r.ligand_set.ratios)) if r.ligand_set.ratios is not None else "" for r in ds.pairs])
            p.create_dataset(keys.DS_PAIR_LABEL, data=np.array([r.label for r in ds.pairs], dtype=np.int8))
            write_text(p, keys.DS_PAIR_SPLIT, [r.split for r in ds.pairs])
            write_text(p, keys.DS_PAIR_GROUP, [r.group for r in ds.pairs])
            write_text(p, keys.DS_PAIR_ORIGIN, [r.origin for r in ds.pairs])


def is_dataset_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a readable HDF5 file whose format attribute says colim dataset."""
    try:
        with h5py.File(path, "r") as f:
            fmt = f.attrs.get(keys.FORMAT)
    except OSError:
        return False
    return (fmt.decode() if isinstance(fmt, bytes) else fmt) == keys.DATASET_FORMAT


def load_dataset(path: str | os.PathLike) -> MatchingDataset:
    """Read a dataset file; a missing, corrupt or non-dataset file raises :class:`LibraryError`."""
    path = Path(path)
    if not path.is_file():
        raise LibraryError(f"{path}: no such dataset file")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise LibraryError(f"{path}: not an HDF5 file (corrupt or wrong format)") from None
    with f:
        fmt = f.attrs.get(keys.FORMAT)
        if isinstance(fmt, bytes):
            fmt = fmt.decode()
        if fmt != keys.DATASET_FORMAT:
            raise LibraryError(f"{path}: not a colim dataset (format '{fmt}', expected '{keys.DATASET_FORMAT}')")
        version = int(f.attrs.get(keys.FORMAT_VERSION, -1))
        if version > keys.DATASET_FORMAT_VERSION:
            raise LibraryError(f"{path}: dataset format version {version} is newer than this colim reads ({keys.DATASET_FORMAT_VERSION})")
        try:
            g, p = f[keys.DS_CORES], f[keys.DS_PAIRS]
            offsets = g[keys.DS_CORE_OFFSETS][()]
            numbers = g[keys.DS_CORE_NUMBERS][()]
            positions = g[keys.DS_CORE_POSITIONS][()]
            infos = read_text(g, keys.DS_CORE_INFO)
            cores = []
            for i, info in enumerate(infos):
                atoms = Atoms(numbers=numbers[offsets[i] : offsets[i + 1]], positions=positions[offsets[i] : offsets[i + 1]])
                atoms.info = json.loads(info)
                cores.append(atoms)
            ratios = read_text(p, keys.DS_PAIR_RATIOS)
            pairs = [
                PairRecord(
                    core_index=int(ci),
                    ligand_set=LigandSet.of(lig.split("."), json.loads(rat) if rat else None),
                    label=int(lab),
                    split=split,
                    group=group,
                    origin=origin,
                )
                for ci, lig, rat, lab, split, group, origin in zip(
                    p[keys.DS_PAIR_CORE][()],
                    read_text(p, keys.DS_PAIR_LIGANDS),
                    ratios,
                    p[keys.DS_PAIR_LABEL][()],
                    read_text(p, keys.DS_PAIR_SPLIT),
                    read_text(p, keys.DS_PAIR_GROUP),
                    read_text(p, keys.DS_PAIR_ORIGIN),
                )
            ]
            params = json.loads(f.attrs[keys.DS_PARAMS])
            hashes = json.loads(f.attrs[keys.DS_INPUT_HASHES])
        except (KeyError, ValueError, LigandError, IndexError) as exc:
            raise LibraryError(f"{path}: corrupt dataset file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    ds = MatchingDataset(cores=cores, pairs=pairs, params=params, input_hashes=hashes)
    bad = [r.core_index for r in pairs if not 0 <= r.core_index < len(cores)]
    if bad:
        raise LibraryError(f"{path}: corrupt dataset file (pair refers to core {bad[0]} of {len(cores)})")
    return ds
