"""The ``gin`` core encoder (a Table 1 baseline): element embedding → GIN layers over the cutoff
graph (GINEConv with Gaussian-expanded edge lengths, or plain GINConv) → mean pooling.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torch_geometric.nn import GINConv, GINEConv

from colim import Registrar, hookimpl
from colim.encoders import CoreEncoder
from colim.encoders.graph import GraphCoreEncoder


def _gin_mlp(dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, dim), nn.BatchNorm1d(dim), nn.ReLU(), nn.Linear(dim, dim))


class GINEncoder(GraphCoreEncoder):
    """Atom embedding (physics features or learned) → ``num_layers`` × ReLU(GIN(E)Conv(h)) → mean pool → LayerNorm → ``[B, embedding_dim]``.

    Args:
        num_layers: number of GIN layers (each an MLP with BatchNorm; running stats in eval mode).
        edge_features: GINEConv with distance features (True) or topology-only GINConv (False).
        graph_input: the :class:`colim.encoders.graph.GraphInput` options: ``embedding_dim`` (atom feature and
            core embedding size; 128), ``cutoff`` (Å), ``num_gaussians`` (used with ``edge_features``),
            ``max_neighbors``, ``atom_features`` (``"physics"`` or ``"learned"``), ``readout_norm``
            (``"layernorm"`` or ``"none"``), ``relative_distances``, ``oxidation_state`` and ``composition`` (graph-level
            inputs, :mod:`colim.encoders.graph`).
    """

    name = "gin"
    version = "1"

    def __init__(self, num_layers: int = 3, edge_features: bool = True, **graph_input: Any):
        super().__init__()
        graph = self.init_graph_layers(graph_input)
        self.use_edge_features = bool(edge_features)
        if self.use_edge_features:
            convs = [GINEConv(_gin_mlp(self.embedding_dim), train_eps=True, edge_dim=graph.num_gaussians) for _ in range(num_layers)]
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
