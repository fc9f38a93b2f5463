"""Negative sampling by the CoLiM rules, and the grouped train/val/test split.

For one core geometry class with positive ligand sets P1..Pm:

* the pool drops every ligand that shares the family of a positive ligand (any ligand of any Pi)
  AND has a carbon count within ``carbon_margin`` of it (the positives themselves included);
* type I (one reported ligand set): a negative is a random set of the same number of kinds as
  the positive, drawn from that pool;
* type II (several reported sets): a negative is a random combination with as many kinds as the
  positive it balances (``kinds="matched"``, the default), so negatives and positives share one
  distribution of kind counts; the paper's rule (``kinds="different"``: a number of kinds different
  from the positive) made the kind count alone a classifier (AUC 0.71 on type II cores);
* a negative never repeats a positive, a reported negative or an earlier negative of the class.
Negative ratios are drawn from the positive's ratios, so ratios carry no label information.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from colim.choices import resolve_choice
from colim.structures.families import carbon_count, ligand_family
from colim.structures.ligands import MAX_LIGAND_KINDS, LigandSet

SPLIT_NAMES = ("train", "val", "test")
#: how many kinds a type II negative has: as many as its positive (matched), or another number (the paper's rule).
KIND_RULES = ("matched", "different")


def allowed_pool(positive_ligands: Sequence[str], pool: Sequence[str], carbon_margin: int) -> list[str]:
    """Ligands of ``pool`` that may appear in a negative next to these positive ligands.

    A ligand is dropped when some positive ligand has its family and a carbon count within
    ``carbon_margin``.
    """
    keys = [(ligand_family(p), carbon_count(p)) for p in positive_ligands]
    out = []
    for smi in pool:
        fam, carbons = ligand_family(smi), carbon_count(smi)
        if any(fam == f and abs(carbons - c) <= carbon_margin for f, c in keys):
            continue
        out.append(smi)
    return out


@dataclass
class SamplingResult:
    """Negatives sampled for one geometry class: (index of the positive it balances, ligand set)."""

    negatives: list[tuple[int, LigandSet]] = field(default_factory=list)
    shortfall: int = 0
    reason: str = ""


def _ratios(positive: LigandSet, k: int, rng: np.random.Generator) -> list[float] | None:
    if positive.ratios is None:
        return None
    return [float(r) for r in rng.choice(np.asarray(positive.ratios), size=k, replace=True)]


def sample_class_negatives(
    positives: Sequence[LigandSet],
    core_type: str,
    pool: Sequence[str],
    n: int,
    carbon_margin: int,
    rng: np.random.Generator,
    forbidden: set[str] | None = None,
    attempts: int = 50,
    kinds: str = "matched",
) -> SamplingResult:
    """Sample ``n`` negative ligand sets for one core geometry class.

    Args:
        positives: the positive ligand sets of the class, one per positive pair; negative ``i``
            balances positive ``i % len(positives)``.
        core_type: "I" (same number of kinds as the positive) or "II" (``kinds`` decides).
        pool: candidate ligands (canonical SMILES).
        n: how many negatives to draw.
        carbon_margin: the carbon-count margin of the family rule.
        rng: random generator (seeded by the caller).
        forbidden: ligand-set keys that must not be drawn (reported negatives...).
        kinds: type II kind counts, "matched" (as the positive) or "different" (the paper's rule).
    """
    kinds = resolve_choice(kinds, KIND_RULES, "negative kind rule")
    result = SamplingResult()
    if n <= 0:
        return result
    ligands = sorted({s for p in positives for s in p.smiles})
    allowed = allowed_pool(ligands, sorted(set(pool)), carbon_margin)
    taken = set(forbidden or ()) | {p.key for p in positives}
    if not allowed:
        result.shortfall, result.reason = n, "no ligand outside the positives' families/carbon window"
        return result
    for i in range(n):
        positive = positives[i % len(positives)]
        if core_type == "II" and kinds == "different":
            sizes = [k for k in range(1, min(MAX_LIGAND_KINDS, len(allowed)) + 1) if k != len(positive)]
        else:
            sizes = [min(len(positive), len(allowed))]
        if not sizes:
            result.shortfall += 1
            result.reason = f"pool of {len(allowed)} allowed ligand(s) cannot make a set with a kind count other than {len(positive)}"
            continue
        for _ in range(attempts):
            k = int(rng.choice(sizes))
            picks = [allowed[j] for j in rng.choice(len(allowed), size=k, replace=False)]
            candidate = LigandSet.of(picks, _ratios(positive, k, rng))
            if candidate.key not in taken:
                taken.add(candidate.key)
                result.negatives.append((i % len(positives), candidate))
                break
        else:
            result.shortfall += 1
            result.reason = f"pool of {len(allowed)} allowed ligand(s) exhausted"
    return result


def grouped_split(groups: Sequence[str], fractions: Sequence[float], seed: int) -> dict[str, str]:
    """Assign every group to train/val/test so pair counts approach ``fractions``; a group never spans two splits.

    Groups are shuffled with ``seed`` and each goes to the split furthest below its target
    (relative to the target), so even tiny datasets get a val and a test group.
    """
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    order = sorted(sizes)
    rng = np.random.default_rng(seed)
    rng.shuffle(order)
    total = sum(sizes.values())
    targets = [f * total for f in fractions]
    filled = [0.0] * len(SPLIT_NAMES)
    out = {}
    for g in order:
        best = max(
            (k for k in range(len(SPLIT_NAMES)) if targets[k] > 0),
            key=lambda k: ((targets[k] - filled[k]) / targets[k], -k),
        )
        out[g] = SPLIT_NAMES[best]
        filled[best] += sizes[g]
    return out
