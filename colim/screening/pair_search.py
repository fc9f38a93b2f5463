"""Quadratic pair bounds: the exact top lists of one core over a combinatorial library when the head has one
hidden layer, with bounds tight enough for flat score landscapes.

For a one-hidden-layer head the logit is ``z = b + Σ_h w_h softplus(y_h)`` with ``y = P_core + P_set`` and, for
linear pooling, ``P_set`` the mean of the set's (scaled) ligand projections ``x_i``. Around a point ``t`` every
unit is bounded by quadratics valid over the whole range ``[lo_h, hi_h]`` that any set's ``y_h`` can take:

    softplus(t) + σ(t)(y − t) + κ⁻ (y − t)²  ≤  softplus(y)  ≤  softplus(t) + σ(t)(y − t) + κ⁺ (y − t)²

with ``κ±`` the largest and smallest of ``g(y) = (softplus(y) − softplus(t) − σ(t)(y − t)) / (y − t)²`` over the
range (sampled on a grid, widened by the grid step times ``max |g'| ≤ max|softplus'''| / 6``). A positive
weight takes ``κ⁺``, a negative one ``κ⁻``, so ``z ≤ A + (1/k)Σᵢ Gᵢ + (1/k²)(Σᵢ Qᵢᵢ + 2Σ_{i<j} Qᵢⱼ)``: the
bound of a ``k``-kind set is a sum of per-ligand terms ``βᵢ`` and pair terms ``γᵢⱼ`` (the square of a mean
is a sum over pairs). Unlike the per-ligand Jensen/tangent bounds of :mod:`colim.screening.branch`, which
bound the convex and concave units apart and lose their cancellation (a gap of ~1.5 logits on the shipped
default), this bound keeps the curvature of both sides and is within ~0.02 logits of the top sets, so
0.005–0.3% of the sets of a 300-ligand library pass it (docs/benchmarks.md).

The search (:func:`_search`, numba) walks ligand choices depth first, ligands ordered by ``β``; suffix maxima of
``β`` and ``γ`` bound every completion of a partial choice, so whole subtrees and all later siblings are
skipped. Sets that pass are scored exactly by the caller; its thresholds rise as they are merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from colim.screening.bounds import HeadBounds, sigmoid, softplus
from colim.screening.branch import may_enter

#: sets emitted per search call before they are scored and the thresholds raised.
BATCH = 1 << 14
#: grid points per unit on which the curvature ratio ``g`` is sampled.
CURVATURE_GRID = 257
#: ``max |g'(y)|``: ``g`` is a weighted mean of softplus'' with weights ``(1 − s)``, so its slope is at most
#: ``max|softplus'''| · ∫(1 − s) s ds = (1 / (6√3)) / 6``; rounded up.
CURVATURE_SLOPE = 0.01605


def applies(bounds: list[HeadBounds]) -> bool:
    """Whether every member's head has one hidden layer (its second linear layer is the output)."""
    return all(b.units == 1 and len(b.tail_w) == 0 for b in bounds)


def curvature_range(t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, ``(κ⁺, κ⁻)``: bounds of ``g(y)`` over ``y ∈ [lo, hi]`` (see the module docstring), rigorous."""
    s = np.linspace(0.0, 1.0, CURVATURE_GRID)[:, None]
    y = lo[None, :] + s * (hi - lo)[None, :]
    d = y - t[None, :]
    near = np.abs(d) < 1e-4
    safe = np.where(near, 1.0, d)
    g = (softplus(y) - softplus(t)[None, :] - sigmoid(t)[None, :] * d) / safe**2
    st = sigmoid(t)
    g = np.where(near, st * (1.0 - st) / 2.0, g)  # the limit at t (the ratio loses digits within 1e-4 of it)
    slack = CURVATURE_SLOPE * (hi - lo) / (CURVATURE_GRID - 1) / 2.0 + 1e-9
    return g.max(axis=0) + slack, np.maximum(g.min(axis=0) - slack, 0.0)


@dataclass
class PairTerms:
    """One member's bound of the sets of one core (see :func:`pair_terms`): ``A``, ``β [L]`` and, made on demand
    in any ligand order (the search's), ``γ [L, L]`` from the deviations ``dev [L, H]`` and unit ``weights [H]``."""

    a: float
    beta: np.ndarray
    dev: np.ndarray
    weights: np.ndarray
    k: int
    pairs: bool

    def gamma(self, order: np.ndarray | None = None) -> np.ndarray:
        """``γ`` with rows and columns in ``order`` (``[L, 0]`` when there is one free choice: never read)."""
        if not self.pairs:
            return np.zeros((len(self.dev), 0))
        dev = self.dev if order is None else np.ascontiguousarray(self.dev[order])
        return 2.0 * _weighted_gram(dev, self.weights) / self.k**2


def pair_terms(bounds: HeadBounds, p_core: np.ndarray, x: np.ndarray, tangent: np.ndarray, k: int,
               fixed: np.ndarray | None = None, n_fixed: int = 0) -> PairTerms:
    """``A, β [L], γ [L, L]`` of one member and core: every ``k``-kind set made of ``n_fixed`` fixed ligands (the
    sum of their scaled rows: ``fixed [H]``) and ``r = k − n_fixed`` of these ligands (rows of ``x [L, H]``), pooled
    as the mean of its rows, has ``logit ≤ A + Σ_{i∈R} βᵢ + Σ_{i<j∈R} γᵢⱼ`` (``tangent [H]``: a ``P_set`` near
    the sets that matter). With ``d = P_set − tangent = (D_F + Σ_{i∈R} Dᵢ)/k``, ``Dᵢ = xᵢ − tangent``:
    ``A = A₀ + G·D_F/k + D_FᵀWD_F/k²``, ``βᵢ = G·Dᵢ/k + (DᵢᵀWDᵢ + 2D_FᵀWDᵢ)/k²``, ``γᵢⱼ = 2DᵢᵀWDⱼ/k²``."""
    w = bounds.w2[:, 0]
    t = p_core + tangent
    r = k - n_fixed
    base = np.zeros_like(tangent) if fixed is None else fixed
    lo, hi = (base + r * x.min(axis=0)) / k, (base + r * x.max(axis=0)) / k  # every P_set these sets can take
    up, low = curvature_range(t, p_core + lo, p_core + hi)
    weights = w * np.where(w > 0, up, low)
    slope = w * sigmoid(t)
    dev = np.ascontiguousarray(x - tangent[None, :])
    d_fixed = base - n_fixed * tangent
    a = float(softplus(t) @ w + bounds.b2[0]) + slope @ d_fixed / k + (weights * d_fixed) @ d_fixed / k**2
    beta = dev @ slope / k + ((dev * dev) @ weights + 2.0 * dev @ (weights * d_fixed)) / k**2
    return PairTerms(a, beta, dev, weights, k, r >= 2)


@njit(cache=True, fastmath=True)
def _weighted_gram(dev, weights):  # pragma: no cover - compiled
    """``Q[i, j] = Σ_h weights[h]·dev[i, h]·dev[j, h]`` in one thread (a BLAS call here competes with the numba
    and torch thread pools of the scoring kernels and ran 30x slower inside a screen)."""
    n, units = dev.shape
    scaled = dev * weights[None, :]
    q = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            acc = 0.0
            for h in range(units):
                acc += scaled[i, h] * dev[j, h]
            q[i, j] = acc
            q[j, i] = acc
    return q


@njit(cache=True)
def _suffix_tables(beta, gamma):  # pragma: no cover - compiled
    """Suffix maxima over positions ``≥ q`` (``−inf`` past the end), per member: ``sb [M, L+1]`` of ``β``,
    ``sbg [M, L, L+1]`` of ``β_c + γ_ic``, ``sg [M, L, L+1]`` of ``γ_ic``, ``gm [M, L+1]`` of ``γ_cc'`` over
    ``q ≤ c < c'``."""
    members, n = beta.shape
    pairs = gamma.shape[2] > 0  # no γ (one free choice): only ``sb`` is read
    sb = np.full((members, n + 1), -np.inf)
    sbg = np.full((members, n if pairs else 0, n + 1), -np.inf)
    sg = np.full((members, n if pairs else 0, n + 1), -np.inf)
    gm = np.full((members, n + 1), -np.inf)
    for m in range(members):
        for q in range(n - 1, -1, -1):
            sb[m, q] = max(sb[m, q + 1], beta[m, q])
        if not pairs:
            continue
        for i in range(n):
            for q in range(n - 1, -1, -1):
                sbg[m, i, q] = max(sbg[m, i, q + 1], beta[m, q] + gamma[m, i, q])
                sg[m, i, q] = max(sg[m, i, q + 1], gamma[m, i, q])
        for q in range(n - 1, -1, -1):  # max over pairs q ≤ c < c' = max(row q beyond q, pairs from q + 1)
            gm[m, q] = max(gm[m, q + 1], sg[m, q, q + 1])
    return sb, sbg, sg, gm


@njit(inline="always")
def _ok(ub, owner, ubm, thr_m, thr_e, ensemble):  # pragma: no cover - compiled
    """Whether the bounds ``ub [V]`` (each a member's bound at one of its tangents; ``owner [V]`` its member) may
    still enter a top list: each member's bound is the least of its tangents' (all hold), then
    :func:`colim.screening.branch.may_enter`."""
    for m in range(ubm.shape[0]):
        ubm[m] = np.inf
    for v in range(ub.shape[0]):
        ubm[owner[v]] = min(ubm[owner[v]], ub[v])
    return may_enter(ubm, thr_m, thr_e, ensemble)


@njit(cache=True)
def _search(k, beta, gamma, sb, sbg, sg, gm, owner, thr_m, thr_e, ensemble, pos, base, state, out):  # pragma: no cover - compiled
    """Depth-first search of ``k``-ligand choices (increasing positions) from the saved ``pos``/``base``/
    ``state[0]`` (depth; −1 when finished); writes the positions of the sets whose bound passes into ``out``
    until it is full and returns how many. Rows ``V`` of the terms are (member, tangent) pairs, ``owner [V]``
    their members; ``base [k + 1, V]``: the bound of the chosen prefix."""
    members, n = beta.shape
    ub = np.empty(members)
    ubm = np.empty(thr_m.shape[0])
    d = state[0]
    count = 0
    cap = out.shape[0]
    while d >= 0:
        p = pos[d]
        r = k - 1 - d
        if p > n - 1 - r:
            d -= 1
            if d >= 0:
                pos[d] += 1
            continue
        # every choice from p on at this depth (r + 1 more ligands, all at positions ≥ p)
        for m in range(members):
            if d == 0:
                each = sb[m, p]
            else:
                each = sbg[m, pos[d - 1], p]
                for e in range(d - 1):
                    each += sg[m, pos[e], p]
            ub[m] = base[d, m] + (r + 1) * each
            if r >= 1:  # (0 · −inf would be NaN where no pair is left)
                ub[m] += (r + 1) * r / 2 * gm[m, p]
        if not _ok(ub, owner, ubm, thr_m, thr_e, ensemble):
            d -= 1
            if d >= 0:
                pos[d] += 1
            continue
        # this choice: its prefix bound, then the best r after it
        for m in range(members):
            v = base[d, m] + beta[m, p]
            for e in range(d):
                v += gamma[m, pos[e], p]
            base[d + 1, m] = v
            if r == 0:
                ub[m] = v
            else:
                each = sbg[m, p, p + 1]
                for e in range(d):
                    each += sg[m, pos[e], p + 1]
                ub[m] = v + r * each
                if r >= 2:
                    ub[m] += r * (r - 1) / 2 * gm[m, p + 1]
        ok = _ok(ub, owner, ubm, thr_m, thr_e, ensemble)
        if r == 0:
            if ok:
                out[count, :k] = pos[:k]
                count += 1
            pos[d] += 1
            if count >= cap:
                state[0] = d
                return count
        elif ok:
            d += 1
            pos[d] = p + 1
        else:
            pos[d] += 1
    state[0] = -1
    return count


class PairSearch:
    """The resumable search of the ``r``-ligand choices whose pair bound may still enter the top lists, from
    :class:`PairTerms` of every member at each of its tangents (``owner``: the member of each; a member's bound
    is the least of its tangents', so a landscape with several peaks is bounded tightly near each); ligands are
    searched best ``β`` first. :meth:`next` returns the next batch of choices (rows of ``β``) or None when done."""

    def __init__(self, r: int, terms: list[PairTerms], owner: list[int]):
        self.r = r
        self.owner = np.asarray(owner, dtype=np.int64)
        beta = np.stack([t.beta for t in terms])
        self.order = np.argsort(-beta.sum(axis=0), kind="stable")
        self.beta = np.ascontiguousarray(beta[:, self.order])
        self.gamma = np.stack([t.gamma(self.order) for t in terms])  # made in search order: no permuted copy
        self.tables = _suffix_tables(self.beta, self.gamma)
        self.pos = np.zeros(r, dtype=np.int64)
        self.base = np.zeros((r + 1, len(terms)))
        self.base[0] = [t.a for t in terms]
        self.state = np.zeros(1, dtype=np.int64)
        self.ensemble = int(self.owner.max()) > 0

    @property
    def done(self) -> bool:
        return self.state[0] < 0

    def next(self, thr_m: np.ndarray, thr_e: float, cap: int = BATCH) -> np.ndarray | None:
        """Up to ``cap`` more choices ``[n, r]`` under the thresholds ``(thr_m [M], thr_e)``; None when finished."""
        if self.done:
            return None
        out = np.empty((cap, self.r), dtype=np.int64)
        got = _search(self.r, self.beta, self.gamma, *self.tables, self.owner, np.asarray(thr_m, dtype=np.float64), float(thr_e), self.ensemble,
                      self.pos, self.base, self.state, out)
        return self.order[out[:got]]


__all__ = ["BATCH", "PairSearch", "PairTerms", "applies", "curvature_range", "pair_terms"]
