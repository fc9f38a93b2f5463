"""The built-in no-download ligand encoders (fingerprint, molgnn) meet the plugin contract on real
ligand SMILES with every set pooling mode."""

from __future__ import annotations

import pytest
import torch

from colim.errors import LigandError
from colim.plugins.builtin.molgnn import ATOM_DIM, BOND_DIM, molecular_graph, molecular_graph_arrays
from colim.plugins.manager import create_ligand_encoder, ligand_encoders
from colim.plugins.testing import check_ligand_encoder
from colim.structures.ligands import LigandSet
from tests.plugins.conftest import FORMATE, MESH, PET, PMBA, PPH3


@pytest.mark.parametrize("pooling", ["mean", "sum", "attention"])
@pytest.mark.parametrize("name", ["fingerprint", "molgnn"])
def test_ligand_encoder_meets_the_plugin_contract(name, pooling, ligand_sets):
    torch.manual_seed(0)
    check_ligand_encoder(create_ligand_encoder(name, pooling=pooling, embedding_dim=32), ligand_sets)


def test_molgnn_is_registered_by_name():
    assert "molgnn" in ligand_encoders()
    assert ligand_encoders().entry("molgnn").source.package == "colim"


def test_molgnn_graph_marks_the_radical_anchor_and_counts_hydrogens():
    graph = molecular_graph(PET)
    assert graph.x.shape == (9, ATOM_DIM)  # S + 2 CH2 + 6 aromatic C, hydrogens implicit
    assert graph.edge_attr.shape == (18, BOND_DIM)  # 9 bonds, both directions
    # PET's only atom with a radical electron is the S anchor (slot 1 of the radical one-hot)
    radical_slot = ATOM_DIM - 5 - 3 + 1
    assert graph.x[:, radical_slot].tolist() == [1.0] + [0.0] * 8


def test_molgnn_featurises_each_smiles_once():
    molecular_graph_arrays.cache_clear()
    encoder = create_ligand_encoder("molgnn", embedding_dim=16)
    encoder.encode([LigandSet.of([PMBA, MESH]), LigandSet.of([PMBA])])
    encoder.encode([LigandSet.of([PMBA])])
    info = molecular_graph_arrays.cache_info()
    assert info.misses == 2 and info.hits >= 1


def test_molgnn_tells_ligands_of_one_family_apart():
    torch.manual_seed(0)
    encoder = create_ligand_encoder("molgnn", embedding_dim=16)
    out = encoder.encode([LigandSet.of(["C[S]"]), LigandSet.of(["CC[S]"]), LigandSet.of([PPH3]), LigandSet.of([FORMATE])])
    pairwise = torch.cdist(out, out)
    assert pairwise[~torch.eye(4, dtype=torch.bool)].min() > 1e-4


def test_molgnn_embeds_a_single_atom_ligand():
    encoder = create_ligand_encoder("molgnn", embedding_dim=16)
    assert torch.isfinite(encoder.encode([LigandSet.of(["[Cl-]"])])).all()


def test_molgnn_refuses_an_invalid_smiles():
    encoder = create_ligand_encoder("molgnn", embedding_dim=16)
    with pytest.raises(LigandError) as err:
        encoder.embed_ligands(["C1CC"])
    assert str(err.value) == "invalid SMILES 'C1CC'"
