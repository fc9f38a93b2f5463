"""Where the engine's embeddings come from, block by block: rows of an in-memory array or of an HDF5
dataset (read in slices, never whole), and ligand sets either stored as rows or generated on the fly
from per-ligand embeddings by a :class:`~colim.libraries.ligand_sets.SetSpace`.

Every source pickles to its description (array, or file path + dataset name, or set rule), never to an
open file handle, so Dask workers rebuild it and read the shared library file themselves.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch import Tensor

from colim.encoders.pooling import SetPooling
from colim.libraries.core_library import find_embeddings
from colim.libraries.encoder_info import EncoderInfo
from colim.libraries.ligand_sets import SetSpace
from colim.libraries.rows import ArrayRows, H5Rows, as_rows  # noqa: F401 (re-exported for the engine)
from colim.libraries.views import LigandLibraryView
from colim.screening.folded import FoldedHead

#: set pooling modes whose set embedding is linear in the ligands' embeddings.
LINEAR_POOLING = ("mean", "sum")


class EmbeddedSets:
    """Ligand sets stored as embedding rows (a materialised library, or an in-memory array)."""

    def __init__(self, rows):
        self.rows_source = as_rows(rows)

    def __len__(self) -> int:
        return len(self.rows_source)

    @property
    def dim(self) -> int:
        return self.rows_source.shape[1]

    def embeddings(self, s0: int, s1: int) -> np.ndarray:
        """Set embeddings ``s0:s1``."""
        return self.rows_source.block(s0, s1)

    def embeddings_of(self, ids: np.ndarray) -> np.ndarray:
        """Set embeddings of arbitrary ids."""
        return self.rows_source.rows(ids)

    def projections(self, head: FoldedHead, s0: int, s1: int) -> Tensor:
        """``P_set`` of sets ``s0:s1`` through ``head``'s first layer."""
        return head.project_sets(torch.from_numpy(self.embeddings(s0, s1)))

    def projections_of(self, head: FoldedHead, ids: np.ndarray) -> Tensor:
        return head.project_sets(torch.from_numpy(self.embeddings_of(ids)))


class CombinatorialSets:
    """Ligand sets generated from a :class:`SetSpace` and per-ligand embeddings ``[L, D]``.

    With linear pooling (``mean``/``sum``) a set's first-layer pre-activation is the weighted sum of
    its ligands' projections, so sets are scored from ``[L, H]`` per-ligand projections without ever
    forming set embeddings. Other pooling (attention) pools each block's sets with ``encoder``
    (bounded by the block size) and projects them.
    """

    def __init__(self, space: SetSpace, per_ligand: np.ndarray, pooling: str | None, encoder=None):
        self.space = space
        self.per_ligand = np.ascontiguousarray(per_ligand, dtype=np.float32)
        self.pooling = pooling if pooling in LINEAR_POOLING else None
        self.encoder = encoder
        if self.pooling is None and encoder is None:
            raise ValueError("non-linear set pooling needs the ligand encoder to pool sets")
        self._proj_cache: dict[int, Tensor] = {}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_proj_cache"] = {}
        return state

    def __len__(self) -> int:
        return len(self.space)

    @property
    def dim(self) -> int:
        return self.per_ligand.shape[1]

    def _coefficients(self, members: np.ndarray, ratios: np.ndarray) -> np.ndarray:
        """Per-member pooling weights ``[n, 4]`` (0 on padding): normalised ratios (mean), × kinds (sum)."""
        present = members >= 0
        raw = np.where(ratios[:, :1] > 0, ratios, 1.0) * present
        coef = raw / raw.sum(axis=1, keepdims=True)
        if self.pooling == "sum":
            coef = coef * present.sum(axis=1, keepdims=True)
        return coef.astype(np.float32)

    def _pooled(self, table: np.ndarray, members: np.ndarray, ratios: np.ndarray) -> np.ndarray:
        coef = self._coefficients(members, ratios)
        out = np.zeros((len(members), table.shape[1]), dtype=np.float32)
        for c in range(members.shape[1]):
            present = members[:, c] >= 0
            if present.any():
                if present.all():
                    out += coef[:, c, None] * table[members[:, c]]
                else:
                    out[present] += coef[present, c, None] * table[members[present, c]]
        return out

    def _encoder_pooled(self, members: np.ndarray, ratios: np.ndarray) -> np.ndarray:
        sets = self.space.ligand_sets(members, ratios)
        with torch.no_grad():
            pooled = self.encoder.pool_sets(torch.from_numpy(self.per_ligand).to(self.encoder.device), self.space.smiles, sets)
        return pooled.float().cpu().numpy()

    def embeddings_of(self, ids: np.ndarray) -> np.ndarray:
        """Set embeddings of arbitrary ids (pooled from the per-ligand rows)."""
        members, ratios = self.space.rows(ids)
        return self._pooled(self.per_ligand, members, ratios) if self.pooling else self._encoder_pooled(members, ratios)

    def embeddings(self, s0: int, s1: int) -> np.ndarray:
        members, ratios = self.space.block(s0, s1)
        return self._pooled(self.per_ligand, members, ratios) if self.pooling else self._encoder_pooled(members, ratios)

    def _ligand_projections(self, head: FoldedHead) -> np.ndarray:
        key = id(head)
        if key not in self._proj_cache:
            self._proj_cache[key] = head.project_sets(torch.from_numpy(self.per_ligand)).cpu().numpy()
        return self._proj_cache[key]

    def projections(self, head: FoldedHead, s0: int, s1: int) -> Tensor:
        """``P_set`` of sets ``s0:s1``: Σ weight × ligand projection (linear pooling), else pool then project."""
        members, ratios = self.space.block(s0, s1)
        if self.pooling is None:
            return head.project_sets(torch.from_numpy(self._encoder_pooled(members, ratios)))
        return torch.from_numpy(self._pooled(self._ligand_projections(head), members, ratios))

    def projections_of(self, head: FoldedHead, ids: np.ndarray) -> Tensor:
        members, ratios = self.space.rows(ids)
        if self.pooling is None:
            return head.project_sets(torch.from_numpy(self._encoder_pooled(members, ratios)))
        return torch.from_numpy(self._pooled(self._ligand_projections(head), members, ratios))


def library_set_source(library: LigandLibraryView, info: EncoderInfo, model_name: str, ligand_encoder=None) -> EmbeddedSets | CombinatorialSets:
    """The engine's set source for the model whose ligand encoder is ``info`` (and ``ligand_encoder``): the
    library's stored set rows, or its sets generated from per-ligand rows (combinatorial library)."""
    groups = [(group_info, (per, ds)) for group_info, per, ds in library.groups]
    per, ds = find_embeddings(library.path, "ligand", groups, info, model_name)
    if library.space is None:
        return EmbeddedSets(H5Rows(library.path, ds))
    mode = linear_pooling(ligand_encoder) if ligand_encoder is not None else None
    return CombinatorialSets(library.space, per, mode, None if mode else ligand_encoder)


def as_set_source(data) -> EmbeddedSets | CombinatorialSets:
    """Arrays, tensors and row sources become :class:`EmbeddedSets`; set sources pass through."""
    return data if isinstance(data, (EmbeddedSets, CombinatorialSets)) else EmbeddedSets(data)


def linear_pooling(encoder) -> str | None:
    """``mean``/``sum`` when ``encoder`` pools sets linearly (its ``pooling`` is a SetPooling in that mode),
    checked numerically on a few sets; None otherwise (attention, or a custom ``pool``)."""
    pooling = getattr(encoder, "pooling", None)
    mode = getattr(pooling, "mode", None)
    if not isinstance(pooling, SetPooling) or mode not in LINEAR_POOLING:
        return None
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(7, int(getattr(encoder, "embedding_dim", pooling.dim)), generator=gen)
    set_index = torch.tensor([0, 1, 1, 2, 2, 2, 3])
    weights = torch.tensor([1.0, 2.0, 1.0, 12.0, 3.0, 6.0, 1.0])
    with torch.no_grad():
        got = encoder.pool(x.to(encoder.device), set_index.to(encoder.device), (weights / torch.tensor([1, 3, 3, 21, 21, 21, 1.0])).to(encoder.device), 4).cpu()
    norm = weights / torch.zeros(4).index_add_(0, set_index, weights)[set_index]
    if mode == "sum":
        norm = norm * torch.zeros(4).index_add_(0, set_index, torch.ones(7))[set_index]
    expect = torch.zeros(4, x.shape[1]).index_add_(0, set_index, x * norm[:, None])
    return mode if torch.allclose(got, expect, atol=1e-5) else None
