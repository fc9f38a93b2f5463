"""FAISS adapter: exact L2 indexes of embeddings, their serialisation into HDF5 byte arrays, and
nearest-neighbour distances. The only module that imports faiss."""

from __future__ import annotations

import faiss
import numpy as np

from colim.errors import LibraryError


def build_index(embeddings: np.ndarray) -> "faiss.Index":
    """An exact (flat) L2 index over ``[N, D]`` float32 rows."""
    data = np.ascontiguousarray(embeddings, dtype=np.float32)
    index = faiss.IndexFlatL2(data.shape[1])
    if len(data):
        index.add(data)
    return index


def serialize(index: "faiss.Index") -> np.ndarray:
    """The index as a uint8 array (to store as an HDF5 dataset)."""
    return np.asarray(faiss.serialize_index(index), dtype=np.uint8)


def deserialize(data: np.ndarray, where: str) -> "faiss.Index":
    """Rebuild an index stored by :func:`serialize`; ``where`` names the file in errors."""
    try:
        return faiss.deserialize_index(np.ascontiguousarray(data, dtype=np.uint8))
    except RuntimeError as exc:
        raise LibraryError(f"{where}: corrupt FAISS index") from exc


def nearest_distance(index: "faiss.Index", queries: np.ndarray, skip_self: bool = False) -> np.ndarray:
    """Euclidean distance of each query row to its nearest indexed row (the second nearest when
    ``skip_self``, for queries that are themselves indexed). Shapes: ``[Q, D] -> [Q]``."""
    k = 2 if skip_self else 1
    if index.ntotal < k:
        return np.full(len(queries), np.nan, dtype=np.float32)
    dist, _ = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return np.sqrt(np.maximum(dist[:, k - 1], 0.0)).astype(np.float32)
