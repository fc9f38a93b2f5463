"""The ``schnet`` core encoder: PyG's SchNet used as a backbone, returning the mean of its atom
features after the interaction blocks (a core embedding) instead of a predicted energy.

PyG's default neighbour search needs torch-cluster, so SchNet gets ``interaction_graph=``
:class:`CutoffGraph`, which builds the edges with :func:`colim.encoders.graph.radius_edges` (``torch.cdist``).
"""

from __future__ import annotations

from typing import Any

import torch
from ase import Atoms
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn.models import SchNet

from colim import Registrar, hookimpl
from colim.encoders import CoreEncoder
from colim.encoders.graph import DEFAULT_NUM_GAUSSIANS, centred_positions, check_graph_options, radius_edges
from colim.errors import StructureError

#: SchNet's element embedding holds atomic numbers below this.
SCHNET_MAX_Z = 100


class CutoffGraph(nn.Module):
    """SchNet ``interaction_graph``: ``(pos [N, 3], batch [N])`` → ``(edge_index [2, E], lengths [E])``."""

    def __init__(self, cutoff: float, max_neighbors: int | None = None):
        super().__init__()
        self.cutoff = cutoff
        self.max_neighbors = max_neighbors

    def forward(self, pos: Tensor, batch: Tensor) -> tuple[Tensor, Tensor]:
        return radius_edges(pos, self.cutoff, batch, self.max_neighbors)


class SchNetEncoder(CoreEncoder):
    """SchNet embedding + ``num_interactions`` interaction blocks (continuous filters with a cosine
    cutoff, residual updates) → mean over atoms → ``[B, embedding_dim]``.

    Args:
        embedding_dim: SchNet ``hidden_channels``, the size of the core embedding.
        num_filters: filter size of the continuous-filter convolutions.
        num_interactions: number of interaction blocks.
        num_gaussians: Gaussians in SchNet's distance expansion.
        cutoff: neighbour radius in Å (interactions fade smoothly to zero at it).
        max_neighbors: cap on neighbours per atom (ties kept), or None.
    """

    name = "schnet"
    version = "1"

    def __init__(
        self,
        embedding_dim: int = 128,
        num_filters: int = 128,
        num_interactions: int = 3,
        num_gaussians: int = DEFAULT_NUM_GAUSSIANS,
        cutoff: float = 5.0,
        max_neighbors: int | None = None,
    ):
        super().__init__()
        check_graph_options(self.name, cutoff, max_neighbors)
        self.embedding_dim = int(embedding_dim)
        self.cutoff = float(cutoff)
        self.backbone = SchNet(
            hidden_channels=self.embedding_dim, num_filters=num_filters, num_interactions=num_interactions,
            num_gaussians=num_gaussians, cutoff=self.cutoff, interaction_graph=CutoffGraph(self.cutoff, max_neighbors),
            readout="mean",
        )
        # The energy head is not part of the representation: make SchNet's forward return the pooled
        # atom features, and drop the head's parameters.
        self.backbone.lin1 = nn.Identity()
        self.backbone.act = nn.Identity()
        self.backbone.lin2 = nn.Identity()

    def featurize(self, core: Atoms) -> Data:
        """``z [N]`` and ``pos [N, 3]``; edges are built in :meth:`forward` by the interaction graph."""
        z = torch.as_tensor(core.numbers, dtype=torch.long).clone()
        if len(z) and int(z.max()) >= SCHNET_MAX_Z:
            raise StructureError(f"schnet: elements with atomic number >= {SCHNET_MAX_Z} are not supported")
        return Data(z=z, pos=centred_positions(core).float(), num_nodes=len(core))

    def atom_features(self, batch: Any) -> Tensor:
        """Per-atom features after the interaction blocks, ``[N, embedding_dim]`` (for explanations);
        :meth:`forward` is their mean per core."""
        net = self.backbone
        h = net.embedding(batch.z)
        edge_index, edge_weight = net.interaction_graph(batch.pos, batch.batch)
        edge_attr = net.distance_expansion(edge_weight)
        for interaction in net.interactions:
            h = h + interaction(h, edge_index, edge_weight, edge_attr)
        return h

    def forward(self, batch: Any) -> Tensor:
        return self.backbone(batch.z, batch.pos, batch.batch)


@hookimpl
def colim_register_core_encoders(register: Registrar[CoreEncoder]) -> None:
    register.add(SchNetEncoder)
