"""MetaLig as a dataset source: which ligands real metal centres carry, from mononuclear CSD complexes.

MetaLig (v1.1.0, MIT, Sommer et al.; see ``libraries/metalig/README.md``) lists ligands as graphs with
donor atoms and formal charges, and the complexes (CSD refcode, metal, oxidation state, charge) they came
from. This module turns a MetaLig folder (``ligands.csv.gz``, ``complexes.csv.gz``,
``ligand_graphs.jsonl.gz``) into a :class:`MatchingDataset`:

* ligands: graphs → colim SMILES (:mod:`colim.structures.ligand_graphs`; the SMILES column where a graph
  fails), their family (:func:`colim.structures.families.ligand_family`);
* observations: a charge-balanced complex (oxidation state + ligand charges = complex charge, at most
  :data:`MAX_LIGAND_KINDS` kinds) gives its whole ligand set, with the counts as ratios; any other complex
  gives each of its ligands as a single-ligand observation;
* cores: a complex's core is its metal atom, one core per (metal, oxidation state), the oxidation state in
  ``core.info["oxidation_state"]`` (absent where MetaLig has none);
* labels: :mod:`colim.dataset.metal_labels` (negatives seen on another metal, never on this one,
  frequency-matched); split: :mod:`colim.dataset.scaffolds` (no ligand scaffold on two sides).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols
from rdkit import Chem

from colim.dataset.builder import DEFAULT_SPLIT, BuildReport
from colim.dataset.metal_labels import Positive, sample_metal_negatives
from colim.dataset.records import MatchingDataset, PairRecord
from colim.dataset.scaffolds import assign_scaffolds, item_split, scaffold_group, set_scaffolds
from colim.errors import ColimError, StructureError
from colim.hashing import file_sha256
from colim.progress import progress_bar
from colim.structures.core import OXIDATION_STATE
from colim.structures.families import ligand_family
from colim.structures.ligand_graphs import LigandGraph, graph_smiles
from colim.structures.ligands import MAX_LIGAND_KINDS, LigandSet, canonical_smiles

#: the three files of a MetaLig folder.
LIGANDS_FILE = "ligands.csv.gz"
COMPLEXES_FILE = "complexes.csv.gz"
GRAPHS_FILE = "ligand_graphs.jsonl.gz"
METALIG_FILES = (LIGANDS_FILE, COMPLEXES_FILE, GRAPHS_FILE)
#: the metals a MetaLig dataset holds unless told otherwise.
DEFAULT_METALS = ("Cu", "Ag", "Au")
#: ``core_type`` of a single-metal-atom core from a mononuclear complex.
COMPLEX_CORE_TYPE = "complex"


def is_metalig_folder(path: str | os.PathLike) -> bool:
    """True when ``path`` is a folder holding the three MetaLig files."""
    p = Path(path)
    return p.is_dir() and all((p / name).is_file() for name in METALIG_FILES)


@dataclass(frozen=True)
class MetaLigLigand:
    """One MetaLig ligand as colim sees it."""

    ligand_id: str
    smiles: str
    charge: int
    family: str


@dataclass(frozen=True)
class Observation:
    """A ligand set seen on a metal centre in one CSD complex (``whole``: the complex's full, balanced set)."""

    metal: str
    oxidation_state: int | None
    ligand_set: LigandSet
    refcode: str
    whole: bool


def _rows(path: Path) -> Iterable[dict[str, str]]:
    with gzip.open(path, "rt", newline="") as fh:
        yield from csv.DictReader(fh)


def _oxidation_state(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(round(value)) if math.isfinite(value) else None


def parse_metals(metals: str | Sequence[str]) -> tuple[str, ...]:
    """``"Cu,Ag,Au"`` or a list → element symbols; an unknown symbol raises :class:`ColimError`."""
    items = [m.strip() for m in (metals.split(",") if isinstance(metals, str) else metals) if m.strip()]
    bad = [m for m in items if m not in chemical_symbols[1:]]
    if bad or not items:
        raise ColimError(f"--metals needs element symbols such as Cu,Ag,Au, got '{','.join(bad) if bad else metals}'")
    return tuple(dict.fromkeys(items))


def read_complexes(folder: str | os.PathLike, metals: Sequence[str]) -> list[dict[str, str]]:
    """The rows of ``complexes.csv.gz`` whose metal is one of ``metals``."""
    wanted = set(metals)
    return [row for row in _rows(Path(folder) / COMPLEXES_FILE) if row["metal"] in wanted]


def read_ligands(folder: str | os.PathLike, wanted: set[str] | None = None, progress: bool = False) -> tuple[dict[str, MetaLigLigand], list[str]]:
    """Ligands of ``folder`` (only ``wanted`` ids when given) → ``{ligand_id: MetaLigLigand}`` and the ids
    neither the graph nor the SMILES column made a molecule of."""
    folder = Path(folder)
    column = {row["ligand_id"]: row for row in _rows(folder / LIGANDS_FILE) if wanted is None or row["ligand_id"] in wanted}
    out: dict[str, MetaLigLigand] = {}
    failed: list[str] = []
    with gzip.open(folder / GRAPHS_FILE, "rt") as fh:
        for line in progress_bar(fh, desc="ligand graphs", unit="ligand", disable=not progress):
            record = json.loads(line)
            lid = record["ligand_id"]
            if lid not in column:
                continue
            graph = LigandGraph.from_json(record)
            smiles = graph_smiles(graph) or _smiles_column(column[lid].get("smiles", ""))
            if smiles is None:
                failed.append(lid)
                continue
            out[lid] = MetaLigLigand(lid, smiles, graph.charge, ligand_family(smiles))
    failed.extend(sorted(set(column) - set(out) - set(failed)))
    return out, failed


def _smiles_column(text: str) -> str | None:
    if not text or Chem.MolFromSmiles(text) is None:
        return None
    return canonical_smiles(text)


def observations(complexes: Sequence[dict[str, str]], ligands: dict[str, MetaLigLigand]) -> list[Observation]:
    """Whole sets from charge-balanced complexes, single-ligand observations from the others."""
    out = []
    for row in complexes:
        ids = row["ligand_ids"].split()
        known = [ligands[i] for i in ids if i in ligands]
        os_ = _oxidation_state(row["metal_os"])
        counts = Counter(lig.smiles for lig in known)
        charge = _oxidation_state(row["complex_charge"])
        balanced = (
            os_ is not None and charge is not None and len(known) == len(ids) and known
            and os_ + sum(lig.charge for lig in known) == charge and len(counts) <= MAX_LIGAND_KINDS
        )
        if balanced:
            out.append(Observation(row["metal"], os_, LigandSet.of(list(counts), list(counts.values())), row["complex_id"], True))
        else:
            for smiles in sorted(counts):
                out.append(Observation(row["metal"], os_, LigandSet.of([smiles]), row["complex_id"], False))
    return out


def observation_counts(obs: Sequence[Observation]) -> tuple[Counter[str], dict[str, set[str]], dict[str, set[str]]]:
    """Per set key: how many complexes hold it (its overall frequency, what negatives are matched on) and on
    which metals it was seen; per ligand SMILES: on which metals it was seen."""
    frequency: Counter[str] = Counter()
    set_metals: dict[str, set[str]] = defaultdict(set)
    ligand_metals: dict[str, set[str]] = defaultdict(set)
    counted: set[tuple[str, str, str]] = set()
    for o in obs:
        if (o.refcode, o.metal, o.ligand_set.key) not in counted:
            counted.add((o.refcode, o.metal, o.ligand_set.key))
            frequency[o.ligand_set.key] += 1
        set_metals[o.ligand_set.key].add(o.metal)
        for s in o.ligand_set.smiles:
            ligand_metals[s].add(o.metal)
    return frequency, set_metals, ligand_metals


def metal_core(metal: str, oxidation_state: int | None) -> Atoms:
    """The core of a mononuclear complex: its metal atom, with the oxidation state where known."""
    core = Atoms(metal, positions=[[0.0, 0.0, 0.0]])
    core.info["id"] = f"{metal}({oxidation_state:+d})" if oxidation_state is not None else f"{metal}(?)"
    core.info["core_type"] = COMPLEX_CORE_TYPE
    core.info["source"] = "metalig"
    if oxidation_state is not None:
        core.info[OXIDATION_STATE] = float(oxidation_state)
    return core


def dataset_from_observations(obs: Sequence[Observation], *, seed: int = 0, split: Sequence[float] = DEFAULT_SPLIT,
                              report: BuildReport | None = None) -> MatchingDataset:
    """Cores per (metal, oxidation state), deduplicated positives, metal-conditional negatives, scaffold split."""
    report = report if report is not None else BuildReport()
    core_keys = sorted({(o.metal, o.oxidation_state) for o in obs}, key=lambda k: (k[0], k[1] is None, k[1] or 0))
    cores = [metal_core(m, s) for m, s in core_keys]
    index = {k: i for i, k in enumerate(core_keys)}
    frequency, set_metals, ligand_metals = observation_counts(obs)
    unique: dict[tuple[int, str], LigandSet] = {}
    for o in obs:
        unique.setdefault((index[(o.metal, o.oxidation_state)], o.ligand_set.key), LigandSet.of(o.ligand_set.smiles))
    items = sorted(unique.items())
    assignment = assign_scaffolds((set_scaffolds(ls) for _, ls in items), split, seed)
    positives, straddling = [], 0
    for (ci, _), ls in items:
        side = item_split(set_scaffolds(ls), assignment)
        if side is None:
            straddling += 1
            continue
        positives.append(Positive(ci, core_keys[ci][0], ls, side))
    labels = sample_metal_negatives(positives, frequency, set_metals, ligand_metals, np.random.default_rng(seed))
    pairs = []
    for i in labels.kept:
        p = positives[i]
        pairs.append(PairRecord(p.core_index, p.ligand_set, 1, p.split, scaffold_group(p.ligand_set), "reported"))
    for i, negative in labels.negatives:
        p = positives[i]
        pairs.append(PairRecord(p.core_index, negative, 0, p.split, scaffold_group(negative), "sampled"))
    report.records = len(unique)
    report.notes.append(f"{straddling} observed set(s) dropped: their ligands' scaffolds fell on two sides of the split")
    report.notes.append(f"{labels.dropped} positive(s) dropped: no unused negative of their frequency bin on their metal")
    params = {"source": "metalig", "seed": seed, "split": list(split), "split_by": "ligand scaffold",
              "negatives": "seen on another metal, never on this one; frequency-matched"}
    return MatchingDataset(cores=cores, pairs=pairs, params=params)


def build_metalig(folder: str | os.PathLike, *, metals: str | Sequence[str] = DEFAULT_METALS, seed: int = 0,
                  split: Sequence[float] = DEFAULT_SPLIT, progress: bool = False) -> tuple[MatchingDataset, BuildReport]:
    """Build the metal-conditional dataset of a MetaLig folder for ``metals``; return it with its report."""
    start = time.perf_counter()
    folder = Path(folder)
    if not is_metalig_folder(folder):
        raise StructureError(f"{folder}: not a MetaLig folder (needs {', '.join(METALIG_FILES)})")
    chosen = parse_metals(metals)
    report = BuildReport()
    complexes = read_complexes(folder, chosen)
    if not complexes:
        raise StructureError(f"{folder}: no complex of {','.join(chosen)}")
    wanted = {i for row in complexes for i in row["ligand_ids"].split()}
    ligands, failed = read_ligands(folder, wanted, progress)
    report.structures = len(complexes)
    if failed:
        report.notes.append(f"{len(failed)} ligand(s) without a valid molecule (graph nor SMILES), left out: " + ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else ""))
    obs = observations(complexes, ligands)
    whole = sum(1 for o in obs if o.whole)
    report.notes.append(f"{whole} charge-balanced complex(es) gave whole ligand sets; the other complexes gave {len(obs) - whole} single-ligand observation(s)")
    ds = dataset_from_observations(obs, seed=seed, split=split, report=report)
    ds.params.update({"inputs": [str(folder)], "metals": list(chosen)})
    ds.input_hashes = {str(folder / name): file_sha256(folder / name) for name in METALIG_FILES}
    report.seconds = time.perf_counter() - start
    return ds, report
