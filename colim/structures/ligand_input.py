"""Ligand SMILES typed by a user, brought to colim's convention or refused with the reason.

colim writes a ligand as it sits on the cluster, without the metal and with a radical at the anchor
atom: ``[S]CC`` for ethanethiolate, ``CC(=O)[O]`` for acetate, ``P(c1ccccc1)(...)`` for a phosphine.
What a user types is often the free molecule instead. Per case (docs/errors.md):

* a neutral thiol/selenol/tellurol ``CCS`` → the bound radical ``CC[S]``, with a note;
* an anion at a chalcogen anchor ``CC(=O)[O-]``, ``C[S-]`` → the radical ``CC(=O)[O]``, with a note;
* a SMILES holding a metal (``[Au]SC``, ``[Cu+]``) → refused, naming the SMILES without the metal;
* any other charged species (cations, zwitterions) → refused;
* more than :data:`MAX_LIGAND_HEAVY_ATOMS` heavy atoms (a polymer, a whole cluster) → refused.
"""

from __future__ import annotations

import functools

from rdkit import Chem

from colim.errors import LigandError
from colim.notes import note
from colim.structures.ligands import canonical_smiles

#: the largest ligand accepted (heavy atoms); the protective ligands of the shipped data are far smaller.
MAX_LIGAND_HEAVY_ATOMS = 150

NONMETALS = frozenset("H He B C N O F Ne Si P S Cl Ar As Se Br Kr Te I Xe At Rn".split())
CHALCOGENS = frozenset({"O", "S", "Se", "Te"})
THIOL_ANCHORS = frozenset({"S", "Se", "Te"})


def _radical_at(mol: Chem.Mol, indices: list[int], remove_h: bool = False, neutralise: bool = False) -> str:
    rw = Chem.RWMol(mol)
    for i in indices:
        atom = rw.GetAtomWithIdx(i)
        if neutralise:
            atom.SetFormalCharge(0)
        if remove_h:
            atom.SetNumExplicitHs(max(atom.GetTotalNumHs() - 1, 0))
        else:
            atom.SetNumExplicitHs(0)
        atom.SetNoImplicit(True)
        atom.SetNumRadicalElectrons(atom.GetNumRadicalElectrons() + 1)
    out = rw.GetMol()
    Chem.SanitizeMol(out)
    return Chem.MolToSmiles(out)


def _without_metals(mol: Chem.Mol, metals: list[int]) -> str:
    rw = Chem.RWMol(mol)
    for i in metals:
        for nb in rw.GetAtomWithIdx(i).GetNeighbors():
            if nb.GetIdx() not in metals:
                nb.SetNoImplicit(True)
                nb.SetNumRadicalElectrons(nb.GetNumRadicalElectrons() + 1)
    for i in sorted(metals, reverse=True):
        rw.RemoveAtom(i)
    out = rw.GetMol()
    Chem.SanitizeMol(out)
    return Chem.MolToSmiles(out)


@functools.lru_cache(maxsize=65536)
def user_ligand_smiles(smiles: str) -> str:
    """The canonical SMILES of a user's ligand in colim's convention; LigandError with the reason when refused."""
    canon = canonical_smiles(smiles)  # invalid or multi-molecule SMILES raise here
    mol = Chem.MolFromSmiles(canon)
    text = smiles.strip()
    heavy = mol.GetNumHeavyAtoms()
    if heavy > MAX_LIGAND_HEAVY_ATOMS:
        raise LigandError(f"'{text[:40]}{'...' if len(text) > 40 else ''}' has {heavy} heavy atoms; colim takes ligands of at most "
                          f"{MAX_LIGAND_HEAVY_ATOMS} (a polymer or a whole cluster is not a ligand)")
    metals = [a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() not in NONMETALS]
    if metals:
        symbols = sorted({mol.GetAtomWithIdx(i).GetSymbol() for i in metals})
        if len(metals) == mol.GetNumAtoms():
            raise LigandError(f"'{text}' is a metal ({', '.join(symbols)}), not a ligand; the core holds the metal atoms")
        bare = _without_metals(mol, metals)  # SMILES text
        if "." in bare:  # the metal held the fragments together: name it, not the fragments (C[Hg]C → [CH3].[CH3])
            raise LigandError(f"'{text}' contains a metal ({', '.join(symbols)}) that joins {bare.count('.') + 1} fragments ('{bare}'); "
                              "an organometallic compound is not a ligand: give each ligand without the metal, with a radical at its anchor")
        raise LigandError(f"'{text}' holds metal atoms ({', '.join(symbols)}); give the ligand without the core metal, "
                          f"with a radical at its anchor: '{canonical_smiles(bare)}'")
    charged = [a for a in mol.GetAtoms() if a.GetFormalCharge() != 0]
    if charged:
        anions = [a.GetIdx() for a in charged if a.GetFormalCharge() == -1 and a.GetSymbol() in CHALCOGENS and a.GetNumRadicalElectrons() == 0]
        if len(anions) != len(charged):
            total = Chem.GetFormalCharge(mol)
            raise LigandError(f"'{text}' is charged ({total:+d} net, on {', '.join(sorted({a.GetSymbol() for a in charged}))}); colim's ligands are "
                              "neutral, written as bound to the cluster with a radical at the anchor (e.g. [S]C for methanethiolate)")
        fixed = canonical_smiles(_radical_at(mol, anions, neutralise=True))
        note(f"ligand '{text}' read as '{fixed}' (colim writes an anionic ligand as the bound radical)")
        return fixed
    if not any(a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
        thiols = [a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() in THIOL_ANCHORS and a.GetTotalNumHs() == 1 and a.GetDegree() == 1]
        if thiols:
            fixed = canonical_smiles(_radical_at(mol, thiols, remove_h=True))
            note(f"ligand '{text}' read as '{fixed}' (colim writes a thiol as the bound thiolate radical, as in [S]CC)")
            return fixed
    return canon


def parse_user_set(text: str):
    """``LigandSet.parse`` of a user's ``'A.B [r1:r2]'`` with each SMILES brought to colim's convention."""
    from colim.structures.ligands import LigandSet

    parts = text.split()
    if len(parts) in (1, 2):
        smiles = [user_ligand_smiles(s) for s in parts[0].split(".") if s]
        text = " ".join([".".join(smiles), *parts[1:]])
    return LigandSet.parse(text)
