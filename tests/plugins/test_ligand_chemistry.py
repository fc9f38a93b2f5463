"""The ``ligchem`` ligand encoder: chemistry features (anchors, charge, family, sterics from morfeus, size)
on real ligand SMILES, the plugin contract, and one-line errors on garbage."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from colim.errors import LigandError
from colim.plugins.manager import create_ligand_encoder, ligand_encoders
from colim.plugins.builtin.ligand_chemistry import (
    FEATURE_NAMES, REFERENCE_LIGANDS, anchor_atoms, chemistry_features, standardised_features,
)
from colim.plugins.testing import check_ligand_encoder
from colim.structures.ligands import LigandSet
from rdkit import Chem

LIGANDS = Path(__file__).resolve().parents[2] / "libraries" / "ligands" / "ligands.csv"
ROWS = list(csv.DictReader(open(LIGANDS, newline="")))
SMILES = {r["name"]: r["smiles"] for r in ROWS}
PME3 = "CP(C)C"


def feature(smiles: str, name: str) -> float:
    return float(chemistry_features(smiles)[FEATURE_NAMES.index(name)])


@pytest.mark.parametrize("fingerprint", [True, False])
@pytest.mark.parametrize("pooling", ["mean", "attention"])
def test_ligchem_meets_the_plugin_contract(pooling, fingerprint, ligand_sets):
    torch.manual_seed(0)
    check_ligand_encoder(create_ligand_encoder("ligchem", pooling=pooling, embedding_dim=32, fingerprint=fingerprint), ligand_sets)


def test_ligchem_is_a_built_in_ligand_encoder():
    assert ligand_encoders().entry("ligchem").source.package == "colim"


def test_pme3_sits_nearer_pph3_than_any_thiolate_in_the_standardised_feature_space():
    """Euclidean distance between standardised chemistry features (no fingerprint, before the projection)."""
    pph3 = standardised_features(SMILES["PPh3"])
    to_pme3 = np.linalg.norm(standardised_features(PME3) - pph3)
    thiolates = {r["name"]: np.linalg.norm(standardised_features(r["smiles"]) - pph3) for r in ROWS if r["family"] == "thiolate"}
    assert len(thiolates) >= 20
    assert to_pme3 < min(thiolates.values()), (to_pme3, min(thiolates.items(), key=lambda kv: kv[1]))
    # and PMe3's nearest shipped ligands are phosphines
    nearest = sorted(ROWS, key=lambda r: np.linalg.norm(standardised_features(r["smiles"]) - standardised_features(PME3)))[:3]
    assert {r["family"] for r in nearest} == {"phosphine"}


def test_bulky_thiolates_differ_from_slim_ones_in_the_steric_features():
    slim = [SMILES["SCH3"], SMILES["SEt"]]
    adm, tbbt = SMILES["S-Adm"], SMILES["TBBT"]
    for thin in slim:
        assert feature(adm, "cone_angle") > feature(thin, "cone_angle") + 10
        assert feature(adm, "buried_volume") > feature(thin, "buried_volume") + 0.02
        assert feature(adm, "sterimol_B5") > feature(thin, "sterimol_B5") + 1.0
        assert feature(tbbt, "sterimol_L") > feature(thin, "sterimol_L") + 1.0  # longer along the Au–S axis
        assert feature(tbbt, "sterimol_B5") > feature(thin, "sterimol_B5") + 1.0
    steric = [FEATURE_NAMES.index(n) for n in ("cone_angle", "buried_volume", "sterimol_L", "sterimol_B1", "sterimol_B5")]
    gap = lambda a, b: np.linalg.norm(standardised_features(a)[steric] - standardised_features(b)[steric])  # noqa: E731
    assert gap(adm, SMILES["SCH3"]) > 2 * gap(SMILES["SEt"], SMILES["SCH3"])  # measured 1.17 vs 0.47


@pytest.mark.parametrize("smiles, anchors, denticity, charge, family", [
    ("[S]CC", {"S": 1}, 1, -1, "thiolate"),
    ("CCS", {"S": 1}, 1, -1, "thiolate"),  # a neutral thiol binds as the thiolate
    ("P(C)(C)C", {"P": 1}, 1, 0, "phosphine"),
    ("[Cl-]", {"halogen": 1}, 1, -1, "halide"),
    ("[Cl]", {"halogen": 1}, 1, -1, "halide"),
    ("[H-]", {"H": 1}, 1, -1, "hydride"),
    ("[H]", {"H": 1}, 1, -1, "hydride"),
    ("C#Cc1ccccc1", {"C": 1}, 1, -1, "alkynyl"),
    ("[C]#Cc1ccccc1", {"C": 1}, 1, -1, "alkynyl"),
    ("O=C([O])C", {"O": 1}, 1, -1, "carboxylate"),
    ("[S]c1cccc([S])c1", {"S": 2}, 2, -2, "thiolate"),
    ("C(CP(c1ccccc1)c1ccccc1)P(c1ccccc1)c1ccccc1", {"P": 2}, 2, 0, "diphosphine"),
    ("CCOP(=S)([S])OCC", {"S": 2}, 2, -1, "dithiophosphate"),
    ("CC(C)N1[C]N(C(C)C)c2ccccc21", {"C": 1}, 1, 0, "other"),  # NHC: a neutral C donor
    ("NCCN", {"N": 2}, 2, 0, "amine"),
])
def test_binding_features_of_anchor_radical_and_neutral_smiles(smiles, anchors, denticity, charge, family):
    values = chemistry_features(smiles)
    got = {n[len("anchor_"):]: values[i] for i, n in enumerate(FEATURE_NAMES) if n.startswith("anchor_") and n != "anchor_on_aromatic" and values[i]}
    assert got == anchors
    assert feature(smiles, "denticity") == denticity and feature(smiles, "bound_charge") == charge
    assert feature(smiles, f"family_{family}") == 1.0
    assert np.isfinite(values).all()


def test_every_shipped_and_reference_ligand_gets_finite_features():
    for smiles in [r["smiles"] for r in ROWS] + list(REFERENCE_LIGANDS):
        assert np.isfinite(chemistry_features(smiles)).all(), smiles


def test_features_are_deterministic_and_computed_once_per_smiles():
    first = chemistry_features("[S]C12CC3CC(CC(C3)C1)C2").copy()
    chemistry_features.cache_clear()
    again = chemistry_features("[S]C12CC3CC(CC(C3)C1)C2")
    assert np.array_equal(first, again)  # seeded conformer: the same sterics every time
    chemistry_features("[S]C12CC3CC(CC(C3)C1)C2")
    assert chemistry_features.cache_info().hits >= 1


def test_anchor_perception_keeps_the_radical_anchor_of_the_canonical_smiles():
    mol = Chem.MolFromSmiles("O=C(O)c1ccc([S])cc1")
    assert [mol.GetAtomWithIdx(i).GetSymbol() for i in anchor_atoms(mol)] == ["S"]


@pytest.mark.parametrize("garbage", ["C1CC", "not a smiles", ""])
def test_garbage_is_one_line_ligand_error(garbage):
    encoder = create_ligand_encoder("ligchem", embedding_dim=8)
    with pytest.raises(LigandError) as err:
        encoder.embed_ligands([garbage])
    assert str(err.value) == f"invalid SMILES '{garbage}'"


def test_ligchem_embeds_the_shipped_ligand_sets_in_a_model():
    torch.manual_seed(0)
    encoder = create_ligand_encoder("ligchem", embedding_dim=16)
    out = encoder.encode([LigandSet.of([SMILES["PET"], SMILES["PPh3"]]), LigandSet.of([SMILES["Cl"]]), LigandSet.of([SMILES["H"]])])
    assert out.shape == (3, 16) and torch.isfinite(out).all()
    assert torch.cdist(out, out)[~torch.eye(3, dtype=torch.bool)].min() > 1e-4
