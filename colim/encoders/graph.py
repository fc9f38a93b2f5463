"""Core graphs: atoms as nodes (atomic numbers), edges between atoms closer than a cutoff, Gaussian
expansion of edge lengths.

PyG's ``radius_graph`` needs pyg-lib/torch-cluster, which colim does not depend on, so neighbours
are found with ``torch.cdist`` one graph at a time (cores hold at most a few hundred atoms).
Edge lengths are recomputed from ``pos`` inside the encoders, so embeddings are differentiable with
respect to positions and invariant to rotations and translations by construction.

Atoms enter either as physical element features (``atom_features="physics"``, the default: a linear map
of the standardised properties of :mod:`colim.encoders.element_table`, so an element the training data
never showed lands near its group neighbours) or as a learned per-element vector (``"learned"``, the
original CoLiM embedding, whose rows for unseen elements stay random). The pooled core embedding goes
through a LayerNorm (``readout_norm="layernorm"``, the default), which bounds its norm whatever the
core's elements; ``"none"`` is the original unbounded mean. With ``oxidation_state=True`` the core's metal
oxidation state (``core.info["oxidation_state"]``, see :func:`colim.structures.core.oxidation_state`) enters
as a graph-level input: ``[state / 3, known]`` (``[0, 0]`` when unknown) through a linear map, zero at
start, added to the pooled vector, so the embedding keeps its size and a pretrained encoder starts from
the same numbers. With ``composition=True`` the mean of the atoms' initial embeddings (the core's element
composition, before any message passing) enters the same way: a single metal atom (the core of a mononuclear
complex) and a 55-atom cluster of that metal then share that part of their vectors, which is what lets
per-metal ligand chemistry learned on complexes reach clusters. A graph without edges (one atom) has no
geometry: its message-passing part is set to zero, so everything a one-atom core says about its element
goes through the composition term that a cluster of that element shares; and the message-passing part of
every core enters through a learned gate that starts at zero, so a model pretrained on one-atom cores
(which never trains the gate) starts its cluster training from exactly the per-metal chemistry it learned,
and the geometry term grows only as far as the cluster data ask. Checkpoints written before these options
existed rebuild with :data:`LEGACY_GRAPH_ARGS` (learned, no norm, no oxidation state, no composition term).
"""

from __future__ import annotations

import torch
from ase import Atoms
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn import global_mean_pool

from colim.encoders.base import CoreEncoder
from colim.encoders.element_table import physics_features, radii_angstrom
from colim.errors import PluginError
from colim.structures.core import oxidation_state

#: default neighbour cutoff in Å: covers Au–Au, Cu–Cu, Ag–Ag first shells (2.5–3.0 Å) and Au–S/Cu–Cl.
DEFAULT_CUTOFF = 4.0
#: default number of Gaussians in the distance expansion.
DEFAULT_NUM_GAUSSIANS = 40
#: one more than the largest atomic number an element embedding must hold.
NUM_ELEMENTS = 119
#: distances closer than this (Å) to the k-th neighbour's count as ties when capping neighbours.
TIE_TOLERANCE = 1e-4
#: how atoms enter a graph encoder: physical element features, or a learned vector per element.
ATOM_FEATURES = ("physics", "learned")
#: what follows the mean pooling of atom features: a LayerNorm (bounded norm) or nothing.
READOUT_NORMS = ("layernorm", "none")
#: with ``relative_distances``, edge lengths divided by the two atoms' summed covalent radii are expanded over [0, this].
RELATIVE_DISTANCE_STOP = 2.5
#: arguments graph encoders gained after their first checkpoints, with the values those checkpoints were built with.
LEGACY_GRAPH_ARGS = {"atom_features": "learned", "readout_norm": "none", "relative_distances": False, "oxidation_state": False,
                     "composition": False}
#: oxidation states are divided by this before they enter an encoder.
OXIDATION_SCALE = 3.0


def oxidation_features(core: Atoms) -> Tensor:
    """``[[state / OXIDATION_SCALE, 1]]`` for a core with a known oxidation state, else ``[[0, 0]]``. Shapes: ``[1, 2]``."""
    state = oxidation_state(core)
    return torch.tensor([[0.0, 0.0] if state is None else [state / OXIDATION_SCALE, 1.0]], dtype=torch.float32)


def radius_edges(
    pos: Tensor,
    cutoff: float = DEFAULT_CUTOFF,
    batch: Tensor | None = None,
    max_neighbors: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Directed edges ``j → i`` between distinct atoms of the same graph closer than ``cutoff``.

    With ``max_neighbors``, each atom keeps its ``max_neighbors`` nearest neighbours plus any tied
    with the last one (within :data:`TIE_TOLERANCE`), so the graph does not depend on atom order or
    orientation. Edges are sorted by target then source, so the result is deterministic.

    Args:
        pos: ``[N, 3]`` positions (Å).
        cutoff: neighbour radius (Å), exclusive.
        batch: ``[N]`` graph index of each atom (sorted, as PyG batches are), or None for one graph.
        max_neighbors: cap on incoming edges per atom, or None for no cap.

    Shapes: returns ``edge_index [2, E]`` (row 0 = source j, row 1 = target i) and lengths ``[E]``.
    """
    if batch is None:
        batch = torch.zeros(pos.shape[0], dtype=torch.long, device=pos.device)
    counts = torch.bincount(batch) if batch.numel() else batch.new_zeros(0)
    sources, targets = [], []
    start = 0
    for count in counts.tolist():
        if count > 1:
            p = pos[start : start + count]
            dist = torch.cdist(p, p)
            dist.fill_diagonal_(float("inf"))
            mask = dist < cutoff
            if max_neighbors is not None and count - 1 > max_neighbors:
                kth = torch.sort(dist, dim=1).values[:, max_neighbors - 1 : max_neighbors]
                mask &= dist <= kth + TIE_TOLERANCE
            i, j = mask.nonzero(as_tuple=True)  # row-major: sorted by target i, then source j
            sources.append(j + start)
            targets.append(i + start)
        start += count
    if sources:
        edge_index = torch.stack([torch.cat(sources), torch.cat(targets)])
    else:
        edge_index = torch.zeros(2, 0, dtype=torch.long, device=pos.device)
    return edge_index, edge_lengths(pos, edge_index)


def edge_lengths(pos: Tensor, edge_index: Tensor) -> Tensor:
    """Euclidean length of each edge. Shapes: ``pos [N, 3]``, ``edge_index [2, E]`` → ``[E]``."""
    return (pos[edge_index[0]] - pos[edge_index[1]]).norm(dim=-1)


def core_graph(core: Atoms, cutoff: float = DEFAULT_CUTOFF, max_neighbors: int | None = None) -> Data:
    """The graph of one core, on the CPU: ``z [N]`` (long), ``pos [N, 3]`` (float32),
    ``edge_index [2, E]`` and ``edge_length [E]`` (float32, Å).

    Neighbours are searched in float64 so that near-ties at the cutoff resolve the same way for a
    rotated copy. ``core`` is not modified.
    """
    pos64 = torch.as_tensor(core.get_positions(), dtype=torch.float64)
    edge_index, lengths = radius_edges(pos64, cutoff, max_neighbors=max_neighbors)
    return Data(
        z=torch.as_tensor(core.numbers, dtype=torch.long).clone(),
        pos=pos64.float(),
        edge_index=edge_index,
        edge_length=lengths.float(),
        num_nodes=len(core),
    )


class GaussianExpansion(nn.Module):
    """Expand distances on ``num_gaussians`` Gaussians evenly spaced over ``[start, stop]`` (CGCNN/SchNet).

    Shapes: ``[E]`` → ``[E, num_gaussians]``.
    """

    def __init__(self, start: float = 0.0, stop: float = DEFAULT_CUTOFF, num_gaussians: int = DEFAULT_NUM_GAUSSIANS):
        super().__init__()
        if num_gaussians < 2 or not stop > start:
            raise PluginError(f"a Gaussian distance expansion needs at least 2 Gaussians over a non-empty range, got {num_gaussians} over [{start}, {stop}]")
        offsets = torch.linspace(start, stop, num_gaussians)
        self.register_buffer("offsets", offsets, persistent=False)
        self.coeff = -0.5 / float(offsets[1] - offsets[0]) ** 2

    def forward(self, distances: Tensor) -> Tensor:
        return torch.exp(self.coeff * (distances[:, None] - self.offsets[None, :]) ** 2)


def check_graph_options(encoder: str, cutoff: float, max_neighbors: int | None) -> None:
    """Refuse a non-positive cutoff or neighbour cap with a one-line :class:`PluginError`."""
    if not cutoff > 0:
        raise PluginError(f"{encoder}: cutoff must be positive, got {cutoff}")
    if max_neighbors is not None and max_neighbors < 1:
        raise PluginError(f"{encoder}: max_neighbors must be at least 1 or None, got {max_neighbors}")


class PhysicsAtomEmbedding(nn.Module):
    """Atomic number → linear map of the element's standardised physical features (one-hot group, period
    and block; electronegativity, radii, valence electrons, ionisation energy, electron affinity,
    polarisability). The feature table is a buffer saved with the weights, so a checkpoint keeps the
    features it was trained with. Shapes: ``z [N]`` → ``[N, embedding_dim]``."""

    def __init__(self, embedding_dim: int):
        super().__init__()
        features = physics_features()
        self.register_buffer("features", features)
        self.linear = nn.Linear(features.shape[1], embedding_dim)

    def forward(self, z: Tensor) -> Tensor:
        return self.linear(self.features[z])


class GraphCoreEncoder(CoreEncoder):
    """A core encoder whose input is :func:`core_graph` (set ``self.cutoff`` and ``self.max_neighbors``).

    Subclasses call :meth:`init_graph_layers` and implement :meth:`atom_features` from
    :meth:`embed_atoms` and :meth:`edge_features`; the batch has ``z``, ``pos``, ``edge_index``,
    ``edge_length``, ``batch`` and ``num_graphs``.
    """

    cutoff: float = DEFAULT_CUTOFF
    max_neighbors: int | None = None
    oxidation_state: bool = False
    composition: bool = False
    #: arguments missing from an old checkpoint's record take these values (see :data:`LEGACY_GRAPH_ARGS`).
    legacy_init_args = LEGACY_GRAPH_ARGS

    def featurize(self, core: Atoms) -> Data:
        graph = core_graph(core, self.cutoff, self.max_neighbors)
        if self.oxidation_state:
            graph.oxidation = oxidation_features(core)
        return graph

    def init_graph_layers(self, embedding_dim: int, cutoff: float, num_gaussians: int, max_neighbors: int | None,
                          atom_features: str = "physics", readout_norm: str = "layernorm", relative_distances: bool = False,
                          oxidation_state: bool = False, composition: bool = False) -> None:
        """Check the graph options and build what every graph encoder starts from: an element embedding
        (``self.embedding``), a Gaussian distance expansion (``self.expansion``) and the readout norm."""
        check_graph_options(self.name, cutoff, max_neighbors)
        if atom_features not in ATOM_FEATURES:
            raise PluginError(f"{self.name}: atom_features must be one of {', '.join(ATOM_FEATURES)}, got {atom_features!r}")
        if readout_norm not in READOUT_NORMS:
            raise PluginError(f"{self.name}: readout_norm must be one of {', '.join(READOUT_NORMS)}, got {readout_norm!r}")
        self.embedding_dim = int(embedding_dim)
        self.cutoff = float(cutoff)
        self.max_neighbors = max_neighbors
        self.relative_distances = bool(relative_distances)
        if atom_features == "physics":
            self.embedding: nn.Module = PhysicsAtomEmbedding(self.embedding_dim)
        else:
            self.embedding = nn.Embedding(NUM_ELEMENTS, self.embedding_dim)
        if self.relative_distances:
            self.register_buffer("radii", radii_angstrom())
            self.expansion = GaussianExpansion(0.0, RELATIVE_DISTANCE_STOP, num_gaussians)
        else:
            self.expansion = GaussianExpansion(0.0, self.cutoff, num_gaussians)
        self.readout_norm = nn.LayerNorm(self.embedding_dim) if readout_norm == "layernorm" else nn.Identity()
        self.oxidation_state = bool(oxidation_state)
        if self.oxidation_state:
            self.oxidation = nn.Linear(2, self.embedding_dim)
            nn.init.zeros_(self.oxidation.weight)
            nn.init.zeros_(self.oxidation.bias)
        self.composition = bool(composition)
        if self.composition:
            self.composition_map = nn.Linear(self.embedding_dim, self.embedding_dim)
            nn.init.zeros_(self.composition_map.weight)
            nn.init.zeros_(self.composition_map.bias)
            self.geometry_gate = nn.Parameter(torch.zeros(()))

    def embed_atoms(self, batch: Data) -> Tensor:
        """Initial atom features from the atomic numbers: ``[N, embedding_dim]``."""
        return self.embedding(batch.z)

    def edge_features(self, batch: Data) -> Tensor:
        """Gaussian expansion of the edge lengths (in Å, or over the summed covalent radii with
        ``relative_distances``): ``[E, num_gaussians]``."""
        lengths = edge_lengths(batch.pos, batch.edge_index)
        if self.relative_distances:
            lengths = lengths / (self.radii[batch.z[batch.edge_index[0]]] + self.radii[batch.z[batch.edge_index[1]]])
        return self.expansion(lengths)

    def atom_features(self, batch: Data) -> Tensor:
        """Per-atom features after the last layer, ``[N, embedding_dim]`` (also used by explanations)."""
        raise NotImplementedError

    def forward(self, batch: Data) -> Tensor:
        """Mean of :meth:`atom_features` over each core's atoms, then the readout norm (plus the oxidation-state
        term with ``oxidation_state``): ``[num_graphs, embedding_dim]``."""
        pooled = self.readout_norm(global_mean_pool(self.atom_features(batch), batch.batch, size=batch.num_graphs))
        if self.composition:
            has_edges = torch.zeros(batch.num_graphs, dtype=pooled.dtype, device=pooled.device)
            has_edges = has_edges.index_fill(0, batch.batch[batch.edge_index[1]], 1.0) if batch.edge_index.numel() else has_edges
            composition = self.composition_map(global_mean_pool(self.embed_atoms(batch), batch.batch, size=batch.num_graphs))
            pooled = self.geometry_gate * pooled * has_edges[:, None] + composition
        if self.oxidation_state:
            pooled = pooled + self.oxidation(batch.oxidation)
        return pooled
