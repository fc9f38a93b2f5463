"""Cluster cores carry NC_Database's charges and the mean formal metal oxidation state counted from them
(issue 18 §1): real shipped NC_Database files, their table (`NC_Database.sqlite`, copied unchanged), a CIF
that states nothing, and an extXYZ that states its charge."""

from __future__ import annotations

import shutil

import pytest
from ase.io import write

from colim.dataset.builder import build
from colim.dataset.records import load_dataset, save_dataset
from colim.encoders.graph import OXIDATION_SCALE, oxidation_features
from colim.errors import StructureError
from colim.io.cluster_charges import nc_database_charge
from colim.io.structure_readers import read_structure
from colim.structures.core import CHARGE_SOURCE, CLUSTER_CHARGE, OXIDATION_STATE, oxidation_state
from colim.structures.oxidation import bound_ligand_charge
from tests.conftest import STRUCTURES

NC = STRUCTURES / "nc_database"


def _cores(*paths, **options):
    ds, report = build([str(p) for p in paths], **options)
    return {c.info["id"]: c for c in ds.cores}, ds, report


@pytest.mark.parametrize("smiles, charge", [("[S]CCc1ccccc1", -1), ("C[S]", -1), ("[Cl]", -1), ("[H]", -1), ("CC(=O)[O]", -1),
                                            ("c1ccc(P(c2ccccc2)c2ccccc2)cc1", 0), ("CP(C)C", 0)])
def test_a_bound_ligand_counts_minus_one_per_radical(smiles, charge):
    assert bound_ligand_charge(smiles) == charge


def test_au25_pet18_anion_carries_charge_minus_one_and_gold_plus_0_68():
    """[Au25(SCH2CH2Ph)18]⁻: NC_Database q = -1; (−1 + 18 thiolates) / 25 Au = +0.68; its neutral twin +0.72."""
    (anion,) = _cores(NC / "fully_protected" / "au25_pet18_-1_opt.xyz")[0].values()
    (neutral,) = _cores(NC / "fully_protected" / "au25_pet18_opt.xyz")[0].values()
    assert anion.info[CLUSTER_CHARGE] == -1 and anion.info[CHARGE_SOURCE] == "NC_Database.sqlite:fully_protected/au25_pet18_-1_opt.xyz"
    assert oxidation_state(anion) == pytest.approx(17 / 25) and oxidation_state(neutral) == pytest.approx(18 / 25)
    assert oxidation_features(anion)[0].tolist() == pytest.approx([17 / 25 / OXIDATION_SCALE, 1.0])


def test_core_anions_count_in_the_oxidation_state():
    """Au38S2(SCH3)20 (q = 0): the two core S²⁻ count, (0 + 20 + 4) / 38; [Au19Cd2(SC6H11)16]⁻ over 21 metals."""
    cores, _, _ = _cores(NC / "sch3_protected" / "038_s2_20_cp2k_opt.xyz", NC / "other" / "Au19Cd2_full_ligands.xyz")
    au38s2, cd = cores["038_s2_20_cp2k_opt"], cores["Au19Cd2_full_ligands"]
    assert au38s2.get_chemical_formula() == "Au38S2" and oxidation_state(au38s2) == pytest.approx(24 / 38)
    assert cd.info[CLUSTER_CHARGE] == -1 and oxidation_state(cd) == pytest.approx(15 / 21)


def test_unknown_stays_unknown():
    """A file NC_Database's table does not list (Au49(DMBT)27) and a CIF state no charge: no charge, no state,
    and the encoder input says unknown."""
    cores, _, _ = _cores(NC / "fully_protected" / "au49_dimbt27_opt.xyz", STRUCTURES / "au_thiolate_cifs" / "11_9.cif")
    for core in cores.values():
        assert CLUSTER_CHARGE not in core.info and OXIDATION_STATE not in core.info
        assert oxidation_features(core).tolist() == [[0.0, 0.0]]
    assert nc_database_charge(NC / "fully_protected" / "au49_dimbt27_opt.xyz") is None


def test_a_duplicate_keeps_the_charge_the_table_states_for_the_same_cluster(tmp_path):
    """The Au25(SR)18 CIF and NC_Database's [Au25(SCH3)18]⁻ are one record (same geometry class, same set): the
    kept CIF core takes the table's charge and state, with a note; the table is among the input hashes; both
    survive a save and load."""
    cif, dft = STRUCTURES / "au_thiolate_cifs" / "25_18.cif", NC / "sch3_protected" / "025_18_minus1_cp2k_opt.xyz"
    cores, ds, report = _cores(cif, dft, anchor_placeholder=True)
    (core,) = cores.values()
    assert core.info["source"] == str(cif) and core.info[CLUSTER_CHARGE] == -1 and oxidation_state(core) == pytest.approx(17 / 25)
    assert any("charge -1 from its duplicate" in note for note in report.notes)
    assert str(NC / "NC_Database.sqlite") in ds.input_hashes
    save_dataset(ds, tmp_path / "ds.h5")
    assert oxidation_state(load_dataset(tmp_path / "ds.h5").cores[0]) == pytest.approx(17 / 25)


def test_an_extxyz_that_states_its_charge_is_read(tmp_path):
    atoms = read_structure(NC / "fully_protected" / "au25_pet18_opt.xyz")
    atoms.info = {"charge": -1}
    write(tmp_path / "au25.extxyz", atoms, format="extxyz")
    cores, _, _ = _cores(tmp_path / "au25.extxyz")
    (core,) = cores.values()
    assert core.info[CLUSTER_CHARGE] == -1 and core.info[CHARGE_SOURCE] == "au25.extxyz: charge=-1"
    assert oxidation_state(core) == pytest.approx(17 / 25)


def test_a_corrupt_table_is_one_error_naming_it(tmp_path):
    folder = tmp_path / "nc"
    (folder / "fully_protected").mkdir(parents=True)
    shutil.copy(NC / "fully_protected" / "au25_pet18_opt.xyz", folder / "fully_protected")
    (folder / "NC_Database.sqlite").write_bytes(b"not a database")
    with pytest.raises(StructureError, match="NC_Database.sqlite: cannot read NC_Database's table NC_Data"):
        nc_database_charge(folder / "fully_protected" / "au25_pet18_opt.xyz")
