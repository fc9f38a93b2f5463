"""Metal-conditional labels: negatives that only the metal can tell from positives.

A positive is a ligand set (or a single ligand) observed on a metal centre. Its negative, for the same core,
is a set observed on *another* metal of the dataset and never on this one (the set never, and at least one
of its ligands never in any complex of this metal). Negatives are drawn so that their overall frequency
(how many complexes of the dataset hold the set) follows the positives' exactly: every positive sits in a
bin (split, number of ligand kinds, frequency bin of width :data:`FREQUENCY_BIN` in log2) and draws its
negative from the same bin; where a core's bin has fewer candidates than positives, the surplus positives
are dropped (counted in the report), never balanced from another bin. So neither a ligand's popularity nor
the number of kinds gives the label away, and a ligand-only model can only win on ligands whose metals
differ.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from colim.structures.ligands import LigandSet

#: width of a frequency bin, in log2 units of the number of complexes holding the set.
FREQUENCY_BIN = 0.5


@dataclass(frozen=True)
class Positive:
    """One observed (core, ligand set) with the core's metal and the split of the set's scaffolds."""

    core_index: int
    metal: str
    ligand_set: LigandSet
    split: str


@dataclass
class MetalLabels:
    """Sampled negatives ``(index of the positive it balances, ligand set)`` and the positives kept."""

    negatives: list[tuple[int, LigandSet]] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    dropped: int = 0


def frequency_bin(count: int) -> int:
    """The frequency bin of a set held by ``count`` complexes (log2, :data:`FREQUENCY_BIN` wide)."""
    return int(math.floor(math.log2(max(count, 1)) / FREQUENCY_BIN))


def is_foreign(ligand_set: LigandSet, metal: str, set_metals: Mapping[str, set[str]], ligand_metals: Mapping[str, set[str]]) -> bool:
    """True when ``metal`` never carried this set and never carried at least one of its ligands."""
    if metal in set_metals.get(ligand_set.key, set()):
        return False
    return any(metal not in ligand_metals.get(s, set()) for s in ligand_set.smiles)


def sample_metal_negatives(
    positives: Sequence[Positive],
    frequency: Mapping[str, int],
    set_metals: Mapping[str, set[str]],
    ligand_metals: Mapping[str, set[str]],
    rng: np.random.Generator,
) -> MetalLabels:
    """One frequency-matched, metal-conditional negative per kept positive.

    Args:
        positives: every observed (core, set), one row each.
        frequency: set key → number of complexes (of the dataset's metals) holding it.
        set_metals: set key → metals it was observed on; ligand_metals: ligand SMILES → metals.
        rng: random generator (seeded by the caller).
    """
    def bin_of(p: Positive) -> tuple[str, int, int]:
        return p.split, len(p.ligand_set), frequency_bin(frequency[p.ligand_set.key])

    candidates: dict[str, dict[tuple[str, int, int], list[LigandSet]]] = defaultdict(lambda: defaultdict(list))
    distinct = {p.ligand_set.key: p for p in positives}
    for metal in sorted({p.metal for p in positives}):
        for key in sorted(distinct):
            p = distinct[key]
            if is_foreign(p.ligand_set, metal, set_metals, ligand_metals):
                candidates[metal][bin_of(p)].append(p.ligand_set)
    by_core_bin: dict[tuple[int, tuple[str, int, int]], list[int]] = defaultdict(list)
    for i, p in enumerate(positives):
        by_core_bin[(p.core_index, bin_of(p))].append(i)
    out = MetalLabels()
    for (core, b), members in sorted(by_core_bin.items()):
        pool = candidates[positives[members[0]].metal].get(b, [])
        n = min(len(members), len(pool))
        chosen_pos = sorted(rng.choice(len(members), size=n, replace=False).tolist()) if n < len(members) else list(range(n))
        chosen_neg = rng.choice(len(pool), size=n, replace=False).tolist() if n else []
        for which, neg in zip(chosen_pos, chosen_neg):
            out.kept.append(members[which])
            out.negatives.append((members[which], pool[neg]))
        out.dropped += len(members) - n
    out.kept.sort()
    return out
