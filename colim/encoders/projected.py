"""The tail most ligand encoders share: per-ligand features → a trainable projection → :class:`SetPooling` over each set.

:class:`PooledLigandEncoder` owns the set pooling (``self.pooling``, which screening reads to pool cached per-ligand
vectors linearly); :class:`ProjectedLigandEncoder` adds the projection of fixed per-ligand features
(``self.project``: Linear → Softplus → Linear), so a featuriser plugin writes only :meth:`featurize`. The
attribute names are those of the first checkpoints, so saved weights load unchanged.
"""

from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

from colim.encoders.base import LigandEncoder
from colim.encoders.pooling import SetPooling


class PooledLigandEncoder(LigandEncoder):
    """A ligand encoder whose sets are pooled by :class:`SetPooling` (``mean``, ``sum`` or ``attention``)."""

    pooling: SetPooling

    def init_pooling(self, pooling: str, embedding_dim: int) -> None:
        """Build the set pooling of ``embedding_dim``-wide ligand embeddings."""
        self.pooling = SetPooling(pooling, embedding_dim)

    def pool(self, ligand_embeddings: Tensor, set_index: Tensor, weights: Tensor | None, num_sets: int) -> Tensor:
        return self.pooling(ligand_embeddings, set_index, weights, num_sets)


class ProjectedLigandEncoder(PooledLigandEncoder):
    """Fixed per-ligand features (:meth:`featurize`: SMILES → ``[n, in_dim]``, no gradient) → Linear → Softplus →
    Linear (``embedding_dim``) → pooled per set.

    Subclasses call :meth:`init_projection` in ``__init__`` and implement :meth:`featurize`.
    """

    def init_projection(self, in_dim: int, embedding_dim: int, pooling: str) -> None:
        """Build the projection ``in_dim → embedding_dim`` and the set pooling."""
        self.embedding_dim = embedding_dim
        self.project = nn.Sequential(nn.Linear(in_dim, embedding_dim), nn.Softplus(), nn.Linear(embedding_dim, embedding_dim))
        self.init_pooling(pooling, embedding_dim)

    def featurize(self, smiles: Sequence[str]) -> Tensor:
        """Features of each SMILES, ``[len(smiles), in_dim]`` (CPU, float32)."""
        raise NotImplementedError

    def embed_ligands(self, smiles: Sequence[str]) -> Tensor:
        return self.project(self.featurize(smiles).to(self.device))
