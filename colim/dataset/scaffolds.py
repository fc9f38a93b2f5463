"""Ligand scaffolds and the scaffold-grouped split: no ligand scaffold on both sides of a split.

A ligand's scaffold is its Bemis–Murcko framework (rings and the linkers between them, RDKit's
``MurckoScaffold``); an acyclic ligand (chloride, acetonitrile, a thiolate chain) has no framework and is
its own scaffold (``acyclic:<SMILES>``), so acyclic ligands never pool into one giant group. A ligand set
touches the scaffolds of all its ligands; the split deals scaffolds (weighted by how many items touch
them) into train/val/test, and an item whose scaffolds landed in two splits belongs to neither: it is
dropped and counted, never put on one side with a scaffold of the other.
"""

from __future__ import annotations

import functools
from typing import Iterable, Sequence

from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

from colim.dataset.negatives import grouped_split
from colim.structures.ligands import LigandSet

#: prefix of the scaffold of an acyclic ligand (followed by its canonical SMILES).
ACYCLIC = "acyclic:"
#: separator of the scaffolds in a pair's group id.
GROUP_SEPARATOR = ";"


@functools.lru_cache(maxsize=131072)
def ligand_scaffold(smiles: str) -> str:
    """The Murcko scaffold SMILES of one ligand, or ``acyclic:<smiles>`` for a ligand without a ring."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetRingInfo().NumRings() == 0:
        return ACYCLIC + smiles
    scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=mol)
    return scaffold or ACYCLIC + smiles


def set_scaffolds(ligand_set: LigandSet) -> frozenset[str]:
    """The scaffolds of every ligand of a set."""
    return frozenset(ligand_scaffold(s) for s in ligand_set.smiles)


def scaffold_group(ligand_set: LigandSet) -> str:
    """A pair's group id under the scaffold split: its scaffolds, sorted, joined by ``;``."""
    return GROUP_SEPARATOR.join(sorted(set_scaffolds(ligand_set)))


def group_scaffolds(group: str) -> set[str]:
    """The scaffolds named by a group id of :func:`scaffold_group`."""
    return set(group.split(GROUP_SEPARATOR)) if group else set()


def assign_scaffolds(items: Iterable[frozenset[str]], fractions: Sequence[float], seed: int) -> dict[str, str]:
    """Deal every scaffold into "train"/"val"/"test", weighted by the items that touch it (see
    :func:`colim.dataset.negatives.grouped_split`)."""
    occurrences = [s for scaffolds in items for s in sorted(scaffolds)]
    return grouped_split(occurrences, fractions, seed)


def item_split(scaffolds: frozenset[str], assignment: dict[str, str]) -> str | None:
    """The split all of an item's scaffolds are in, or None when they straddle two splits."""
    splits = {assignment[s] for s in scaffolds}
    return splits.pop() if len(splits) == 1 else None
