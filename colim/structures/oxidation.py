"""Formal oxidation states of cluster cores, counted from the cluster's total charge by ionic electron counting.

A whole cluster ``[M_n E_k L_m]^q`` (``n`` metal atoms, ``k`` inorganic atoms of the core such as a central
S²⁻ or Cl⁻, ``m`` ligands) has the metals' **mean formal oxidation state**

    (q − Σ ligand charges − Σ core-anion charges) / n

where, in colim's radical convention, a ligand's charge once bound is its formal charge minus its radical
electrons (an X-type ligand written as a radical, thiolate ``[S]CCc1ccccc1``, halide ``[Cl]``, alkynyl,
carboxylate, hydride ``[H]``: −1; a neutral L-type phosphine or amine: 0), and an inorganic atom of the core
counts as its closed-shell anion (H⁻, halide −1, O²⁻/S²⁻/Se²⁻/Te²⁻, N³⁻/P³⁻, C⁴⁻). For thiolate-protected
gold, ``[Au25(SR)18]⁻``: (−1 + 18) / 25 = +0.68; ``Au38S2(SR)20``: (0 + 20 + 4) / 38 = +0.63. That is the
same quantity MetaLig states for a mononuclear complex's metal atom (its oxidation state, e.g. Au(+1) in
``[AuCl(PPh3)]``), averaged over the metal atoms, so the core encoders' ``oxidation_state`` input means one
thing for complexes and clusters. An element of the core outside that table leaves the state unknown.
"""

from __future__ import annotations

from typing import Mapping

from ase import Atoms
from rdkit import Chem

from colim.structures.core import is_metal

#: charge of an inorganic (non-metal) atom inside a core, counted as its closed-shell anion.
CORE_ANION_CHARGE = {"H": -1, "F": -1, "Cl": -1, "Br": -1, "I": -1, "O": -2, "S": -2, "Se": -2, "Te": -2, "N": -3, "P": -3, "C": -4}


def bound_ligand_charge(smiles: str) -> int:
    """A ligand's charge once bound, from colim's radical-convention SMILES: formal charge minus radical
    electrons (``[S]C`` −1, ``[Cl]`` −1, ``CP(C)C`` 0)."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"invalid SMILES '{smiles}'")
    return sum(a.GetFormalCharge() - a.GetNumRadicalElectrons() for a in mol.GetAtoms())


def mean_oxidation_state(core: Atoms, ligands: Mapping[str, float], charge: int) -> float | None:
    """The mean formal oxidation state of ``core``'s metal atoms in a cluster of total ``charge`` carrying
    ``ligands`` (``{SMILES: copies}``, the whole cluster's count), or None when a core atom is neither a metal
    nor in :data:`CORE_ANION_CHARGE`, or no ligand count is given (the module docstring gives the count)."""
    symbols = core.get_chemical_symbols()
    metals = sum(is_metal(s) for s in symbols)
    anions = [s for s in symbols if not is_metal(s)]
    if not metals or not ligands or any(s not in CORE_ANION_CHARGE for s in anions):
        return None
    ligand_charge = sum(bound_ligand_charge(smi) * copies for smi, copies in ligands.items())
    anion_charge = sum(CORE_ANION_CHARGE[s] for s in anions)
    return (charge - ligand_charge - anion_charge) / metals
