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
from colim.encoders.graph import (
    DEFAULT_CUTOFF,
    DEFAULT_NUM_GAUSSIANS,
    GraphCoreEncoder,
)


class CGCNNEncoder(GraphCoreEncoder):
    """Atom embedding (physics features or learned) → ``num_layers`` × (h + CGConv(h)) → mean pool → LayerNorm → ``[B, embedding_dim]``.

    Args:
        embedding_dim: atom feature size, which is also the size of the core embedding.
        num_layers: number of CGCNN layers.
        cutoff: neighbour radius in Å.
        num_gaussians: Gaussians in the distance expansion (edge feature size).
        max_neighbors: cap on neighbours per atom (ties kept), or None.
        atom_features: ``"physics"`` (element properties, transfers to unseen elements) or ``"learned"``
            (one trained vector per element, the original CoLiM embedding).
        readout_norm: ``"layernorm"`` (bounded core embedding) or ``"none"`` (plain mean).
        relative_distances: expand edge lengths divided by the two atoms' summed covalent radii.
        batch_norm: BatchNorm inside each CGConv, as in the CGCNN paper (uses running stats in eval mode).
        oxidation_state: take the core's metal oxidation state as a graph-level input (see
            :mod:`colim.encoders.graph`).
        composition: add a learned map of the mean initial atom embedding (the element composition) to the
            pooled vector, shared by a single atom and a cluster of the same metal.
    """

    name = "cgcnn"
    version = "1"

    def __init__(
        self,
        embedding_dim: int = 128,
        num_layers: int = 3,
        cutoff: float = DEFAULT_CUTOFF,
        num_gaussians: int = DEFAULT_NUM_GAUSSIANS,
        max_neighbors: int | None = None,
        batch_norm: bool = True,
        atom_features: str = "physics",
        readout_norm: str = "layernorm",
        relative_distances: bool = False,
        oxidation_state: bool = False,
        composition: bool = False,
    ):
        super().__init__()
        self.init_graph_layers(embedding_dim, cutoff, num_gaussians, max_neighbors, atom_features, readout_norm, relative_distances, oxidation_state, composition)
        self.convs = nn.ModuleList(
            CGConv(self.embedding_dim, dim=num_gaussians, aggr="add", batch_norm=batch_norm) for _ in range(num_layers)
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
