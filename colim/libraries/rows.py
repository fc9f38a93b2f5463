"""Rows of embeddings read block by block: an in-memory array, or a 2-D dataset of an HDF5 file read in
slices (never whole) and opened lazily per process, so a source pickles to its path, not a file handle."""

from __future__ import annotations

import os

import h5py
import numpy as np
from torch import Tensor


class ArrayRows:
    """Rows of an in-memory ``[N, D]`` float32 array."""

    def __init__(self, data: np.ndarray | Tensor):
        self.data = np.ascontiguousarray(data.detach().cpu().numpy() if isinstance(data, Tensor) else data, dtype=np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape

    def __len__(self) -> int:
        return self.data.shape[0]

    def block(self, a: int, b: int) -> np.ndarray:
        """Rows ``a:b``."""
        return self.data[a:b]

    def rows(self, index: np.ndarray) -> np.ndarray:
        """Rows at ``index`` (any order, repeats allowed)."""
        return self.data[np.asarray(index, dtype=np.int64)]


class H5Rows:
    """Rows of a 2-D float dataset of an HDF5 file, read in slices; the file opens lazily per process."""

    def __init__(self, path: str | os.PathLike, dataset: str):
        self.path, self.dataset = os.path.abspath(path), dataset  # absolute: Dask workers open it from elsewhere
        with h5py.File(self.path, "r") as f:
            self._shape = tuple(int(x) for x in f[dataset].shape)
        self._handle = None

    def __getstate__(self) -> dict:
        return {"path": self.path, "dataset": self.dataset, "_shape": self._shape, "_handle": None}

    @property
    def shape(self) -> tuple[int, int]:
        return self._shape

    def __len__(self) -> int:
        return self._shape[0]

    def _ds(self):
        if self._handle is None:
            self._handle = h5py.File(self.path, "r")
        return self._handle[self.dataset]

    def block(self, a: int, b: int) -> np.ndarray:
        """Rows ``a:b`` (one contiguous read)."""
        return np.asarray(self._ds()[a:b], dtype=np.float32)

    def rows(self, index: np.ndarray) -> np.ndarray:
        """Rows at ``index``: one sorted, de-duplicated read."""
        index = np.asarray(index, dtype=np.int64)
        if not len(index):
            return np.zeros((0, self._shape[1]), np.float32)
        unique, inverse = np.unique(index, return_inverse=True)
        return np.asarray(self._ds()[unique], dtype=np.float32)[inverse]


def as_rows(data) -> ArrayRows | H5Rows:
    """Wrap an array/tensor as :class:`ArrayRows`; sources pass through."""
    return data if isinstance(data, (ArrayRows, H5Rows)) else ArrayRows(data)
