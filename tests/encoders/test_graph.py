"""Core graphs: cutoff edges from torch.cdist, neighbour caps that keep ties, Gaussian expansion."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from colim.structures.core import read_core
from colim.errors import PluginError
from colim.encoders.graph import GaussianExpansion, check_graph_options, core_graph, radius_edges
from tests.conftest import STRUCTURES


@pytest.fixture(scope="module")
def au25s18():
    return read_core(STRUCTURES / "nanomodeler_au_sr" / "au25SR18_NM.pdb")


def test_core_graph_holds_every_pair_within_the_cutoff_once_per_direction(au25s18):
    graph = core_graph(au25s18, cutoff=3.5)
    d = au25s18.get_all_distances()
    i, j = np.nonzero((d < 3.5) & ~np.eye(len(au25s18), dtype=bool))
    expected = sorted(zip(j.tolist(), i.tolist()))
    assert sorted(map(tuple, graph.edge_index.T.tolist())) == expected
    np.testing.assert_allclose(graph.edge_length.numpy(), d[graph.edge_index[0], graph.edge_index[1]], rtol=1e-6)
    assert graph.z.tolist() == au25s18.numbers.tolist()
    assert graph.pos.dtype == torch.float32 and graph.num_nodes == len(au25s18)


def test_core_graph_does_not_modify_the_core(au25s18):
    before = au25s18.positions.copy()
    core_graph(au25s18)
    assert np.array_equal(au25s18.positions, before)


def test_neighbour_cap_keeps_ties_and_is_rotation_invariant(au25s18):
    graph = core_graph(au25s18, cutoff=4.0, max_neighbors=4)
    incoming = torch.bincount(graph.edge_index[1], minlength=len(au25s18))
    assert incoming.min() >= 1 and incoming.max() >= 4
    d = au25s18.get_all_distances()
    np.fill_diagonal(d, np.inf)
    for atom in range(len(au25s18)):
        sources = graph.edge_index[0][graph.edge_index[1] == atom].numpy()
        kept = d[atom, sources]
        dropped = np.delete(d[atom], sources)
        assert kept.max() <= dropped.min() + 1e-4  # the nearest ones are kept
    rotated = au25s18.copy()
    rotated.positions = au25s18.positions @ Rotation.random(random_state=3).as_matrix().T
    assert torch.equal(core_graph(rotated, cutoff=4.0, max_neighbors=4).edge_index, graph.edge_index)


def test_batched_radius_edges_equal_per_graph_edges_offset(au25s18):
    pos = torch.as_tensor(au25s18.positions, dtype=torch.float64)
    single, lengths = radius_edges(pos, 3.5)
    both, both_lengths = radius_edges(torch.cat([pos, pos[:5]]), 3.5, torch.tensor([0] * len(pos) + [1] * 5))
    tail, _ = radius_edges(pos[:5], 3.5)
    assert torch.equal(both, torch.cat([single, tail + len(pos)], dim=1))
    assert torch.equal(both_lengths[: lengths.numel()], lengths)


def test_a_single_atom_has_no_edges():
    edge_index, lengths = radius_edges(torch.zeros(1, 3))
    assert edge_index.shape == (2, 0) and lengths.shape == (0,)


def test_gaussian_expansion_peaks_at_its_centres():
    expansion = GaussianExpansion(0.0, 4.0, 5)
    out = expansion(torch.tensor([0.0, 2.0, 4.0]))
    assert out.shape == (3, 5)
    assert out.argmax(dim=1).tolist() == [0, 2, 4]
    torch.testing.assert_close(out.max(dim=1).values, torch.ones(3))


def test_graph_options_are_checked_with_one_line_errors():
    with pytest.raises(PluginError) as err:
        check_graph_options("cgcnn", 4.0, 0)
    assert str(err.value) == "cgcnn: max_neighbors must be at least 1 or None, got 0"
    with pytest.raises(PluginError) as err:
        GaussianExpansion(0.0, 4.0, 1)
    assert str(err.value) == "a Gaussian distance expansion needs at least 2 Gaussians over a non-empty range, got 1 over [0.0, 4.0]"
