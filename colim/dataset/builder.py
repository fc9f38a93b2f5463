"""Build a matching dataset: structures (files, folders, a CSV of curated rows) → cores + ligand sets → pairs.

Pipeline: read and perceive every structure → geometry classes → deduplicate (same geometry class
and same ligand set = one record) → type I/II → sampled negatives (1 per positive, fewer where a
reported negative already balances) → grouped split. :func:`build` also returns a report of
everything skipped, anchor-only or short of negatives; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from ase import Atoms
from colim.progress import progress_bar

from colim.dataset.geometry import RMSD_THRESHOLD, geometry_classes
from colim.dataset.negatives import grouped_split, sample_class_negatives
from colim.dataset.perception import PERCEPTION_TOLERANCE, Perception, perceive
from colim.dataset.records import MatchingDataset, PairRecord
from colim.errors import ColimError, StructureError
from colim.hashing import file_sha256
from colim.io.cluster_charges import stated_charge
from colim.io.structure_readers import FORMATS, read_structure
from colim.structures.core import CHARGE_SOURCE, CLUSTER_CHARGE, OXIDATION_STATE, make_core
from colim.structures.oxidation import mean_oxidation_state
from colim.structures.ligand_files import read_ligand_file
from colim.structures.ligands import LigandSet

DEFAULT_SPLIT = (0.8, 0.1, 0.1)
DEFAULT_CARBON_MARGIN = 2
CSV_COLUMNS = ("structure", "ligands", "label")


@dataclass
class InputRecord:
    """One reported (core, ligand set, label) before deduplication."""

    core: Atoms
    ligand_set: LigandSet
    label: int = 1
    source: str = ""


@dataclass
class BuildReport:
    """What the builder read, skipped and could not balance, for the build summary."""

    structures: int = 0
    records: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    anchor_only: list[tuple[str, str]] = field(default_factory=list)  # (source, core formula)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        out = [f"read {self.structures} structure(s) into {self.records} record(s); {self.duplicates} duplicate(s) merged"]
        if self.anchor_only:
            out.append(
                f"{len(self.anchor_only)} anchor-only structure(s) (truncated S anchors, no ligand set; "
                "--anchor-placeholder writes [S]C): " + ", ".join(f"{Path(src).name} ({formula})" for src, formula in self.anchor_only)
            )
        for src, why in self.skipped:
            out.append(f"skipped {src}: {why}")
        out.extend(self.notes)
        return out


def collect_inputs(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand folders (recursively, structure and CSV files by suffix) into a sorted list of files."""
    out: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and (FORMATS.find(p) is not None or p.suffix.lower() == ".csv")))
        elif path.is_file():
            out.append(path)
        else:
            raise StructureError(f"{path}: no such file or folder")
    return out


def read_ligand_pool(path: str | os.PathLike) -> list[str]:
    """Sorted canonical SMILES of a ligand list (``.smi`` or ``.csv``, see :mod:`colim.structures.ligand_files`)."""
    return sorted({ligand.smiles for ligand in read_ligand_file(path, normalise=False)})


def _core_from(atoms: Atoms, source: str, ligand_set: LigandSet | None, label: int, report: BuildReport, tolerance: float,
               anchor_placeholder: bool, hashes: dict) -> InputRecord | None:
    perceived = perceive(atoms, tolerance=tolerance, anchor_placeholder=anchor_placeholder)
    core = make_core(perceived.core, str(atoms.info.get("id", Path(source).stem)))
    core.info["source"] = source
    _charge_core(core, atoms, source, perceived, hashes)
    for note in perceived.notes:
        if not note.startswith("anchor-only"):
            report.notes.append(f"{source}: {note}")
    ligands = ligand_set or perceived.ligand_set
    if ligands is None:
        if perceived.anchor_only:
            report.anchor_only.append((source, core.get_chemical_formula()))
        else:
            report.skipped.append((source, f"no ligand perceived (bare {core.get_chemical_formula()} cluster) and none given"))
        return None
    return InputRecord(core, ligands, label, source)


def _charge_core(core: Atoms, atoms: Atoms, source: str, perceived: Perception, hashes: dict) -> None:
    """Give ``core`` the whole cluster's stated charge (:func:`colim.io.cluster_charges.stated_charge`) and, where
    every ligand was counted, its metals' mean formal oxidation state (:mod:`colim.structures.oxidation`); an
    oxidation state the structure's own ``info`` states is kept. Unknown stays absent. The file stating the
    charge joins the input hashes."""
    stated = stated_charge(source, atoms)
    if stated is None:
        return
    core.info[CLUSTER_CHARGE], core.info[CHARGE_SOURCE] = stated.charge, stated.where
    if str(stated.file) not in hashes:
        hashes[str(stated.file)] = file_sha256(stated.file)
    if OXIDATION_STATE not in core.info and perceived.counts_every_ligand:
        state = mean_oxidation_state(core, perceived.ligands, stated.charge)
        if state is not None:
            core.info[OXIDATION_STATE] = round(state, 6)


def _with_charge_of(kept: InputRecord, duplicate: InputRecord, report: BuildReport) -> InputRecord:
    """``kept`` (a record deduplication keeps), given the stated charge and oxidation state of ``duplicate`` (the
    same cluster: same geometry class and ligand set) when ``kept`` has none and both cores have one formula:
    a CIF of Au25(SR)18 then carries the charge NC_Database states for its Au25(SCH3)18 file."""
    if CLUSTER_CHARGE in kept.core.info or CLUSTER_CHARGE not in duplicate.core.info:
        return kept
    if kept.core.get_chemical_formula() != duplicate.core.get_chemical_formula():
        return kept
    core = kept.core.copy()
    core.info = dict(kept.core.info)
    for key in (CLUSTER_CHARGE, CHARGE_SOURCE, OXIDATION_STATE):
        if key in duplicate.core.info:
            core.info[key] = duplicate.core.info[key]
    report.notes.append(f"{kept.source}: charge {core.info[CLUSTER_CHARGE]:+d} from its duplicate {duplicate.source} ({core.info[CHARGE_SOURCE]})")
    return dataclasses.replace(kept, core=core)


def _read_csv(path: Path, report: BuildReport, hashes: dict, tolerance: float, anchor_placeholder: bool) -> list[InputRecord]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "structure" not in reader.fieldnames:
            raise StructureError(f"{path}: a dataset CSV needs a 'structure' column (optional: 'ligands', 'label')")
        rows = list(reader)
    out = []
    for number, row in enumerate(rows, start=2):
        where = f"{path}:{number}"
        try:
            file = Path(row["structure"].strip())
            file = file if file.is_absolute() else path.parent / file
            text = (row.get("ligands") or "").strip()
            label_text = (row.get("label") or "").strip()
            label = int(label_text) if label_text else 1
            if label not in (0, 1):
                raise ColimError(f"label must be 0 or 1, got {label_text}")
            if label == 0 and not text:
                raise ColimError("a reported negative (label 0) needs its ligands")
            atoms = read_structure(file)
            hashes[str(file)] = file_sha256(file)
            report.structures += 1
            record = _core_from(atoms, str(file), LigandSet.parse(text) if text else None, label, report, tolerance, anchor_placeholder, hashes)
        except (ColimError, ValueError) as exc:
            report.skipped.append((where, str(exc)))
            continue
        if record is not None:
            out.append(record)
    return out


def read_records(
    inputs: Sequence[str | os.PathLike],
    report: BuildReport,
    hashes: dict,
    tolerance: float = PERCEPTION_TOLERANCE,
    anchor_placeholder: bool = False,
    progress: bool = False,
) -> list[InputRecord]:
    """Read every input (structure files, folders, CSVs) into records; failures go to ``report.skipped``."""
    records: list[InputRecord] = []
    for path in progress_bar(collect_inputs(inputs), desc="perceiving", unit="file", disable=not progress):
        if path.suffix.lower() == ".csv":
            hashes[str(path)] = file_sha256(path)
            records.extend(_read_csv(path, report, hashes, tolerance, anchor_placeholder))
            continue
        try:
            atoms = read_structure(path)
            hashes[str(path)] = file_sha256(path)
            report.structures += 1
            record = _core_from(atoms, str(path), None, 1, report, tolerance, anchor_placeholder, hashes)
        except ColimError as exc:
            report.skipped.append((str(path), str(exc).replace(f"{path}: ", "")))
            continue
        if record is not None:
            records.append(record)
    return records


def _unique_ids(cores: list[Atoms]) -> None:
    seen: dict[str, int] = {}
    for core in cores:
        base = str(core.info.get("id"))
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            core.info["id"] = f"{base}-{seen[base]}"


def _deduplicate(records: Sequence[InputRecord], classes: Sequence[str], report: BuildReport) -> dict[tuple[str, str], tuple[InputRecord, str]]:
    """One record per (geometry class, ligand set): the first, or the positive where a reported negative
    conflicts; it takes a duplicate's stated charge when it has none (:func:`_with_charge_of`)."""
    kept: dict[tuple[str, str], tuple[InputRecord, str]] = {}
    for record, klass in zip(records, classes):
        key = (klass, record.ligand_set.key)
        if key in kept:
            previous = kept[key][0]
            kept[key] = (_with_charge_of(previous, record, report), klass)
            if previous.label != record.label:
                report.notes.append(f"conflict: {record.ligand_set.key} on {klass} is both reported and a reported negative; kept as positive")
                if record.label == 1:
                    kept[key] = (record, klass)
            report.duplicates += 1
            continue
        kept[key] = (record, klass)
    return kept


def dataset_from_records(
    records: Sequence[InputRecord],
    *,
    seed: int = 0,
    carbon_margin: int = DEFAULT_CARBON_MARGIN,
    split: Sequence[float] = DEFAULT_SPLIT,
    rmsd_threshold: float = RMSD_THRESHOLD,
    ligand_pool: Sequence[str] = (),
    report: BuildReport | None = None,
    params: dict | None = None,
    input_hashes: dict | None = None,
    negative_kinds: str = "matched",
) -> MatchingDataset:
    """Deduplicate, classify, sample negatives and split in-memory records into a :class:`MatchingDataset`."""
    report = report if report is not None else BuildReport()
    if len(split) != 3 or any(f < 0 for f in split) or abs(sum(split) - 1.0) > 1e-6:
        raise ColimError(f"split fractions must be three non-negative numbers summing to 1, got {','.join(str(f) for f in split)}")
    kept = _deduplicate(records, geometry_classes([r.core for r in records], rmsd_threshold), report)
    report.records = len(kept)
    positives_by_class: dict[str, list[InputRecord]] = {}
    negatives_by_class: dict[str, list[InputRecord]] = {}
    for record, klass in kept.values():
        (positives_by_class if record.label == 1 else negatives_by_class).setdefault(klass, []).append(record)
    core_type = {k: ("II" if len(v) > 1 else "I") for k, v in positives_by_class.items()}
    cores: list[Atoms] = []
    index_of: dict[int, int] = {}

    def core_index(record: InputRecord, klass: str) -> int:
        if id(record.core) not in index_of:
            core = record.core.copy()
            core.info = dict(record.core.info)
            core.info["core_type"] = core_type.get(klass, "I")
            core.info["geometry_class"] = klass
            index_of[id(record.core)] = len(cores)
            cores.append(core)
        return index_of[id(record.core)]

    pool = sorted({s for r, _ in kept.values() for s in r.ligand_set.smiles} | set(ligand_pool))
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, LigandSet, int, str, str]] = []
    for klass in sorted(set(positives_by_class) | set(negatives_by_class)):
        positives = positives_by_class.get(klass, [])
        reported = negatives_by_class.get(klass, [])
        for r in positives:
            rows.append((core_index(r, klass), r.ligand_set, 1, klass, "reported"))
        for r in reported:
            rows.append((core_index(r, klass), r.ligand_set, 0, klass, "reported_negative"))
        if not positives:
            continue
        sampled = sample_class_negatives(
            [r.ligand_set for r in positives], core_type[klass], pool, len(positives) - len(reported), carbon_margin, rng,
            forbidden={r.ligand_set.key for r in reported}, kinds=negative_kinds,
        )
        for which, ligand_set in sampled.negatives:
            rows.append((core_index(positives[which], klass), ligand_set, 0, klass, "sampled"))
        if sampled.shortfall:
            report.notes.append(f"{klass} (type {core_type[klass]}): {sampled.shortfall} negative(s) short: {sampled.reason}")
    _unique_ids(cores)
    groups = [f"{klass}|{ligand_set.key}" for _, ligand_set, _, klass, _ in rows]
    assignment = grouped_split(groups, split, seed)
    pairs = [
        PairRecord(core_index=ci, ligand_set=ls, label=label, split=assignment[group], group=group, origin=origin)
        for (ci, ls, label, _, origin), group in zip(rows, groups)
    ]
    all_params = {"seed": seed, "carbon_margin": carbon_margin, "split": list(split), "rmsd_threshold": rmsd_threshold, "ligand_pool_size": len(set(ligand_pool)),
                  "negative_kinds": negative_kinds}
    all_params.update(params or {})
    return MatchingDataset(cores=cores, pairs=pairs, params=all_params, input_hashes=dict(input_hashes or {}))


def build(
    inputs: Sequence[str | os.PathLike],
    *,
    seed: int = 0,
    carbon_margin: int = DEFAULT_CARBON_MARGIN,
    split: Sequence[float] = DEFAULT_SPLIT,
    rmsd_threshold: float = RMSD_THRESHOLD,
    ligand_pool: str | os.PathLike | None = None,
    anchor_placeholder: bool = False,
    tolerance: float = PERCEPTION_TOLERANCE,
    progress: bool = False,
    negative_kinds: str = "matched",
) -> tuple[MatchingDataset, BuildReport]:
    """Build a dataset from structure files, folders and CSVs; return it with the build report."""
    start = time.perf_counter()
    report = BuildReport()
    hashes: dict[str, str] = {}
    pool: list[str] = []
    if ligand_pool is not None:
        pool = read_ligand_pool(ligand_pool)
        hashes[str(ligand_pool)] = file_sha256(ligand_pool)
    records = read_records(inputs, report, hashes, tolerance, anchor_placeholder, progress)
    if not records:
        raise StructureError("no core with a ligand set among the inputs: " + "; ".join(report.lines()[1:4]))
    params = {
        "inputs": [str(p) for p in inputs],
        "ligand_pool": str(ligand_pool) if ligand_pool is not None else None,
        "anchor_placeholder": anchor_placeholder,
        "bond_tolerance": tolerance,
    }
    ds = dataset_from_records(
        records, seed=seed, carbon_margin=carbon_margin, split=split, rmsd_threshold=rmsd_threshold,
        ligand_pool=pool, report=report, params=params, input_hashes=hashes, negative_kinds=negative_kinds,
    )
    report.seconds = time.perf_counter() - start
    return ds, report


def build_dataset(inputs: Sequence[str | os.PathLike], **options) -> MatchingDataset:
    """Build a dataset from structure files, folders and CSVs (see :func:`build` for the options)."""
    return build(inputs, **options)[0]
