"""Out-of-core views of core and ligand libraries for screening: what is small (ligands, encoder
identities, counts) is read at once; what grows with the library (core ids and provenance, core and
set embeddings, stored set members) is read in blocks, by row range or by the ids of the hits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import h5py
import numpy as np
from ase.data import chemical_symbols

from colim import keys
from colim.errors import LibraryError
from colim.libraries import ligand_library as ll
from colim.libraries.core_library import FORMAT_VERSION as CORE_VERSION
from colim.libraries.core_library import TEXT_PROVENANCE, _check_hashes, find_embeddings
from colim.libraries.encoder_info import EncoderInfo
from colim.libraries.h5file import open_colim_h5, read_text
from colim.libraries.ligand_sets import SetRule, SetSpace, set_keys, set_names
from colim.libraries.rows import H5Rows
from colim.structures.ligand_files import Ligand

#: rows per block of the whole-library checks (content hashes, finite embeddings): bounded memory.
CHECK_BLOCK = 65536


def _check_finite(path, ds, what: str, info: EncoderInfo, command: str) -> None:
    for a in range(0, ds.shape[0], CHECK_BLOCK):
        if not np.isfinite(ds[a : a + CHECK_BLOCK]).all():
            raise LibraryError(f"{path}: the {what} embeddings of {info.describe()} contain NaN or infinity; rebuild the library with 'colim library {command} ... --overwrite'")


def _text_rows(ds, a: int, b: int) -> np.ndarray:
    values = ds[a:b]
    return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in values], dtype=object)


@dataclass
class CoreLibraryView:
    """A core library opened for screening: counts, hash and embedding sources; fields read per block."""

    path: str
    size: int
    content_hash: str
    embeddings: list[tuple[EncoderInfo, H5Rows]]

    def __len__(self) -> int:
        return self.size

    def embeddings_for(self, encoder: EncoderInfo, model_name: str = "the model") -> H5Rows:
        """The embedding rows made by ``encoder`` (LibraryError in one line when there are none)."""
        return find_embeddings(self.path, "core", self.embeddings, encoder, model_name)

    def fields(self, a: int, b: int) -> dict[str, np.ndarray]:
        """``id``, provenance (``parent, operator, site, element, depth``) and the element symbols (``elements``,
        one set per core, for the applicability domain) of cores ``a:b``."""
        with h5py.File(self.path, "r") as f:
            g = f[keys.CORES]
            out = {"id": _text_rows(g[keys.CORE_IDS], a, b)}
            for name, ds in TEXT_PROVENANCE.items():  # a field an older library lacks reads as empty text
                out[name] = _text_rows(g[ds], a, b) if ds in g else np.full(b - a, "", dtype=object)
            out["depth"] = np.asarray(g[keys.CORE_DEPTH][a:b], dtype=np.int64)
            off = np.asarray(g[keys.CORE_OFFSETS][a : b + 1], dtype=np.int64)
            numbers = np.asarray(g[keys.CORE_NUMBERS][off[0] : off[-1]])
            out["elements"] = [{chemical_symbols[z] for z in np.unique(numbers[i - off[0] : j - off[0]])} for i, j in zip(off[:-1], off[1:])]
        return out


def open_core_library(path: str | os.PathLike) -> CoreLibraryView:
    """Open a core library without reading its cores or embeddings."""
    with open_colim_h5(path, keys.CORE_LIBRARY_FORMAT, CORE_VERSION) as f:
        g = f[keys.CORES]
        size = int(g[keys.CORE_IDS].shape[0])
        offsets = g[keys.CORE_OFFSETS]
        for a in range(0, size, CHECK_BLOCK):  # stored atoms still those the embeddings describe, block by block
            b = min(a + CHECK_BLOCK, size)
            off = np.asarray(offsets[a : b + 1], dtype=np.int64)
            _check_hashes(path, list(_text_rows(g[keys.CORE_IDS], a, b)), list(_text_rows(g[keys.CORE_HASHES], a, b)),
                          g[keys.CORE_NUMBERS][off[0] : off[-1]], g[keys.CORE_POSITIONS][off[0] : off[-1]], off - off[0])
        groups = []
        for name, e in f.get(keys.LIB_EMBEDDINGS, {}).items():
            info = EncoderInfo.read_attrs(e, str(path))
            shape = e[keys.CORE_EMBEDDINGS].shape
            if len(shape) != 2 or shape[0] != size:
                raise LibraryError(f"{path}: corrupt core library: {shape[0] if shape else 0} embeddings for {size} cores")
            _check_finite(path, e[keys.CORE_EMBEDDINGS], "core", info, "cores")
            groups.append((info, f"{keys.LIB_EMBEDDINGS}/{name}/{keys.CORE_EMBEDDINGS}"))
        content = str(f.attrs.get(keys.LIB_CONTENT_HASH, ""))
    return CoreLibraryView(str(path), size, content, [(info, H5Rows(path, ds)) for info, ds in groups])


@dataclass
class LigandLibraryView:
    """A ligand library opened for screening: ligands, per-ligand embeddings, and its sets either as
    stored rows (materialised) or as a :class:`SetSpace` (combinatorial, no per-set rows)."""

    path: str
    ligands: list[Ligand]
    num_sets: int
    content_hash: str
    groups: list[tuple[EncoderInfo, np.ndarray, str | None]]
    space: SetSpace | None = None
    _members: np.ndarray | None = field(default=None, repr=False)

    @property
    def combinatorial(self) -> bool:
        return self.space is not None

    def set_rows(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Members ``[n, 4]`` (ligand rows, -1 padding) and ratios ``[n, 4]`` of set ids."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.space is not None:
            return self.space.rows(ids)
        unique, inverse = np.unique(ids, return_inverse=True)
        with h5py.File(self.path, "r") as f:
            sg = f[keys.SETS]
            members = np.asarray(sg[keys.SET_MEMBERS][unique] if len(unique) else np.zeros((0, 4)), dtype=np.int64)[inverse]
            ratios = np.asarray(sg[keys.SET_RATIOS][unique] if len(unique) else np.zeros((0, 4)), dtype=np.float32)[inverse]
        return members, ratios

    def describe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ligand_set keys, ligand names, families)`` of set ids, as object arrays (vectorised); families are
        joined by '.' ligand by ligand, in the order of the names."""
        unique, inverse = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
        members, ratios = self.set_rows(unique)
        smiles = [lig.smiles for lig in self.ligands]
        return (set_keys(smiles, members, ratios)[inverse], set_names([lig.name for lig in self.ligands], members)[inverse],
                set_names([lig.family for lig in self.ligands], members)[inverse])


def open_ligand_library(path: str | os.PathLike) -> LigandLibraryView:
    """Open a ligand library (materialised or combinatorial) without reading per-set rows."""
    with open_colim_h5(path, keys.LIGAND_LIBRARY_FORMAT, ll.FORMAT_VERSION) as f:
        g = f[keys.LIGANDS]
        smiles = read_text(g, keys.LIGAND_SMILES)
        ligands = [Ligand(s, n, fam) for s, n, fam in zip(smiles, read_text(g, keys.LIGAND_NAMES), read_text(g, keys.LIGAND_FAMILIES), strict=True)]
        space = None
        if ll.SET_RULE in f:
            rg = f[ll.SET_RULE]
            space = SetSpace(smiles, [lig.family for lig in ligands], SetRule.from_json(str(rg.attrs[ll.RULE_ATTR])), rg[ll.CHUNK_COUNTS][()])
            num_sets = len(space)
        else:
            num_sets = int(f[keys.SETS][keys.SET_MEMBERS].shape[0])
        groups = []
        for name, grp in f.get(keys.LIB_EMBEDDINGS, {}).items():
            info = EncoderInfo.read_attrs(grp, str(path))
            per = np.asarray(grp[keys.LIGAND_EMBEDDINGS][()], np.float32)
            _check_finite(path, grp[keys.LIGAND_EMBEDDINGS], "ligand", info, "ligands")
            if space is None:
                _check_finite(path, grp[keys.SET_EMBEDDINGS], "ligand", info, "ligands")
            ds = None
            if space is None:
                if grp[keys.SET_EMBEDDINGS].shape[0] != num_sets or per.shape[0] != len(ligands):
                    raise LibraryError(f"{path}: corrupt ligand library: embeddings do not match the ligands and sets")
                ds = f"{keys.LIB_EMBEDDINGS}/{name}/{keys.SET_EMBEDDINGS}"
            elif per.shape[0] != len(ligands):
                raise LibraryError(f"{path}: corrupt ligand library: embeddings do not match the ligands")
            groups.append((info, per, ds))
        content = str(f.attrs.get(keys.LIB_CONTENT_HASH, ""))
    return LigandLibraryView(str(path), ligands, num_sets, content, groups, space)


__all__ = ["CoreLibraryView", "LigandLibraryView", "open_core_library", "open_ligand_library"]
