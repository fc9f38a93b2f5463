"""Composition-level positives: reported clusters known only by formula and ligands (``known_clusters.csv``), each
put on an idealised core of its nuclearity and metal composition, marked as such.

A row's core is a made-up geometry, not the cluster's: the ``metal_core`` count of atoms (``Cu28``, ``Au12Cu32``)
nearest the centre of an ASE icosahedron, with the lattice constant of the composition's mean (Vegard), the
elements filling the sites from the centre outwards in the order the formula names them. Its inorganic heart
(a central S²⁻, Se²⁻ or Cl⁻) is not placed: such atoms stay in the ligand set as the row gives them. Every
idealised core carries ``info['idealised'] = True`` and its source row (the first row of its composition); its pairs go to the training split only
(a made-up geometry is no test of the model), and their negatives are sampled by the same rules as the
structure dataset's (:func:`colim.dataset.builder.dataset_from_records`), from their own draw, so adding them
never changes a pair of the dataset they are added to.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
from ase import Atoms
from ase.cluster import Icosahedron
from ase.data import atomic_numbers, reference_states

from colim.dataset.builder import DEFAULT_CARBON_MARGIN, BuildReport, InputRecord, dataset_from_records
from colim.dataset.records import MatchingDataset
from colim.errors import ColimError, LigandError
from colim.hashing import file_sha256
from colim.structures.core import is_metal, make_core
from colim.structures.free_ligands import anchor_convention
from colim.structures.ligands import LigandSet

#: ``core.info`` key that marks a core as an idealised geometry (composition-level data, not a structure).
IDEALISED = "idealised"
#: columns a known-clusters CSV must have to give composition-level positives.
REQUIRED_COLUMNS = ("formula", "metal_core", "ligand_smiles")
_COMPOSITION = re.compile(r"([A-Z][a-z]?)(\d+)")


class IdealisedClusterError(ColimError):
    """A known-clusters file cannot give idealised positives (missing, or without the needed columns)."""


@dataclass(frozen=True)
class KnownCluster:
    """One usable row of a known-clusters CSV: its formula, metal composition and ligand set (anchor convention)."""

    formula: str
    composition: tuple[tuple[str, int], ...]  # (element, count) in the order the formula names them
    ligand_set: LigandSet
    source: str  # "file:line"
    doi: str = ""


def parse_composition(text: str) -> tuple[tuple[str, int], ...] | None:
    """``Au12Cu32`` → ``(("Au", 12), ("Cu", 32))``; None unless the whole text is metals with integer counts."""
    text = text.strip()
    parts = _COMPOSITION.findall(text)
    if not parts or "".join(f"{e}{n}" for e, n in parts) != text or not all(is_metal(e) and int(n) > 0 for e, n in parts):
        return None
    counts: dict[str, int] = {}
    for element, n in parts:
        counts[element] = counts.get(element, 0) + int(n)
    return tuple(counts.items())


def read_known_clusters(path: str | os.PathLike) -> tuple[list[KnownCluster], list[str]]:
    """The rows of a known-clusters CSV that can be idealised, and one line per row left out (a ``metal_core`` that
    is not metals with integer counts, a ligand without SMILES or with an unreadable one)."""
    try:
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            columns = reader.fieldnames or []
    except OSError as exc:
        raise IdealisedClusterError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not set(REQUIRED_COLUMNS) <= set(columns):
        raise IdealisedClusterError(f"{path}: a known-clusters CSV needs the columns {', '.join(REQUIRED_COLUMNS)}")
    clusters, skipped = [], []
    for line, row in enumerate(rows, start=2):
        name = (row.get("formula") or "").strip()
        composition = parse_composition(row.get("metal_core") or "")
        smiles = [s.strip() for s in (row.get("ligand_smiles") or "").split(";")]
        if composition is None:
            skipped.append(f"{name} (line {line}): metal core '{row.get('metal_core')}' is not metals with integer counts")
        elif any(not s for s in smiles):
            skipped.append(f"{name} (line {line}): a ligand has no SMILES")
        else:
            try:
                ligand_set = LigandSet.of([anchor_convention(s) for s in smiles])
            except LigandError as exc:
                skipped.append(f"{name} (line {line}): {exc}")
                continue
            clusters.append(KnownCluster(name, composition, ligand_set, f"{path}:{line}", (row.get("doi") or "").strip()))
    return clusters, skipped


def _lattice_constant(element: str) -> float:
    state = reference_states[atomic_numbers[element]] or {}
    if "a" not in state:
        raise ColimError(f"no reference lattice constant for {element}: cannot build an idealised core")
    return float(state["a"])


def idealised_core(composition: Sequence[tuple[str, int]], core_id: str | None = None) -> Atoms:
    """The idealised core of ``composition``: the N atoms of an icosahedron nearest its centre, elements filling
    the sites from the centre (the origin) outwards in the given order, ``info['idealised'] = True``."""
    size = sum(n for _, n in composition)
    if size < 1:
        raise ColimError("an idealised core needs at least one atom")
    a = sum(n * _lattice_constant(e) for e, n in composition) / size
    shells = 1
    while 10 * shells**3 / 3 - 5 * shells**2 + 11 * shells / 3 - 1 < size - 0.5:
        shells += 1
    seed = Icosahedron(composition[0][0], shells, latticeconstant=a)
    positions = seed.positions - seed.positions.mean(axis=0)
    order = np.argsort(np.round(np.linalg.norm(positions, axis=1), 6), kind="stable")[:size]
    symbols = [e for e, n in composition for _ in range(n)]
    core = make_core(Atoms(symbols, positions=positions[order]), core_id or "".join(f"{e}{n}" for e, n in composition))
    core.info[IDEALISED] = True
    return core


def idealised_records(clusters: Sequence[KnownCluster]) -> list[InputRecord]:
    """One positive record per known cluster, on its idealised core (one core object per composition)."""
    cores: dict[tuple, Atoms] = {}
    records = []
    for cluster in clusters:
        if cluster.composition not in cores:
            cores[cluster.composition] = idealised_core(cluster.composition, "idealised-" + "".join(f"{e}{n}" for e, n in cluster.composition))
            cores[cluster.composition].info["source"] = cluster.source
        records.append(InputRecord(cores[cluster.composition], cluster.ligand_set, 1, cluster.source))
    return records


def add_idealised_clusters(dataset: MatchingDataset, path: str | os.PathLike, *, seed: int = 0, carbon_margin: int = DEFAULT_CARBON_MARGIN,
                           ligand_pool: Sequence[str] = (), report: BuildReport | None = None) -> MatchingDataset:
    """``dataset`` plus the known clusters of ``path`` as training positives on idealised cores, each with negatives
    sampled by the builder's rules from the dataset's ligands, the clusters' and ``ligand_pool``.

    The dataset's own cores and pairs are kept as they are, in order; the new pairs follow, all in ``train``.
    """
    clusters, skipped = read_known_clusters(path)
    report = report if report is not None else BuildReport()
    for line in skipped:
        report.notes.append(f"idealised clusters: left out {line}")
    if not clusters:
        raise IdealisedClusterError(f"{path}: no row with a metal core and every ligand's SMILES")
    pool = sorted({s for p in dataset.pairs for s in p.ligand_set.smiles} | set(ligand_pool))
    extra_report = BuildReport()
    extra = dataset_from_records(idealised_records(clusters), seed=seed, carbon_margin=carbon_margin, split=(1.0, 0.0, 0.0),
                                 ligand_pool=pool, report=extra_report)
    report.notes.extend(f"idealised clusters: {note}" for note in extra_report.notes)
    offset = len(dataset.cores)
    pairs = list(dataset.pairs) + [replace(p, core_index=p.core_index + offset, group="idealised|" + p.group) for p in extra.pairs]
    positives = sum(p.label for p in extra.pairs)
    report.notes.append(f"idealised clusters: {len(extra.cores)} idealised core(s), {positives} positive(s) and "
                        f"{len(extra.pairs) - positives} negative(s) from {len(clusters)} row(s) of {path}, all in train")
    params = {**dataset.params, "idealised_clusters": str(path), "idealised_seed": seed}
    hashes = {**dataset.input_hashes, str(path): file_sha256(Path(path))}
    return MatchingDataset(cores=list(dataset.cores) + extra.cores, pairs=pairs, params=params, input_hashes=hashes)
