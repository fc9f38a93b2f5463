"""Perception on the NC_Database DFT structures with full ligands (GPL-3.0 copy in tests/data/structures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from colim.dataset.perception import perceive
from colim.io.structure_readers import read_structure

NC = Path(__file__).resolve().parents[1] / "data" / "structures" / "nc_database"
TBBT, SADM, SCHEX, PET = "CC(C)(C)c1ccc([S])cc1", "[S]C12CC3CC(CC(C3)C1)C2", "[S]C1CCCCC1", "[S]CCc1ccccc1"
#: file -> (core formula, {ligand SMILES: copies}) as the cluster's name says.
EXPECTED = {
    "au18_schex14_opt.xyz": ("Au18", {SCHEX: 14}),
    "au20_tbbt16_opt.xyz": ("Au20", {TBBT: 16}),
    "au21_sadm15_opt.xyz": ("Au21", {SADM: 15}),
    "au23_schex16_-1_opt.xyz": ("Au23", {SCHEX: 16}),
    "au25_pet18_opt.xyz": ("Au25", {PET: 18}),
    "au28_tbbt20_opt.xyz": ("Au28", {TBBT: 20}),
    "au30_s_stbut18_opt.xyz": ("Au30S", {"CC(C)(C)[S]": 18}),  # Au30S(S-tBu)18: the μ3-S belongs to the core
    "au38_s2_sadm20_opt.xyz": ("Au38S2", {SADM: 20}),
    "au40_ombt24_opt.xyz": ("Au40", {"Cc1ccccc1[S]": 24}),
    "au49_dimbt27_opt.xyz": ("Au49", {"Cc1ccc([S])c(C)c1": 27}),  # 2,4-dimethylbenzenethiolate
    "au60_s6_pmt36_opt.xyz": ("Au60S6", {"[S]Cc1ccccc1": 36}),  # "PMT" upstream: S-CH2-C6H5 in the file
    "au102_mba44_opt.xyz": ("Au102", {"O=C(O)c1ccc([S])cc1": 44}),
    "au133_tbbt52_opt.xyz": ("Au133", {TBBT: 52}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_full_ligands_of_nc_database_clusters_are_perceived_as_their_real_smiles(name):
    result = perceive(read_structure(NC / "fully_protected" / name))
    formula, ligands = EXPECTED[name]
    assert result.core.get_chemical_formula() == formula
    assert result.ligands == ligands
    assert result.notes == []


def test_doped_clusters_keep_their_dopant_in_the_core_and_their_full_ligands():
    assert perceive(read_structure(NC / "other" / "Au24Pd.xyz")).core.get_chemical_formula() == "Au24Pd"
    cd = perceive(read_structure(NC / "other" / "Au19Cd2_full_ligands.xyz"))
    assert cd.core.get_chemical_formula() == "Au19Cd2" and cd.ligands == {SCHEX: 16}


def test_the_shipped_copy_keeps_its_licence_and_provenance_and_no_hypothetical_structure():
    assert "GNU GENERAL PUBLIC LICENSE" in (NC / "LICENSE").read_text()
    assert "d9656e3a1818004a5d646de4074be6c3e995d8cc" in (NC / "README.md").read_text()
    assert not [p for p in NC.rglob("*") if "fake" in p.name.lower() and p.suffix == ".xyz"]
