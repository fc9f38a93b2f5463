"""Cross-validation folds of a matching dataset: grouped k-fold over core-geometry groups, scaffold-grouped
k-fold over ligand Murcko scaffolds, leave-one-ligand-family-out and leave-one-metal-out.

A fold is the dataset with every pair's split reassigned (train / val / test), so the trainer and the
baselines run on it unchanged. Grouped k-fold: the core-geometry groups (:func:`geometry_group`) are shuffled
with ``seed`` and dealt, largest first, to the fold with the fewest pairs; fold ``i`` tests on part ``i``,
validates (early stopping) on part ``i + 1`` and trains on the rest, so no group is on two sides.
Scaffold-grouped k-fold deals :func:`scaffold_groups` the same way: no ligand Murcko scaffold (an acyclic
ligand: its own SMILES) sits on two sides, and a ligand set on several metals stays on one side.
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
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

from colim.choices import resolve_choice
from colim.dataset.records import MatchingDataset, PairRecord
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


def ligand_scaffold(smiles: str) -> str:
    """The Murcko scaffold SMILES of a ligand; an acyclic ligand (empty scaffold) or one RDKit cannot read is its own SMILES."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return smiles
    scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=mol)
    return scaffold or smiles


def scaffold_groups(dataset: MatchingDataset) -> list[str]:
    """Each pair's scaffold group: the connected component of ligand scaffolds that share a ligand set (union-find),
    named by its smallest scaffold, so that no scaffold falls into two groups."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    per_pair = [sorted({ligand_scaffold(s) for s in p.ligand_set.smiles}) for p in dataset.pairs]
    for scaffolds in per_pair:
        for other in scaffolds[1:]:
            ra, rb = find(scaffolds[0]), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return [find(s[0]) for s in per_pair]


def _keys(dataset: MatchingDataset, scheme: str) -> list[str]:
    if scheme == "scaffold":
        return scaffold_groups(dataset)
    return [geometry_group(dataset, p) for p in dataset.pairs]


def group_parts(dataset: MatchingDataset, k: int, seed: int = 0, keys: Sequence[str] | None = None) -> list[set[str]]:
    """The dataset's groups (``keys``, one per pair; core-geometry groups by default) dealt into ``k`` parts of
    about equal pair counts (shuffled with ``seed``)."""
    sizes: dict[str, int] = {}
    for g in keys if keys is not None else (geometry_group(dataset, p) for p in dataset.pairs):
        sizes[g] = sizes.get(g, 0) + 1
    groups = sorted(sizes)
    order = np.random.default_rng(seed).permutation(len(groups))
    ranked = sorted((groups[i] for i in order), key=lambda g: -sizes[g])  # stable: ties keep the shuffled order
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


def grouped_kfold(dataset: MatchingDataset, k: int = 5, seed: int = 0, scheme: str = "grouped") -> list[Fold]:
    """``k`` folds over the dataset's groups (core geometry, or ligand scaffolds with ``scheme="scaffold"``):
    test part ``i``, validate part ``i + 1``, train the rest."""
    groups = _keys(dataset, scheme)
    n_groups = len(set(groups))
    if k < 3 or k > n_groups:
        raise ValueError(f"{scheme} k-fold needs 3 <= k <= {n_groups} (the number of groups), got {k}")
    parts = group_parts(dataset, k, seed, groups)
    folds = []
    for i in range(k):
        test, val = parts[i], parts[(i + 1) % k]
        ds = resplit(dataset, ["test" if g in test else "val" if g in val else "train" for g in groups])
        folds.append(Fold(scheme, f"fold {i + 1}/{k}", ds, _skip_reason(ds, f"fold {i + 1}")))
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
    if scheme in ("grouped", "scaffold"):
        return grouped_kfold(dataset, k, seed, scheme)
    if scheme == "family":
        return leave_one_family_out(dataset, seed)
    if scheme == "metal":
        return leave_one_metal_out(dataset, seed)
    return [Fold("split", "dataset split", dataset, _skip_reason(dataset, "the test split"))]
