"""Permutation-invariant pooling of per-ligand embeddings into ligand-set embeddings (DeepSets style).

Weights are stoichiometric ratios normalised per set; uniform weights give the plain sum, mean or
attention pooling, so a set's embedding never depends on the order of its ligands.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from colim.choices import resolve_choice

POOLING_MODES = ("mean", "sum", "attention")


def _scatter_sum(values: Tensor, index: Tensor, num_segments: int) -> Tensor:
    out = torch.zeros((num_segments,) + values.shape[1:], dtype=values.dtype, device=values.device)
    return out.index_add_(0, index, values)


def uniform_weights(set_index: Tensor, num_sets: int, dtype: torch.dtype) -> Tensor:
    """``1 / |set|`` for each member row."""
    counts = _scatter_sum(torch.ones_like(set_index, dtype=dtype), set_index, num_sets)
    return 1.0 / counts[set_index]


class SetPooling(nn.Module):
    """Pool ``[M, D]`` member rows into ``[S, D]`` set rows by ``mode`` (mean, sum or attention)."""

    def __init__(self, mode: str, dim: int):
        super().__init__()
        self.mode = resolve_choice(mode, POOLING_MODES, "set pooling")
        self.dim = dim
        if self.mode == "attention":
            hidden = max(dim // 2, 1)
            self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x: Tensor, set_index: Tensor, weights: Tensor | None, num_sets: int) -> Tensor:
        """Shapes: ``x [M, D]``, ``set_index [M]``, ``weights [M]`` or None; returns ``[num_sets, D]``."""
        if weights is None:
            weights = uniform_weights(set_index, num_sets, x.dtype)
        else:
            weights = weights / _scatter_sum(weights, set_index, num_sets)[set_index]
        if self.mode == "mean":
            return _scatter_sum(x * weights[:, None], set_index, num_sets)
        if self.mode == "sum":
            counts = _scatter_sum(torch.ones_like(weights), set_index, num_sets)[set_index]
            return _scatter_sum(x * (weights * counts)[:, None], set_index, num_sets)
        logits = self.score(x).squeeze(-1) + torch.log(weights)
        peak = torch.full((num_sets,), -torch.inf, dtype=x.dtype, device=x.device)
        peak = peak.scatter_reduce(0, set_index, logits, reduce="amax", include_self=True)
        alpha = torch.exp(logits - peak[set_index])
        alpha = alpha / _scatter_sum(alpha, set_index, num_sets)[set_index]
        return _scatter_sum(x * alpha[:, None], set_index, num_sets)
