"""Exact upper bounds of a folded head's score over groups of ligand sets (what pruned screening skips by).

The folded head is ``logit = tail(softplus(P_core + P_set))``: a first hidden layer, a second linear layer
``z = W₂ᵀ softplus(x) + b₂`` and, for deeper heads, more softplus + linear layers. Softplus is convex and
monotone, later layers are linear, the sigmoid (ensemble mean of probabilities) is monotone, so:

- *Interval bounds* (any group of sets): per-unit ``[min, max]`` of ``P_set`` over the group give
  ``[lo, hi]`` of every unit, layer by layer (positive weights take ``hi``, negative ``lo``).
- *Per-ligand bounds* (linear pooling, ``P_set = Σ λᵢ xᵢ`` with ``λ ≥ 0, Σλ = 1``, ``xᵢ = K·pᵢ`` the scaled
  ligand projections): Jensen's inequality ``softplus(c + Σλᵢxᵢ) ≤ Σλᵢ softplus(c + xᵢ)`` and the tangent at
  any point ``t`` (``softplus(c + y) ≥ softplus(c+t) + σ(c+t)(y − t)``, linear in ``y``) give
  ``b₂ + Σλᵢ Lᵢ ≤ z ≤ b₂ + Σλᵢ Uᵢ`` with per-ligand ``Uᵢ, Lᵢ`` (see :meth:`HeadBounds.ligand_terms`), so a
  bound over every set that contains a partial choice of ligands follows from the per-ligand terms alone.

All bounds are computed in float64; the scorer's float32 rounding is covered by :data:`LOGIT_MARGIN`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from colim.screening.folded import FoldedHead

#: slack (logit units) subtracted from thresholds: covers float32 rounding of projections and the fused
#: kernels (errors ~1e-6), so a set the bound skips can never enter a top list.
LOGIT_MARGIN = 1e-3
#: the same slack for the ensemble's mean probability.
PROB_MARGIN = 1e-4


def softplus(x: np.ndarray) -> np.ndarray:
    """Stable float64 softplus."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass
class HeadBounds:
    """A folded head's layers after the first, in float64, shaped for bounding.

    ``w2 [H, J]``, ``b2 [J]``: the second linear layer (``J = 1`` when it is the output). ``tail``: the
    layers after it as padded arrays (``tail_w [T, D, D]``, ``tail_b [T, D]``, ``tail_dims [T + 1]``); a
    one-hidden-layer head has ``T = 0``.
    """

    w2: np.ndarray
    b2: np.ndarray
    tail_w: np.ndarray
    tail_b: np.ndarray
    tail_dims: np.ndarray

    @classmethod
    def of(cls, head: FoldedHead) -> "HeadBounds":
        weights = [w.detach().cpu().double().numpy() for w in head.rest_weights]
        biases = [b.detach().cpu().double().numpy() for b in head.rest_biases]
        later = list(zip(weights[1:], biases[1:]))
        dims = [weights[0].shape[1]] + [w.shape[1] for w, _ in later]
        width = max(dims)
        tail_w = np.zeros((len(later), width, width))
        tail_b = np.zeros((len(later), width))
        for t, (w, b) in enumerate(later):
            tail_w[t, : w.shape[0], : w.shape[1]] = w
            tail_b[t, : b.shape[0]] = b
        return cls(weights[0], biases[0], tail_w, tail_b, np.asarray(dims, dtype=np.int64))

    @property
    def finite(self) -> bool:
        """Whether every weight is finite (a NaN or infinite weight leaves nothing to bound by)."""
        return bool(np.isfinite(self.w2).all() and np.isfinite(self.b2).all() and np.isfinite(self.tail_w).all()
                    and np.isfinite(self.tail_b).all())

    @property
    def units(self) -> int:
        """``J``: units of the second linear layer."""
        return self.w2.shape[1]

    def ligand_terms(self, p_core: np.ndarray, x: np.ndarray, tangent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-ligand ``U, L [n, J]`` for one core: ``z ≤ b₂ + Σλᵢ Uᵢ`` and ``z ≥ b₂ + Σλᵢ Lᵢ`` for every set pooled
        from these ligands with weights ``λ`` (``x [n, H]``: scaled ligand projections; ``tangent [H]``: where the
        concave-side units are linearised, best near the sets that matter)."""
        convex = softplus(p_core[None, :] + x)
        a = p_core + tangent
        line = softplus(a)[None, :] + sigmoid(a)[None, :] * (x - tangent[None, :])
        pos, neg = np.maximum(self.w2, 0.0), np.minimum(self.w2, 0.0)
        return convex @ pos + line @ neg, line @ pos + convex @ neg

    def upper(self, z_hi: np.ndarray, z_lo: np.ndarray) -> np.ndarray:
        """Upper bound of the logit from bounds of ``z`` (``[..., J]``, ``b₂`` included)."""
        if len(self.tail_w) == 0:
            return z_hi[..., 0]
        hi, lo = softplus(z_hi), softplus(z_lo)
        for t in range(len(self.tail_w)):
            din, dout = self.tail_dims[t], self.tail_dims[t + 1]
            w, b = self.tail_w[t, :din, :dout], self.tail_b[t, :dout]
            pos, neg = np.maximum(w, 0.0), np.minimum(w, 0.0)
            hi, lo = b + hi @ pos + lo @ neg, b + lo @ pos + hi @ neg
            if t < len(self.tail_w) - 1:
                hi, lo = softplus(hi), softplus(lo)
        return hi[..., 0]

    def interval_upper(self, p_core: np.ndarray, set_lo: np.ndarray, set_hi: np.ndarray) -> np.ndarray:
        """Upper bound of the logit of cores ``p_core [C, H]`` over any set whose ``P_set`` lies in
        ``[set_lo, set_hi]`` (``[G, H]`` per group): ``[C, G]``."""
        x_hi = softplus(p_core[:, None, :] + set_hi[None, :, :])
        x_lo = softplus(p_core[:, None, :] + set_lo[None, :, :])
        pos, neg = np.maximum(self.w2, 0.0), np.minimum(self.w2, 0.0)
        return self.upper(x_hi @ pos + x_lo @ neg + self.b2, x_lo @ pos + x_hi @ neg + self.b2)
