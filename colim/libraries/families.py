"""Ligand families by SMARTS (thiolate, phosphine, alkynyl...), for the ligand library's family column.

One ordered table: the first pattern that matches names the family. Works with both the radical-anchor
convention of libraries/ligands (``[S]C``) and protonated forms (``SC``).
"""

from __future__ import annotations

import functools

from rdkit import Chem

#: (family, SMARTS) in priority order.
FAMILY_SMARTS: tuple[tuple[str, str], ...] = (
    ("dithiocarbamate", "[#16]~[#6](~[#16])~[#7]"),
    ("dithiophosphate", "[#16]~[#15]~[#16]"),
    ("selenolate", "[#34;!$([#34]=*)]"),
    ("thiolate", "[#16;X1,X2;!$([#16]=*);!$([#16](~[#6])~[#6]);!$([#16]~[#8])]"),
    ("alkynyl", "[#6]#[#6;X1,$([#6;H1])]"),
    ("phosphine", "[#15;X3;!$([#15]~[#8]);!$([#15]=*)]"),
    ("carboxylate", "[#6](=O)[#8;X1,H1,-1]"),
    ("other", "[#7][#6;X2;H0;!$([#6]=*);!$([#6]#*)][#7]"),  # N-heterocyclic carbenes are not amines
    ("amine", "[#7;X3;!$([#7]~[#6]=[#8]);!$([#7]=*);!a]"),
)
HALIDES = frozenset({"F", "Cl", "Br", "I"})


@functools.lru_cache(maxsize=None)
def _patterns() -> tuple[tuple[str, Chem.Mol], ...]:
    return tuple((name, Chem.MolFromSmarts(smarts)) for name, smarts in FAMILY_SMARTS)


@functools.lru_cache(maxsize=65536)
def ligand_family(smiles: str) -> str:
    """The family of one ligand SMILES ("other" when nothing matches or it does not parse)."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return "other"
    if mol.GetNumHeavyAtoms() == 1 and mol.GetAtomWithIdx(0).GetSymbol() in HALIDES:
        return "halide"
    for name, pattern in _patterns():
        if mol.HasSubstructMatch(pattern):
            return name
    return "other"
