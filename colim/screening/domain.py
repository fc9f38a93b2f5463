"""Applicability domain: how far a screened core (and ligand set) lies from the training data in the
model's embedding space.

The reference is the training split of a dataset (``--train-dataset``), embedded with the screening
model's own encoders (the first ensemble member's). A distance is the Euclidean distance to the
nearest training embedding divided by the median nearest-neighbour distance among the training
embeddings themselves: about 1 inside the training cloud, well above 1 outside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from colim.dataset.records import load_dataset
from colim.errors import LibraryError
from colim.model.dual_encoder import CoLiMModel
from colim.libraries import faiss_adapter


@dataclass
class DomainReference:
    """Training embeddings of cores and ligand sets, indexed for nearest-neighbour queries."""

    core_index: object
    set_index: object
    core_scale: float
    set_scale: float

    @classmethod
    def from_embeddings(cls, cores: np.ndarray, sets: np.ndarray) -> "DomainReference":
        """Index ``[N, Dc]`` core and ``[M, Dl]`` set embeddings; scales are their median NN distances."""
        ci, si = faiss_adapter.build_index(cores), faiss_adapter.build_index(sets)
        return cls(ci, si, _scale(ci, cores), _scale(si, sets))

    def core_distance(self, embeddings: np.ndarray) -> np.ndarray:
        """Relative distance of ``[Q, Dc]`` core embeddings to the training cores."""
        return faiss_adapter.nearest_distance(self.core_index, embeddings) / self.core_scale

    def set_distance(self, embeddings: np.ndarray) -> np.ndarray:
        """Relative distance of ``[Q, Dl]`` set embeddings to the training ligand sets."""
        return faiss_adapter.nearest_distance(self.set_index, embeddings) / self.set_scale


def _scale(index, data: np.ndarray) -> float:
    d = faiss_adapter.nearest_distance(index, data, skip_self=True)
    d = d[np.isfinite(d) & (d > 0)]
    return float(np.median(d)) if len(d) else 1.0


@torch.no_grad()
def reference_from_dataset(path: str | os.PathLike, model: CoLiMModel, batch_size: int = 64) -> DomainReference:
    """Embed the training split of the dataset at ``path`` with ``model``'s encoders."""
    ds = load_dataset(path)
    train = ds.split_pairs("train")
    if not train:
        raise LibraryError(f"{path}: the dataset has no training pairs to define the applicability domain")
    core_rows = sorted({p.core_index for p in train})
    sets = list({p.ligand_set.key: p.ligand_set for p in train}.values())
    cores = model.core_encoder.encode([ds.cores[i] for i in core_rows], batch_size=batch_size).numpy()
    set_emb = model.ligand_encoder.encode(sets).numpy()
    return DomainReference.from_embeddings(cores, set_emb)
