"""The built-in core encoders (cgcnn, schnet, gin) meet the plugin contract on real cores and are
invariant to rotation, translation and atom order."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase import Atoms
from scipy.spatial.transform import Rotation

from colim.errors import PluginError
from colim.plugins.manager import core_encoders, create_core_encoder
from colim.plugins.testing import check_core_encoder

CORE_ENCODERS = ("cgcnn", "schnet", "gin")


def moved(core: Atoms, seed: int) -> Atoms:
    """A rotated, translated copy of ``core`` with its atoms in a shuffled order."""
    rng = np.random.default_rng(seed)
    rotation = Rotation.random(random_state=seed).as_matrix()
    order = rng.permutation(len(core))
    copy = core[order]
    copy.positions = core.positions[order] @ rotation.T + rng.normal(scale=5.0, size=3)
    return copy


@pytest.mark.parametrize("name", CORE_ENCODERS)
def test_core_encoder_is_registered_by_name(name):
    assert name in core_encoders()
    assert core_encoders().entry(name).source.package == "colim"


@pytest.mark.parametrize("name", CORE_ENCODERS)
def test_core_encoder_meets_the_plugin_contract(name, cores):
    torch.manual_seed(0)
    check_core_encoder(create_core_encoder(name), cores[:3])  # Au25, Au24Ag, Au10S10 with default options


def test_gin_without_edge_features_meets_the_plugin_contract(cores):
    torch.manual_seed(0)
    check_core_encoder(create_core_encoder("gin", edge_features=False, embedding_dim=32), cores[:2])


def test_cgcnn_with_neighbour_cap_meets_the_plugin_contract(cores):
    torch.manual_seed(0)
    check_core_encoder(create_core_encoder("cgcnn", max_neighbors=6, embedding_dim=32, batch_norm=False), cores)


@pytest.mark.parametrize("name", CORE_ENCODERS)
def test_core_embedding_is_invariant_to_rotation_translation_and_atom_order(name, cores):
    torch.manual_seed(0)
    encoder = create_core_encoder(name, embedding_dim=32)
    originals = encoder.encode(cores)
    copies = encoder.encode([moved(c, seed) for seed, c in enumerate(cores)])
    torch.testing.assert_close(copies, originals, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", CORE_ENCODERS)
def test_core_embedding_tells_different_cores_apart(name, cores):
    torch.manual_seed(0)
    out = create_core_encoder(name, embedding_dim=32).encode(cores)
    pairwise = torch.cdist(out, out)
    off_diagonal = pairwise[~torch.eye(len(cores), dtype=torch.bool)]
    assert off_diagonal.min() > 1e-3  # Au25 vs Au24Ag (one atom substituted) included


def test_cgcnn_layers_have_skip_connections(cores):
    torch.manual_seed(0)
    encoder = create_core_encoder("cgcnn", embedding_dim=16, num_layers=0).eval()
    batch = encoder.collate([encoder.featurize(cores[0])])
    # with no layers the core embedding is the (readout-normed) mean element embedding: the residual path is the identity
    expected = encoder.readout_norm(encoder.embedding(batch.z).mean(dim=0, keepdim=True))
    torch.testing.assert_close(encoder(batch), expected)


def test_schnet_returns_pooled_atom_features_not_an_energy(cores):
    encoder = create_core_encoder("schnet", embedding_dim=24, num_filters=16, num_interactions=1)
    assert encoder.embedding_dim == 24
    assert encoder.encode(cores[:2]).shape == (2, 24)
    assert not any(name.startswith("backbone.lin") for name, _ in encoder.named_parameters())


@pytest.mark.parametrize("name", CORE_ENCODERS)
def test_core_encoder_refuses_a_non_positive_cutoff(name):
    with pytest.raises(PluginError) as err:
        create_core_encoder(name, cutoff=0.0)
    assert str(err.value) == f"{name}: cutoff must be positive, got 0.0"


@pytest.mark.parametrize("name", CORE_ENCODERS)
def test_core_embedding_is_the_mean_of_the_atom_features(name, cores):
    torch.manual_seed(0)
    encoder = create_core_encoder(name, embedding_dim=16).eval()
    batch = encoder.collate([encoder.featurize(c) for c in cores[:2]])
    with torch.no_grad():
        atoms = encoder.atom_features(batch)
        expected = torch.stack([atoms[batch.batch == g].mean(dim=0) for g in range(2)])
        torch.testing.assert_close(encoder(batch), getattr(encoder, "readout_norm", torch.nn.Identity())(expected))
