"""The ``cgcnn`` core encoder, CoLiM's core encoder: element embedding → CGCNN layers with skip
connections (h ← h + CGConv(h)) → mean pooling over atoms.

Edges join atoms closer than ``cutoff`` Å; edge features are a Gaussian expansion of their lengths.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torch_geometric.nn import CGConv

from colim import Registrar, hookimpl
from colim.encoders import CoreEncoder
from colim.encoders.graph import GraphCoreEncoder


class CGCNNEncoder(GraphCoreEncoder):
    """Atom embedding (physics features or learned) → ``num_layers`` × (h + CGConv(h)) → mean pool → LayerNorm → ``[B, embedding_dim]``.

    Args:
        num_layers: number of CGCNN layers.
        batch_norm: BatchNorm inside each CGConv, as in the CGCNN paper (uses running stats in eval mode).
        graph_input: the :class:`colim.encoders.graph.GraphInput` options: ``embedding_dim`` (atom feature size,
            which is also the size of the core embedding; 128), ``cutoff`` (Å), ``num_gaussians`` (edge feature
            size), ``max_neighbors``, ``atom_features`` (``"physics"`` or ``"learned"``), ``readout_norm``
            (``"layernorm"`` or ``"none"``), ``relative_distances``, ``oxidation_state`` and ``composition`` (graph-level
            inputs, :mod:`colim.encoders.graph`).
    """

    name = "cgcnn"
    version = "1"

    def __init__(self, num_layers: int = 3, batch_norm: bool = True, **graph_input: Any):
        super().__init__()
        graph = self.init_graph_layers(graph_input)
        self.convs = nn.ModuleList(
            CGConv(self.embedding_dim, dim=graph.num_gaussians, aggr="add", batch_norm=batch_norm) for _ in range(num_layers)
        )

    def atom_features(self, batch: Any) -> Tensor:
        """Per-atom features after the last layer, ``[N, embedding_dim]`` (for explanations)."""
        h = self.embed_atoms(batch)
        edge_attr = self.edge_features(batch)
        for conv in self.convs:
            h = h + conv(h, batch.edge_index, edge_attr)
        return h


@hookimpl
def colim_register_core_encoders(register: Registrar[CoreEncoder]) -> None:
    register.add(CGCNNEncoder)
