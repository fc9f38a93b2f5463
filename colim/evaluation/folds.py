"""Cross-validation folds of a matching dataset: grouped k-fold over core-geometry groups, scaffold k-fold over
ligand Murcko scaffolds, leave-one-ligand-family-out and leave-one-metal-out.

A fold is the dataset with every pair's split reassigned (train / val / test), so the trainer and the
baselines run on it unchanged. Grouped k-fold: the core-geometry groups (:func:`geometry_group`) are shuffled
with ``seed`` and dealt, largest first, to the fold with the fewest pairs; fold ``i`` tests on part ``i``,
validates (early stopping) on part ``i + 1`` and trains on the rest, so no group is on two sides.
Scaffold k-fold (:func:`scaffold_kfold`) deals ligand Murcko scaffolds (:mod:`colim.dataset.scaffolds`; an
acyclic ligand is its own scaffold) the same way and leaves out of a fold the pairs whose scaffolds straddle
two sides: no scaffold sits on two sides, and a ligand set on several metals stays on one side.
Leave-one-out schemes test on every pair holding the family (metal) and train on the pairs without it,
a fifth of those groups validating; a fold whose test or training side lacks positives or negatives
is skipped with the reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from ase.data import chemical_symbols

from colim.choices import resolve_choice
from colim.dataset.records import MatchingDataset, PairRecord
from colim.dataset.scaffolds import set_scaffolds
from colim.model.domain import families_of

#: cross-validation schemes of ``colim compare --cv``.
CV_SCHEMES = ("grouped", "scaffold", "family", "metal", "split")
#: elements that count as the core's metals for leave-one-metal-out.
METALS = frozenset({"Cu", "Ag", "Au", "Pd", "Pt", "Ni", "Cd", "Hg", "Zn", "Rh", "Ir", "Co", "Fe", "Ru", "Os"})


@dataclass
class Fold:
    """One fold: its name, the re-split dataset (None when skipped) and why it was skipped."""

    scheme: str
    name: str
    dataset: MatchingDataset | None
    skipped: str = ""
    dropped: int = 0  # pairs left out of this fold (scaffold folds: their scaffolds fall on two sides)

    def sizes(self) -> dict[str, int]:
        return {} if self.dataset is None else {s: len(self.dataset.split_pairs(s)) for s in ("train", "val", "test")}


def resplit(dataset: MatchingDataset, splits: Sequence[str]) -> MatchingDataset:
    """A copy of ``dataset`` whose pair ``i`` has split ``splits[i]`` (cores shared, not copied)."""
    pairs = [dataclasses.replace(p, split=s) for p, s in zip(dataset.pairs, splits)]
    return MatchingDataset(dataset.cores, pairs, dataset.params, dataset.input_hashes)


def geometry_group(dataset: MatchingDataset, pair: PairRecord) -> str:
    """The core-geometry group of a pair: its core's ``geometry_class`` (set by the dataset builder), else the
    part of the pair's group id before ``|`` (builder group ids are ``class|ligand set``), else the group id."""
    return str(dataset.cores[pair.core_index].info.get("geometry_class") or pair.group.split("|")[0])


def group_parts(dataset: MatchingDataset, k: int, seed: int = 0) -> list[set[str]]:
    """The dataset's core-geometry groups dealt into ``k`` parts of about equal pair counts (shuffled with ``seed``)."""
    sizes: dict[str, int] = {}
    for p in dataset.pairs:
        g = geometry_group(dataset, p)
        sizes[g] = sizes.get(g, 0) + 1
    return _deal(sizes, k, seed)


def _deal(sizes: dict[str, int], k: int, seed: int) -> list[set[str]]:
    """Keys dealt into ``k`` parts of about equal total size: shuffled with ``seed``, largest first, each to the
    lightest part."""
    keys = sorted(sizes)
    order = np.random.default_rng(seed).permutation(len(keys))
    ranked = sorted((keys[i] for i in order), key=lambda g: -sizes[g])  # stable: ties keep the shuffled order
    parts: list[set[str]] = [set() for _ in range(k)]
    load = [0] * k
    for g in ranked:
        j = int(np.argmin(load))
        parts[j].add(g)
        load[j] += sizes[g]
    return parts


def _skip_reason(ds: MatchingDataset, what: str) -> str:
    for split, side in (("test", f"held-out pairs ({what})"), ("train", f"training pairs (without {what})")):
        labels = {p.label for p in ds.split_pairs(split)}
        if labels != {0, 1}:
            return f"the {side} have no {'positives' if 1 not in labels else 'negatives'}" if labels else f"no {side}"
    return ""


def grouped_kfold(dataset: MatchingDataset, k: int = 5, seed: int = 0) -> list[Fold]:
    """``k`` folds over the dataset's groups: test part ``i``, validate part ``i + 1``, train the rest."""
    n_groups = len({geometry_group(dataset, p) for p in dataset.pairs})
    if k < 3 or k > n_groups:
        raise ValueError(f"grouped k-fold needs 3 <= k <= {n_groups} (the number of groups), got {k}")
    parts = group_parts(dataset, k, seed)
    folds = []
    for i in range(k):
        test, val = parts[i], parts[(i + 1) % k]
        groups = [geometry_group(dataset, p) for p in dataset.pairs]
        ds = resplit(dataset, ["test" if g in test else "val" if g in val else "train" for g in groups])
        folds.append(Fold("grouped", f"fold {i + 1}/{k}", ds, _skip_reason(ds, f"fold {i + 1}")))
    return folds


def scaffold_kfold(dataset: MatchingDataset, k: int = 5, seed: int = 0) -> list[Fold]:
    """``k`` folds over ligand scaffolds: the scaffolds (weighted by the pairs touching them) are dealt into ``k``
    parts; fold ``i`` tests the pairs whose scaffolds all lie in part ``i``, validates on part ``i + 1`` and trains
    on the rest. A pair whose scaffolds fall on two sides is left out of that fold (``Fold.dropped``), so no
    scaffold is ever on two sides, and a ligand set sits on one side whatever its metal."""
    per_pair = [set_scaffolds(p.ligand_set) for p in dataset.pairs]
    sizes: dict[str, int] = {}
    for scaffolds in per_pair:
        for s in scaffolds:
            sizes[s] = sizes.get(s, 0) + 1
    if k < 3 or k > len(sizes):
        raise ValueError(f"scaffold k-fold needs 3 <= k <= {len(sizes)} (the number of scaffolds), got {k}")
    part_of = {s: j for j, part in enumerate(_deal(sizes, k, seed)) for s in part}
    folds = []
    for i in range(k):
        role = {j: "test" if j == i else "val" if j == (i + 1) % k else "train" for j in range(k)}
        sides = [{role[part_of[s]] for s in scaffolds} for scaffolds in per_pair]
        kept = [(p, side.pop()) for p, side in zip(dataset.pairs, sides) if len(side) == 1]
        ds = MatchingDataset(dataset.cores, [dataclasses.replace(p, split=s) for p, s in kept], dataset.params, dataset.input_hashes)
        folds.append(Fold("scaffold", f"fold {i + 1}/{k}", ds, _skip_reason(ds, f"fold {i + 1}"), len(dataset.pairs) - len(kept)))
    return folds


def _hold_out(dataset: MatchingDataset, scheme: str, label: str, held: Callable[[PairRecord], bool], seed: int) -> Fold:
    rest = MatchingDataset(dataset.cores, [p for p in dataset.pairs if not held(p)], dataset.params, dataset.input_hashes)
    val_groups = group_parts(rest, 5, seed)[0] if len({geometry_group(rest, p) for p in rest.pairs}) >= 5 else set()
    splits = ["test" if held(p) else "val" if geometry_group(dataset, p) in val_groups else "train" for p in dataset.pairs]
    ds = resplit(dataset, splits)
    return Fold(scheme, f"without {label}", ds, _skip_reason(ds, label))


def pair_families(pair: PairRecord) -> set[str]:
    """Ligand families of a pair's set."""
    return families_of(pair.ligand_set.smiles)


def core_metals(dataset: MatchingDataset, index: int) -> set[str]:
    """Metal elements of core ``index``."""
    return {chemical_symbols[z] for z in set(dataset.cores[index].numbers.tolist())} & METALS


def leave_one_family_out(dataset: MatchingDataset, seed: int = 0) -> list[Fold]:
    """One fold per ligand family: test on every pair whose set holds it, train on the others."""
    fams = {i: pair_families(p) for i, p in enumerate(dataset.pairs)}
    by_pair = {id(p): fams[i] for i, p in enumerate(dataset.pairs)}
    return [_hold_out(dataset, "family", family, lambda p, f=family: f in by_pair[id(p)], seed)
            for family in sorted(set().union(*fams.values()))]


def leave_one_metal_out(dataset: MatchingDataset, seed: int = 0) -> list[Fold]:
    """One fold per metal: test on every pair whose core holds it, train on cores without it."""
    metals = {i: core_metals(dataset, i) for i in range(len(dataset.cores))}
    present = sorted(set().union(*metals.values())) if metals else []
    if len(present) < 2:
        return [Fold("metal", f"without {m}", None, f"every core holds {m}: no metal to train without") for m in present]
    return [_hold_out(dataset, "metal", metal, lambda p, m=metal: m in metals[p.core_index], seed) for metal in present]


def make_folds(dataset: MatchingDataset, scheme: str, k: int = 5, seed: int = 0) -> list[Fold]:
    """The folds of ``scheme`` (one of :data:`CV_SCHEMES`; ``split`` is the dataset's own split as one fold)."""
    scheme = resolve_choice(scheme, CV_SCHEMES, "cross-validation scheme")
    if scheme == "grouped":
        return grouped_kfold(dataset, k, seed)
    if scheme == "scaffold":
        return scaffold_kfold(dataset, k, seed)
    if scheme == "family":
        return leave_one_family_out(dataset, seed)
    if scheme == "metal":
        return leave_one_metal_out(dataset, seed)
    return [Fold("split", "dataset split", dataset, _skip_reason(dataset, "the test split"))]
