"""Ligand functional-group families and carbon counts, the two features of the negative-sampling rules.

A ligand's family follows its anchoring group: the radical atom when the SMILES marks one (the
``[S]CCc1ccccc1`` convention), else the first SMARTS pattern in :data:`FAMILY_PATTERNS` that matches
(so a neutral thiol, phosphine or carboxylic acid from a ligand library gets a family too).
A phosphine with two or more P(III) donors (dppm, dppe, dppp, DPEphos) is a ``diphosphine``: it bridges
or chelates metal atoms, which a monodentate phosphine cannot. ``dithiophosphate`` covers the
dichalcogenophosphates (S2P(OR)2 and Se2P(OR)2). Halides and hydride may be written as radicals
(``[Cl]``, ``[H]``: colim's X-type convention) or as anions (``[Cl-]``, ``[H-]``).
Shared by the dataset builder, ``colim dataset stats`` and the ligand library.
"""

from __future__ import annotations

import functools

from rdkit import Chem

from colim.errors import LigandError

FAMILIES = (
    "thiolate",
    "selenolate",
    "tellurolate",
    "phosphine",
    "diphosphine",
    "alkynyl",
    "carboxylate",
    "halide",
    "hydride",
    "amine",
    "dithiophosphate",
    "dithiocarbamate",
    "other",
)

#: (family, SMARTS) tried in order on ligands without a radical anchor.
FAMILY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("dithiophosphate", "[#16;X1,X2&H1]~[#15](~[#16])"),
    ("dithiophosphate", "[#34;X1,X2&H1]~[#15](~[#34])"),
    ("dithiocarbamate", "[#16;X1,X2&H1]~[#6](~[#16])~[#7]"),
    ("thiolate", "[#16;X1,X2&H1;!$([#16]~[#16])]"),
    ("selenolate", "[#34;X1,X2&H1]"),
    ("tellurolate", "[#52;X1,X2&H1]"),
    ("halide", "[F,Cl,Br,I;X0,X1&H1]"),
    ("hydride", "[#1;X0]"),
    ("alkynyl", "[#6;X1,X2&H1]#[#6]"),
    ("carboxylate", "[CX3](=O)[OX1,OX2&H1]"),
    ("diphosphine", "[PX3;!$(P=*)].[PX3;!$(P=*)]"),
    ("phosphine", "[PX3;!$(P=*)]"),
    ("amine", "[NX3;!$(N-[CX3]=[O,S]);!$(N=*);!$(N#*)]"),
    ("amine", "[nX2]"),
)
_COMPILED = tuple((family, Chem.MolFromSmarts(smarts)) for family, smarts in FAMILY_PATTERNS)


def _mol(smiles: str) -> Chem.Mol:
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise LigandError(f"invalid SMILES '{smiles}'")
    return mol


def _radical_family(mol: Chem.Mol) -> str | None:
    """Family from the radical (anchoring) atom, or None when no atom is a radical."""
    anchors = [a for a in mol.GetAtoms() if a.GetNumRadicalElectrons() > 0]
    if not anchors:
        return None
    atom = anchors[0]
    symbol = atom.GetSymbol()
    if symbol in ("F", "Cl", "Br", "I") and atom.GetDegree() == 0:
        return "halide"
    if symbol == "H" and atom.GetDegree() == 0:
        return "hydride"
    if symbol in ("S", "Se"):
        centre = [n for n in atom.GetNeighbors() if n.GetSymbol() in ("C", "P")]
        # A second terminal chalcogen on the anchor's C or P makes a dithio acid (not a ring S: thienyl).
        if centre and any(n.GetSymbol() == symbol and n.GetDegree() == 1 for n in centre[0].GetNeighbors() if n.GetIdx() != atom.GetIdx()):
            if centre[0].GetSymbol() == "P":
                return "dithiophosphate"
            if any(n.GetSymbol() == "N" for n in centre[0].GetNeighbors()):
                return "dithiocarbamate"
            return "other"
        return "thiolate" if symbol == "S" else "selenolate"
    if symbol == "Te":
        return "tellurolate"
    if symbol == "O":
        centre = [n for n in atom.GetNeighbors() if n.GetSymbol() == "C"]
        if centre and any(b.GetBondType() == Chem.BondType.DOUBLE and b.GetOtherAtom(centre[0]).GetSymbol() == "O" for b in centre[0].GetBonds()):
            return "carboxylate"
        return "other"
    if symbol == "C" and any(b.GetBondType() == Chem.BondType.TRIPLE for b in atom.GetBonds()):
        return "alkynyl"
    if symbol == "P":
        return "phosphine"
    if symbol == "N":
        return "amine"
    return "other"


@functools.lru_cache(maxsize=65536)
def ligand_family(smiles: str) -> str:
    """The functional-group family of one ligand (one of :data:`FAMILIES`)."""
    mol = _mol(smiles)
    family = _radical_family(mol)
    if family is not None:
        return family
    for name, pattern in _COMPILED:
        if mol.HasSubstructMatch(pattern):
            return name
    return "other"


@functools.lru_cache(maxsize=65536)
def carbon_count(smiles: str) -> int:
    """Number of carbon atoms of one ligand."""
    return sum(1 for a in _mol(smiles).GetAtoms() if a.GetAtomicNum() == 6)
