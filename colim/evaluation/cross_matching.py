"""Cross-matching over known clusters: is a real cluster's ligand set scored higher on a core of its own metal
than on cores of the other coinage metals?

Items are (ligand set, metal) of real clusters: the positives of a cluster dataset whose core holds one
coinage metal (NC_Database, the Au thiolates), and the rows of ``known_clusters.csv`` (formula, ligand
SMILES, ``metal_family``) whose metal is Cu, Ag or Au and whose SMILES all parse. The panel is a list of
template cores, each transmuted to every coinage metal (:func:`colim.evaluation.core_lift.transmute`), so
the cores of two metals differ only in their element. Per item, AUC of its scores on its own metal's
panel cores (positives) against the other metals' (negatives); per metal, the mean over its items.

The cross-matching AUC is the mean of the per-metal values (metals with items, each weighted alike). A
model that ignores the core ties every comparison: exactly 0.5. So does any additive model (a ligand score
plus a per-metal offset, through a monotone link) when all three metals have items: it ranks the metals
the same way for every set, so one metal's items score 1, the next 0.5 and the last 0. Only an interaction
(the ranking of metals changing with the ligand set) lifts it above 0.5. ``auc_items`` is the plain mean
over items, which a metal offset moves with the metals' item counts.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from ase import Atoms

from colim.dataset.records import MatchingDataset, PairRecord
from colim.errors import ColimError, LigandError
from colim.evaluation.core_lift import COINAGE, Scorer, core_metal, transmute
from colim.evaluation.metrics import safe_auc
from colim.structures.free_ligands import anchor_convention
from colim.structures.ligands import LigandSet

class ClusterListError(ColimError):
    """A file of known clusters cannot be read (missing, or without the columns cross-matching needs)."""


@dataclass(frozen=True)
class ClusterItem:
    """One real cluster's ligand set and the coinage metal of its core, with where it came from."""

    name: str
    ligand_set: LigandSet
    metal: str
    source: str


def items_from_dataset(dataset: MatchingDataset, source: str = "dataset") -> list[ClusterItem]:
    """One item per distinct (ligand set, metal) among the positive pairs on single-coinage-metal cores."""
    seen: dict[tuple[str, str], ClusterItem] = {}
    for p in dataset.pairs:
        metal = core_metal(dataset.cores[p.core_index])
        if p.label == 1 and metal is not None and (p.ligand_set.key, metal) not in seen:
            seen[(p.ligand_set.key, metal)] = ClusterItem(str(dataset.cores[p.core_index].info.get("id", p.core_index)),
                                                          p.ligand_set, metal, source)
    return list(seen.values())


def items_from_csv(path: str | os.PathLike) -> tuple[list[ClusterItem], list[str]]:
    """Items from a known-clusters CSV (``formula``, ``ligand_smiles`` joined by ``;``, ``metal_family``), SMILES put
    in the anchor convention (:func:`anchor_convention`), and one line per row left out (alloy or other metal,
    a missing or unreadable SMILES: a set with an unknown ligand is not the cluster's set)."""
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ClusterListError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if rows and not {"formula", "ligand_smiles", "metal_family"} <= set(rows[0]):
        raise ClusterListError(f"{path}: a known-clusters CSV needs the columns formula, ligand_smiles, metal_family")
    items, skipped = [], []
    for row in rows:
        name, metal = row["formula"], row["metal_family"].strip()
        smiles = [s.strip() for s in row["ligand_smiles"].split(";")]
        if metal not in COINAGE:
            skipped.append(f"{name}: metal family '{metal}' is not one coinage metal")
        elif any(not s for s in smiles):
            skipped.append(f"{name}: a ligand has no SMILES")
        else:
            try:
                items.append(ClusterItem(name, LigandSet.of([anchor_convention(s) for s in smiles]), metal, str(path)))
            except LigandError as exc:
                skipped.append(f"{name}: {exc}")
    return items, skipped


def transmuted_panel(templates: Iterable[Atoms], metals: Sequence[str] = COINAGE) -> tuple[list[Atoms], list[str]]:
    """Every template core (of one coinage metal) made of each metal; the cores and the metal of each."""
    cores, labels = [], []
    for template in templates:
        for metal in metals:
            cores.append(transmute(template, metal))
            labels.append(metal)
    return cores, labels


def cross_matching(scorer: Scorer, items: Sequence[ClusterItem], templates: Sequence[Atoms],
                   metals: Sequence[str] = COINAGE) -> dict[str, object]:
    """Per-item AUC (own-metal panel cores vs the other metals'), their mean per metal (``auc_Cu`` ...), the mean
    of those (``auc``, metal-balanced) and the mean over items (``auc_items``).

    Each panel core is scored in one ``scorer`` call over all items in order, so a scorer that ignores the
    core gives bit-identical columns and every item's AUC is exactly 0.5.
    """
    cores, core_metals = transmuted_panel(templates, metals)
    pairs = [PairRecord(0, item.ligand_set, 1, "test", item.name, "reported") for item in items]
    scores = np.zeros((len(items), len(cores)))
    for j in range(len(cores)):
        if pairs:
            scores[:, j] = scorer(cores, [dataclasses.replace(p, core_index=j) for p in pairs])
    per_item = []
    for i, item in enumerate(items):
        own = np.array([m == item.metal for m in core_metals], dtype=int)
        per_item.append({"name": item.name, "metal": item.metal, "source": item.source, "ligands": item.ligand_set.key,
                         "auc": safe_auc(own, scores[i])})
    out: dict[str, object] = {"templates": len(templates), "panel_cores": len(cores), "items": per_item}
    aucs = np.array([r["auc"] for r in per_item], dtype=float)
    out["auc_items"] = _nanmean(aucs)
    for m in metals:
        sel = np.array([r["metal"] == m for r in per_item], dtype=bool)
        out[f"auc_{m}"] = _nanmean(aucs[sel] if sel.any() else np.zeros(0))
        out[f"items_{m}"] = int(sel.sum())
    out["auc"] = _nanmean(np.array([out[f"auc_{m}"] for m in metals], dtype=float))
    out["ci_low"], out["ci_high"] = bootstrap_interval(aucs, [r["metal"] for r in per_item], metals)
    return out


def bootstrap_interval(aucs: np.ndarray, item_metals: Sequence[str], metals: Sequence[str] = COINAGE, n_boot: int = 1000,
                       seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the metal-balanced cross-matching AUC over sets resampled within each metal
    (a fixed checkpoint has no folds or seeds: the sets are what varies). NaN without items."""
    groups = [aucs[[i for i, m in enumerate(item_metals) if m == metal]] for metal in metals]
    groups = [g[np.isfinite(g)] for g in groups]
    groups = [g for g in groups if len(g)]
    if not groups:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = [float(np.mean([rng.choice(g, size=len(g)).mean() for g in groups])) for _ in range(n_boot)]
    tail = (1.0 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def _nanmean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
