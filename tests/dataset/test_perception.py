"""Core/ligand perception on the real shared structures (GROMACS, PDB, XYZ, CIF)."""

from __future__ import annotations

import pytest
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

from colim.dataset.perception import perceive
from colim.errors import StructureError
from colim.io.structure_readers import read_structure
from tests.conftest import STRUCTURES

NM = STRUCTURES / "nanomodeler_au_sr"
PET = "[S]CCc1ccccc1"
PMBA = "O=C(O)c1ccc([S])cc1"


def _formula(smiles: str) -> str:
    return rdMolDescriptors.CalcMolFormula(Chem.MolFromSmiles(smiles))


def test_au25_pet18_gro_gives_an_au25_core_and_18_pet_thiolates():
    result = perceive(read_structure(NM / "au25_pet18.gro"))
    assert result.core.get_chemical_formula() == "Au25"
    assert result.ligands == {PET: 18}
    assert _formula(PET) == "C8H9S"
    assert result.ligand_set.key == PET and result.ligand_set.ratios == (18.0,)
    assert not result.anchors and not result.notes


def test_au38_pet24_gro_gives_au38_and_pet():
    result = perceive(read_structure(NM / "au38_pet24.gro"))
    assert result.core.get_chemical_formula() == "Au38"
    assert result.ligands == {PET: 24}


def test_au102_pmba_gro_adds_the_missing_carboxylic_hydrogen():
    atoms = read_structure(NM / "au102_pmba44.gro")
    assert atoms.get_chemical_symbols().count("H") == 4 * 44  # the file lacks the COOH hydrogens
    result = perceive(atoms)
    assert result.core.get_chemical_formula() == "Au102"
    assert result.ligands == {PMBA: 44}
    assert _formula(PMBA) == "C7H5O2S"


@pytest.mark.parametrize("name, n_au, n_sr", [("au18_opt.xyz", 18, 14), ("au25_opt.xyz", 25, 18), ("au44_opt.xyz", 44, 28)])
def test_sch3_dft_clusters_give_methanethiolate(name, n_au, n_sr):
    result = perceive(read_structure(STRUCTURES / "au_sch3_dft" / name))
    assert result.core.get_chemical_formula() == f"Au{n_au}"
    assert result.ligands == {"C[S]": n_sr}


def test_united_atom_pdb_pseudo_ligands_get_their_hydrogens():
    result = perceive(read_structure(NM / "au25SR18_NM.pdb"))
    assert result.ligands == {"C[S]": 18}


def test_crude_ring_geometry_is_counted_as_the_main_ligand_with_a_note():
    result = perceive(read_structure(NM / "Au36CP24.xyz"))
    assert result.ligands == {"[S]C1CCCC1": 24}
    assert len(result.notes) == 2 and all("crude geometry" in n for n in result.notes)


def test_anchor_only_framework_records_anchors_and_no_ligand_set():
    atoms = read_structure(STRUCTURES / "au_thiolate_cifs" / "25_18.cif")
    result = perceive(atoms)
    assert result.core.get_chemical_formula() == "Au25"
    assert result.anchor_only and result.anchors == {"S": 18}
    assert result.ligand_set is None
    assert result.notes == ["anchor-only: 18 S truncated anchors, no ligand set"]
    placeholder = perceive(atoms, anchor_placeholder=True)
    assert placeholder.ligands == {"C[S]": 18}
    assert len(atoms) == 43  # perception never changes its input


def test_s_s_contacts_in_a_carbon_free_framework_stay_anchors():
    result = perceive(read_structure(STRUCTURES / "au_thiolate_cifs" / "26_19.cif"))
    assert result.core.get_chemical_formula() == "Au26"
    assert result.anchors == {"S": 19}


def test_hydrogen_capped_anchors_of_a_carbon_free_model_are_truncated_anchors():
    # NanoModeler caps the cut R of Au68(SR)34 with H: the SH is a truncated thiolate, not an HS- ligand.
    result = perceive(read_structure(NM / "Au68SH34-I1.xyz"))
    assert result.core.get_chemical_formula() == "Au68"
    assert result.anchors == {"S": 34}
    assert result.ligand_set is None
    assert perceive(read_structure(NM / "Au68SH34-I1.xyz"), anchor_placeholder=True).ligands == {"C[S]": 34}


def test_structure_without_metal_is_refused():
    atoms = read_structure(NM / "au25_pet18.gro")
    organic = atoms[[i for i, s in enumerate(atoms.get_chemical_symbols()) if s != "Au"]]
    organic.info["id"] = "organic"
    with pytest.raises(StructureError) as err:
        perceive(organic)
    assert str(err.value) == "organic: no metal atom, not a nanocluster"


def test_a_central_halide_belongs_to_the_core():
    atoms = read_structure(STRUCTURES / "au_sch3_dft" / "au25_opt.xyz")
    au = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Au"]
    centre = atoms.positions[au].mean(axis=0)
    inner = min(au, key=lambda i: ((atoms.positions[i] - centre) ** 2).sum())
    with_cl = atoms.copy()
    with_cl.symbols[inner] = "Cl"  # a central chloride in place of the central Au
    result = perceive(with_cl)
    assert result.core.get_chemical_formula() == "Au24Cl"
    assert result.ligands == {"C[S]": 18}
