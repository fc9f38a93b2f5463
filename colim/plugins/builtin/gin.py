"""The ``gin`` core encoder (a Table 1 baseline): element embedding → GIN layers over the cutoff
graph (GINEConv with Gaussian-expanded edge lengths, or plain GINConv) → mean pooling.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torch_geometric.nn import GINConv, GINEConv

from colim import Registrar, hookimpl
from colim.encoders import CoreEncoder
from colim.encoders.graph import (
    DEFAULT_CUTOFF,
    DEFAULT_NUM_GAUSSIANS,
    GraphCoreEncoder,
)


def _gin_mlp(dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, dim), nn.BatchNorm1d(dim), nn.ReLU(), nn.Linear(dim, dim))


class GINEncoder(GraphCoreEncoder):
    """Atom embedding (physics features or learned) → ``num_layers`` × ReLU(GIN(E)Conv(h)) → mean pool → LayerNorm → ``[B, embedding_dim]``.

    Args:
        embedding_dim: atom feature size and core embedding size.
        num_layers: number of GIN layers (each an MLP with BatchNorm; running stats in eval mode).
        cutoff: neighbour radius in Å.
        num_gaussians: Gaussians in the distance expansion (used with ``edge_features``).
        max_neighbors: cap on neighbours per atom (ties kept), or None.
        atom_features: ``"physics"`` (element properties, transfers to unseen elements) or ``"learned"``
            (one trained vector per element, the original CoLiM embedding).
        readout_norm: ``"layernorm"`` (bounded core embedding) or ``"none"`` (plain mean).
        relative_distances: expand edge lengths divided by the two atoms' summed covalent radii.
        edge_features: GINEConv with distance features (True) or topology-only GINConv (False).
    """

    name = "gin"
    version = "1"

    def __init__(
        self,
        embedding_dim: int = 128,
        num_layers: int = 3,
        cutoff: float = DEFAULT_CUTOFF,
        num_gaussians: int = DEFAULT_NUM_GAUSSIANS,
        max_neighbors: int | None = None,
        edge_features: bool = True,
        atom_features: str = "physics",
        readout_norm: str = "layernorm",
        relative_distances: bool = False,
        oxidation_state: bool = False,
        composition: bool = False,
    ):
        super().__init__()
        self.init_graph_layers(embedding_dim, cutoff, num_gaussians, max_neighbors, atom_features, readout_norm, relative_distances, oxidation_state, composition)
        self.use_edge_features = bool(edge_features)
        if self.use_edge_features:
            convs = [GINEConv(_gin_mlp(self.embedding_dim), train_eps=True, edge_dim=num_gaussians) for _ in range(num_layers)]
        else:
            convs = [GINConv(_gin_mlp(self.embedding_dim), train_eps=True) for _ in range(num_layers)]
        self.convs = nn.ModuleList(convs)
        self.act = nn.ReLU()

    def atom_features(self, batch: Any) -> Tensor:
        """Per-atom features after the last layer, ``[N, embedding_dim]``."""
        h = self.embed_atoms(batch)
        if self.use_edge_features:
            edge_attr = self.edge_features(batch)
            for conv in self.convs:
                h = self.act(conv(h, batch.edge_index, edge_attr))
        else:
            for conv in self.convs:
                h = self.act(conv(h, batch.edge_index))
        return h


@hookimpl
def colim_register_core_encoders(register: Registrar[CoreEncoder]) -> None:
    register.add(GINEncoder)
