"""Free ligands as papers write them (``SCCc1ccccc1``, ``[Br-]``, ``CC(=O)[O-]``) put in colim's anchor convention,
the one MetaLig's ligands and the dataset builder's perceived ligands use: anionic donors written as radicals."""

from __future__ import annotations

from rdkit import Chem

#: elements whose X–H bond is the anchor of a thiolate-like ligand (the H leaves when it binds).
_CHALCOGENS = frozenset({"S", "Se", "Te"})


def anchor_convention(smiles: str) -> str:
    """A free ligand's SMILES in colim's anchor convention (MetaLig's too): anionic donors written as radicals.

    Negative atoms not beside a positive one (``[Br-]``, ``[H-]``, ``[O-]C(=O)R``, ``[Se-2]``) lose the charge and
    carry as many radical electrons; a thiol, selenol or tellurol X–H and a terminal alkyne C–H lose the H
    (``SCCc1ccccc1`` → ``[S]CCc1ccccc1``). Charge-separated groups (nitrate) stay; unreadable SMILES are returned unchanged.
    """
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return smiles
    mol = Chem.RWMol(mol)
    for atom in mol.GetAtoms():
        charge = atom.GetFormalCharge()
        if charge < 0 and not any(n.GetFormalCharge() > 0 for n in atom.GetNeighbors()):
            atom.SetFormalCharge(0)
            atom.SetNumRadicalElectrons(atom.GetNumRadicalElectrons() - charge)
        elif charge == 0 and atom.GetTotalNumHs() == 1 and atom.GetDegree() == 1 and (
                atom.GetSymbol() in _CHALCOGENS
                or (atom.GetSymbol() == "C" and any(b.GetBondType() == Chem.BondType.TRIPLE for b in atom.GetBonds()))):
            atom.SetNoImplicit(True)
            atom.SetNumExplicitHs(0)
            atom.SetNumRadicalElectrons(1)
    return Chem.MolToSmiles(mol)
