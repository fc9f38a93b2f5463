"""The ligand library: ligands (canonical SMILES, names, families), the ligand sets to screen, and
per-ligand and per-set embeddings (one group per encoder weights) with a FAISS index of the sets.

Set embeddings are pooled from cached per-ligand embeddings (``LigandEncoder.pool_sets``), so adding
a ligand embeds only that ligand. Layout in docs/formats.md.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import h5py
import numpy as np
import torch

from colim import keys
from colim.encoders import LigandEncoder
from colim.errors import LibraryError, LigandError
from colim.io.output_files import atomic_output
from colim.libraries import faiss_adapter
from colim.libraries.core_library import find_embeddings
from colim.libraries.encoder_info import EncoderInfo, encoder_info, text_hash
from colim.libraries.h5file import check_data_hash, embedding_group_name, open_colim_h5, read_text, stamp_data_hash, write_header, write_text
from colim.libraries.ligand_sets import MAX_LISTED_SETS, SetRule, SetSpace, check_combinations
from colim.structures.families import ligand_family
from colim.structures.ligand_files import Ligand, Reject, read_ligand_file, read_set_file, rejects_message
from colim.structures.ligands import MAX_LIGAND_KINDS, LigandSet
from colim.structures.rdkit_interrupts import honour_interrupts

#: version 2 adds combinatorial libraries (a set rule instead of set rows); materialised ones stay version 1.
FORMAT_VERSION = 2
MATERIALISED_VERSION = 1
#: how to remake a ligand library that fails its checks.
REBUILD = "colim library ligands ... --overwrite"
#: group of a combinatorial library: attribute RULE_ATTR (the SetRule JSON) and dataset CHUNK_COUNTS.
SET_RULE = "set_rule"
RULE_ATTR = "rule"
CHUNK_COUNTS = "chunk_counts"


@dataclass
class LigandLibrary:
    """A loaded ligand library. ``embeddings`` holds ``(encoder, [L, D] ligands, [S, D] sets)`` per encoder."""

    path: str
    ligands: list[Ligand]
    sets: list[LigandSet]
    embeddings: list[tuple[EncoderInfo, np.ndarray, np.ndarray]]
    content_hash: str = ""

    def set_embeddings_for(self, encoder: EncoderInfo, model_name: str = "the model", every_model: Sequence[str] = ()) -> np.ndarray:
        """Set embeddings made by ``encoder``; a one-line LibraryError when the library has none."""
        groups = [(info, sets) for info, _, sets in self.embeddings]
        return find_embeddings(self.path, "ligand", groups, encoder, model_name, every_model)

    def set_families(self) -> list[str]:
        """The family of each ligand of each set joined by '.', in the order of the set's SMILES and names
        (``thiolate.phosphine`` beside ``PET.PPh3``), so the columns line up ligand by ligand."""
        fam = {lig.smiles: lig.family for lig in self.ligands}
        return [".".join(fam[s] for s in ls.smiles) for ls in self.sets]


def smiles_hash(smiles: str) -> str:
    """Content hash of one ligand (sha256 of its canonical SMILES)."""
    return hashlib.sha256(smiles.encode()).hexdigest()


def combination_sets(smiles: Sequence[str], max_kinds: int) -> list[LigandSet]:
    """Every set of 1..``max_kinds`` distinct ligands of ``smiles``."""
    if not 1 <= max_kinds <= MAX_LIGAND_KINDS:
        raise LibraryError(f"--max-kinds must be between 1 and {MAX_LIGAND_KINDS}, got {max_kinds}")
    check_combinations(len(smiles), 1, max_kinds, MAX_LISTED_SETS, "sets a library lists one row each (use --kinds for a combinatorial library)")
    return [LigandSet(tuple(sorted(combo))) for k in range(1, max_kinds + 1) for combo in itertools.combinations(sorted(smiles), k)]


def _unique_sets(sets: Sequence[LigandSet]) -> list[LigandSet]:
    return list({str(s): s for s in sets}.values())


class UnusableLigands(LigandError):
    """Ligands an encoder cannot embed: every one of them, as ``failures`` (SMILES, reason), not only the first."""

    def __init__(self, failures: list[tuple[str, str]]):
        self.failures = failures
        super().__init__("; ".join(reason for _, reason in failures))


@torch.no_grad()
def embed_ligands(encoder: LigandEncoder, smiles: Sequence[str], batch_size: int = 256) -> np.ndarray:
    """Per-ligand embeddings ``[L, D]`` in eval mode; :class:`UnusableLigands` names every ligand the encoder
    cannot featurise (tried one by one once a batch failed)."""
    was = encoder.training
    encoder.eval()
    try:
        with honour_interrupts():  # any encoder's RDKit calls (substructure search, conformers) may swallow a Ctrl-C
            parts = [encoder.embed_ligands(list(smiles[i : i + batch_size])).float().cpu() for i in range(0, len(smiles), batch_size)]
    except LigandError:
        failures = []
        for smi in smiles:
            try:
                encoder.embed_ligands([smi])
            except LigandError as exc:
                failures.append((smi, str(exc)))
        if not failures:
            raise
        raise UnusableLigands(failures) from None
    finally:
        encoder.train(was)
    return torch.cat(parts).numpy() if parts else np.zeros((0, encoder.embedding_dim), np.float32)


@torch.no_grad()
def pool_set_embeddings(encoder: LigandEncoder, per_ligand: np.ndarray, smiles: Sequence[str], sets: Sequence[LigandSet], batch_size: int = 8192) -> np.ndarray:
    """Set embeddings ``[S, D]`` pooled from cached per-ligand rows (aligned with ``smiles``)."""
    was = encoder.training
    encoder.eval()
    try:
        table = torch.from_numpy(np.asarray(per_ligand, dtype=np.float32)).to(encoder.device)
        parts = [encoder.pool_sets(table, list(smiles), list(sets[i : i + batch_size])).float().cpu() for i in range(0, len(sets), batch_size)]
    finally:
        encoder.train(was)
    return torch.cat(parts).numpy() if parts else np.zeros((0, per_ligand.shape[1]), np.float32)


def write_ligand_library(path: str | os.PathLike, ligands: Sequence[Ligand], sets: Sequence[LigandSet],
                         embeddings: Sequence[tuple[EncoderInfo, np.ndarray, np.ndarray]] = (), overwrite: bool = False) -> None:
    """Write a ligand library; every set member must be one of ``ligands``."""
    row = {lig.smiles: i for i, lig in enumerate(ligands)}
    members = np.full((len(sets), MAX_LIGAND_KINDS), -1, dtype=np.int32)
    ratios = np.zeros((len(sets), MAX_LIGAND_KINDS), dtype=np.float32)
    for s, ls in enumerate(sets):
        for m, smi in enumerate(ls.smiles):
            if smi not in row:
                raise LibraryError(f"ligand set '{ls}' uses {smi}, which is not in the ligand list")
            members[s, m] = row[smi]
        if ls.ratios is not None:
            ratios[s, : len(ls)] = ls.ratios
    hashes = [smiles_hash(lig.smiles) for lig in ligands]
    with atomic_output(path, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as f:
        write_header(f, keys.LIGAND_LIBRARY_FORMAT, MATERIALISED_VERSION)
        f.attrs[keys.LIB_CONTENT_HASH] = text_hash(hashes + [str(s) for s in sets])
        g = f.create_group(keys.LIGANDS)
        write_text(g, keys.LIGAND_SMILES, [lig.smiles for lig in ligands])
        write_text(g, keys.LIGAND_NAMES, [lig.name for lig in ligands])
        write_text(g, keys.LIGAND_FAMILIES, [lig.family for lig in ligands])
        write_text(g, keys.LIGAND_HASHES, hashes)
        sg = f.create_group(keys.SETS)
        sg.create_dataset(keys.SET_MEMBERS, data=members)
        sg.create_dataset(keys.SET_RATIOS, data=ratios)
        write_text(sg, keys.SET_KEYS, [str(s) for s in sets])
        eg = f.create_group(keys.LIB_EMBEDDINGS)
        for info, lig_emb, set_emb in embeddings:
            if lig_emb.shape[0] != len(ligands) or set_emb.shape[0] != len(sets):
                raise LibraryError(f"embeddings of {info.describe()} do not match {len(ligands)} ligands and {len(sets)} sets")
            grp = eg.create_group(embedding_group_name(info.weights_hash))
            info.write_attrs(grp)
            grp.create_dataset(keys.LIGAND_EMBEDDINGS, data=np.asarray(lig_emb, np.float32))
            set_emb = np.asarray(set_emb, np.float32)  # chunked: screening reads it block by block
            grp.create_dataset(keys.SET_EMBEDDINGS, data=set_emb, chunks=(max(1, min(len(set_emb), 8192)), set_emb.shape[1]) if set_emb.size else None)
            grp.create_dataset(keys.SET_FAISS_INDEX, data=faiss_adapter.serialize(faiss_adapter.build_index(set_emb)))
        stamp_data_hash(f)


def load_ligand_library(path: str | os.PathLike) -> LigandLibrary:
    """Read a ligand library (ligands, sets, every embedding group)."""
    with open_colim_h5(path, keys.LIGAND_LIBRARY_FORMAT, FORMAT_VERSION) as f:
        g = f[keys.LIGANDS]
        smiles = read_text(g, keys.LIGAND_SMILES)
        ligands = [Ligand(s, n, fam) for s, n, fam in zip(smiles, read_text(g, keys.LIGAND_NAMES), read_text(g, keys.LIGAND_FAMILIES), strict=True)]
        if SET_RULE in f:
            raise LibraryError(f"{path}: a combinatorial ligand library (sets generated by a rule, not stored): screen it with 'colim screen', "
                               "or rebuild it with 'colim library ligands ... --materialise' to list its sets")
        sg = f[keys.SETS]
        members, ratios = sg[keys.SET_MEMBERS][()], sg[keys.SET_RATIOS][()]
        if members.ndim != 2 or members.shape != ratios.shape or (members >= len(ligands)).any():
            raise LibraryError(f"{path}: corrupt ligand library: set members do not match the ligands")
        sets = []
        for row, rat in zip(members, ratios):
            idx = [int(i) for i in row if i >= 0]
            if not idx:
                raise LibraryError(f"{path}: corrupt ligand library: an empty ligand set")
            has = bool(rat[: len(idx)].any())
            sets.append(LigandSet.of([smiles[i] for i in idx], [float(r) for r in rat[: len(idx)]] if has else None))
        groups = []
        for grp in f.get(keys.LIB_EMBEDDINGS, {}).values():
            info = EncoderInfo.read_attrs(grp, str(path))
            lig, st = grp[keys.LIGAND_EMBEDDINGS][()], grp[keys.SET_EMBEDDINGS][()]
            if lig.shape[0] != len(ligands) or st.shape[0] != len(sets):
                raise LibraryError(f"{path}: corrupt ligand library: embeddings do not match the ligands and sets")
            if not (np.isfinite(lig).all() and np.isfinite(st).all()):
                raise LibraryError(f"{path}: the ligand embeddings of {info.describe()} contain NaN or infinity; rebuild the library with 'colim library ligands ... --overwrite'")
            groups.append((info, np.asarray(lig, np.float32), np.asarray(st, np.float32)))
        check_data_hash(f, path, "ligand library", REBUILD)  # last: the named checks above say more
        content = str(f.attrs.get(keys.LIB_CONTENT_HASH, ""))
    return LigandLibrary(str(path), ligands, sets, groups, content)


def load_set_index(path: str | os.PathLike, encoder: EncoderInfo):
    """The FAISS index of the set embeddings made by ``encoder``."""
    with open_colim_h5(path, keys.LIGAND_LIBRARY_FORMAT, FORMAT_VERSION) as f:
        name = embedding_group_name(encoder.weights_hash)
        if name not in f[keys.LIB_EMBEDDINGS]:
            raise LibraryError(f"{path}: no set index for {encoder.describe()}")
        return faiss_adapter.deserialize(f[keys.LIB_EMBEDDINGS][name][keys.SET_FAISS_INDEX][()], str(path))


def build_ligand_library(path: str | os.PathLike, ligands: Sequence[Ligand], encoders: Sequence[LigandEncoder],
                         sets: Sequence[LigandSet] | None = None, max_kinds: int = 2, append: bool = False,
                         overwrite: bool = False) -> dict[str, int]:
    """Build (or with ``append`` extend) a ligand library embedded by each of ``encoders``.

    Sets are ``sets`` when given (their ligands join the list), else every combination of 1..``max_kinds``
    ligands. Appending keeps the old ligands, sets and embeddings, embeds only new ligands (by content
    hash) and re-pools set embeddings. Returns counts: ligands, new_ligands, sets, embedded.
    """
    old = load_ligand_library(path) if append and Path(path).exists() else None
    merged: dict[str, Ligand] = {lig.smiles: lig for lig in (old.ligands if old else [])}
    before = len(merged)
    for lig in ligands:
        merged.setdefault(lig.smiles, lig)
    for ls in sets or []:
        for smi in ls.smiles:
            merged.setdefault(smi, Ligand(smi, smi, ligand_family(smi)))
    all_ligands = list(merged.values())
    smiles = [lig.smiles for lig in all_ligands]
    new_sets = list(sets) if sets is not None else combination_sets(smiles, max_kinds)
    all_sets = _unique_sets((old.sets if old else []) + new_sets)
    old_groups = {embedding_group_name(info.weights_hash): (info, lig) for info, lig, _ in (old.embeddings if old else [])}
    given = {embedding_group_name(encoder_info(enc).weights_hash) for enc in encoders}
    dropped = [info.describe() for name, (info, _) in old_groups.items() if name not in given]
    if dropped:  # rewriting without them would silently drop another model's embeddings
        raise LibraryError(f"{path}: cannot append without the model of embeddings {dropped[0]}; pass every --model the library was built with")
    groups, embedded = [], 0
    for enc in encoders:
        info = encoder_info(enc)
        cached = old_groups.get(embedding_group_name(info.weights_hash))
        if cached is not None and cached[0].mismatch(info) is None:
            fresh = smiles[before:]
            per = np.concatenate([cached[1], embed_ligands(enc, fresh)]) if fresh else cached[1]
        else:
            fresh = smiles
            per = embed_ligands(enc, smiles)
        embedded += len(fresh)
        groups.append((info, per, pool_set_embeddings(enc, per, smiles, all_sets)))
    write_ligand_library(path, all_ligands, all_sets, groups, overwrite=overwrite or append)
    return {"ligands": len(all_ligands), "new_ligands": len(all_ligands) - before, "sets": len(all_sets), "embedded": embedded}


def write_combinatorial_library(path: str | os.PathLike, ligands: Sequence[Ligand], space: SetSpace,
                                embeddings: Sequence[tuple[EncoderInfo, np.ndarray]] = (), overwrite: bool = False) -> None:
    """Write a combinatorial ligand library: the ligands, their embeddings and the set rule (with its
    per-chunk set counts), never one row per set."""
    hashes = [smiles_hash(lig.smiles) for lig in ligands]
    with atomic_output(path, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as f:
        write_header(f, keys.LIGAND_LIBRARY_FORMAT, FORMAT_VERSION)
        f.attrs[keys.LIB_CONTENT_HASH] = text_hash(hashes + ["rule:" + space.rule.to_json()])
        g = f.create_group(keys.LIGANDS)
        write_text(g, keys.LIGAND_SMILES, [lig.smiles for lig in ligands])
        write_text(g, keys.LIGAND_NAMES, [lig.name for lig in ligands])
        write_text(g, keys.LIGAND_FAMILIES, [lig.family for lig in ligands])
        write_text(g, keys.LIGAND_HASHES, hashes)
        rg = f.create_group(SET_RULE)
        rg.attrs[RULE_ATTR] = space.rule.to_json()
        rg.attrs["num_sets"] = len(space)
        rg.create_dataset(CHUNK_COUNTS, data=np.asarray(space.chunk_counts, dtype=np.int64))
        eg = f.create_group(keys.LIB_EMBEDDINGS)
        for info, lig_emb in embeddings:
            if lig_emb.shape[0] != len(ligands):
                raise LibraryError(f"embeddings of {info.describe()} do not match {len(ligands)} ligands")
            grp = eg.create_group(embedding_group_name(info.weights_hash))
            info.write_attrs(grp)
            grp.create_dataset(keys.LIGAND_EMBEDDINGS, data=np.asarray(lig_emb, np.float32))
        stamp_data_hash(f)


def build_combinatorial_library(path: str | os.PathLike, ligands: Sequence[Ligand], encoders: Sequence[LigandEncoder], rule: SetRule,
                                materialise: bool = False, overwrite: bool = False) -> dict[str, int]:
    """Build a ligand library whose sets are generated by ``rule`` (stored as the rule; with ``materialise``
    as one row per set, same ids and names). Returns counts: ligands, new_ligands, sets, embedded."""
    ligands = list({lig.smiles: lig for lig in ligands}.values())
    space = SetSpace([lig.smiles for lig in ligands], [lig.family for lig in ligands], rule)
    if not len(space):
        raise LibraryError(f"the set rules leave no ligand set out of {len(ligands)} ligands")
    if materialise and len(space) > MAX_LISTED_SETS:  # counted before any embedding
        raise LibraryError(f"--materialise would store {len(space):,} ligand sets one row each, more than {MAX_LISTED_SETS:,}; "
                           "drop --materialise: the library then keeps the rule and screens generate the sets on the fly")
    per = [(encoder_info(enc), embed_ligands(enc, [lig.smiles for lig in ligands])) for enc in encoders]
    if materialise:
        sets = space.materialise()
        groups = [(info, emb, pool_set_embeddings(enc, emb, [lig.smiles for lig in ligands], sets)) for (info, emb), enc in zip(per, encoders)]
        write_ligand_library(path, ligands, sets, groups, overwrite=overwrite)
    else:
        write_combinatorial_library(path, ligands, space, per, overwrite=overwrite)
    return {"ligands": len(ligands), "new_ligands": len(ligands), "sets": len(space), "embedded": len(ligands) * len(encoders)}


def build_skipping_invalid(build: Callable[[list[Ligand]], dict], ligands: Sequence[Ligand], source: str | os.PathLike,
                           skip_invalid: bool = False, rejects: Sequence[Reject] = (), encoders: Sequence[LigandEncoder] = ()) -> tuple[dict, list[Reject]]:
    """``build(ligands)``, where a ligand an encoder cannot featurise is not the end of a long build: every such
    ligand is named with its line in one LibraryError, or with ``skip_invalid`` left out and the build run on
    the rest. ``rejects`` are those already refused on reading (without ``skip_invalid`` the ``encoders`` then
    featurise the others first, so that the one error names every bad line). Returns the counts and every reject."""
    ligands, found = list(ligands), list(rejects)
    hint = " (--skip-invalid builds the library without them)"
    if found and not skip_invalid:
        for enc in encoders:
            try:
                embed_ligands(enc, [lig.smiles for lig in ligands])
            except UnusableLigands as exc:
                bad = dict(exc.failures)
                found += [Reject(lig.line, lig.smiles, bad[lig.smiles]) for lig in ligands if lig.smiles in bad and lig.smiles not in {r.smiles for r in found}]
        raise LibraryError(rejects_message(source, sorted(found, key=lambda r: r.line), hint if len(found) > 1 else ""))
    while True:
        try:
            return build(ligands), sorted(found, key=lambda r: r.line)
        except UnusableLigands as exc:
            bad = dict(exc.failures)
            new = [Reject(lig.line, lig.smiles, bad[lig.smiles]) for lig in ligands if lig.smiles in bad]
            if not new:  # a ligand named only in a sets file: no line of the ligand list to point at
                raise
            found += new
            if not skip_invalid:
                raise LibraryError(rejects_message(source, sorted(found, key=lambda r: r.line), hint)) from None
            ligands = [lig for lig in ligands if lig.smiles not in bad]
            if not ligands:
                raise LibraryError(f"{source}: colim can use none of its ligands; see the reasons with the first line of each") from None


def rejects_path(library: str | os.PathLike) -> Path:
    """Where the ligands left out of ``library`` are listed: ``NAME.rejects.csv`` beside it."""
    target = Path(library)
    return target.with_name(target.name + ".rejects.csv")


def write_rejects(library: str | os.PathLike, rejects: Sequence[Reject]) -> Path:
    """Write the ligands left out of ``library`` (line, SMILES, reason) beside it, replacing an older list."""
    out = rejects_path(library)
    with atomic_output(out, overwrite=True) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "smiles", "reason"])
        writer.writerows([r.line, r.smiles, r.reason] for r in rejects)
    return out


__all__ = [
    "Ligand", "LigandLibrary", "build_combinatorial_library", "build_ligand_library", "write_combinatorial_library", "combination_sets", "load_ligand_library", "load_set_index",
    "read_ligand_file", "read_set_file", "write_ligand_library",
]
