"""Branch-and-bound over ligand choices: the exact top lists of one core over a combinatorial library with
linear pooling, scoring only the sets whose bound can still reach them.

A ``k``-kind set is a path of ``k`` ligand choices; with the per-ligand terms of
:meth:`colim.screening.bounds.HeadBounds.ligand_terms` a partial choice bounds every set that completes
it (its chosen ligands' terms plus the best ``r`` terms among the ligands still allowed). The search
(:func:`_search`, numba) walks the choices depth first, ligands ordered by their own bound, and drops
a subtree (and, since the suffix bound covers them, all its later siblings) as soon as its bound is
below every threshold: the ensemble's k-th best score and, with several members, each member's
``depth``-th best logit (so the per-member lists, hence rank stability, stay exact too). Surviving sets
are scored exactly, in batches, and the thresholds rise as they are merged.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from colim.screening.bounds import HeadBounds, softplus

#: sets emitted per search call before they are scored and the thresholds raised.
BATCH = 1 << 15
#: ligands (best by their own bound) whose combinations are scored first to set the thresholds.
SEED_LIGANDS = 12


@njit(inline="always")
def _sp(x):  # pragma: no cover - compiled
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@njit(cache=True)
def _member_upper(m, z_hi, z_lo, tail_w, tail_b, tail_dims, tail_n, a_hi, a_lo, b_hi, b_lo):  # pragma: no cover - compiled
    """Logit upper bound of member ``m`` from ``z`` bounds (interval arithmetic through its later layers)."""
    if tail_n[m] == 0:
        return z_hi[0]
    j = tail_dims[m, 0]
    for u in range(j):
        a_hi[u] = _sp(z_hi[u])
        a_lo[u] = _sp(z_lo[u])
    for t in range(tail_n[m]):
        din, dout = tail_dims[m, t], tail_dims[m, t + 1]
        for o in range(dout):
            hi = tail_b[m, t, o]
            lo = hi
            for i in range(din):
                w = tail_w[m, t, i, o]
                if w >= 0:
                    hi += w * a_hi[i]
                    lo += w * a_lo[i]
                else:
                    hi += w * a_lo[i]
                    lo += w * a_hi[i]
            b_hi[o] = hi
            b_lo[o] = lo
        last = t == tail_n[m] - 1
        for o in range(dout):
            a_hi[o] = b_hi[o] if last else _sp(b_hi[o])
            a_lo[o] = b_lo[o] if last else _sp(b_lo[o])
    return a_hi[0]


@njit(inline="always")
def may_enter(ub, thr_m, thr_e, ensemble):  # pragma: no cover - compiled
    """Whether sets whose members' logits are at most ``ub [M]`` may still enter a top list: one model, its
    logit against ``thr_e``; an ensemble, any member's against its depth list's ``thr_m``, or the mean
    probability against ``thr_e``."""
    if not ensemble:
        return ub[0] >= thr_e
    total = 0.0
    for m in range(ub.shape[0]):
        if ub[m] >= thr_m[m]:
            return True
        total += 1.0 / (1.0 + math.exp(-ub[m]))
    return total / ub.shape[0] >= thr_e


@njit(cache=True)
def _passes(hi, lo, thr_m, thr_e, ensemble, tail_w, tail_b, tail_dims, tail_n, a_hi, a_lo, b_hi, b_lo, ub):  # pragma: no cover - compiled
    """Whether a group with ``z`` bounds ``hi, lo [M, J]`` may still enter a top list (``ub [M]``: scratch)."""
    for m in range(hi.shape[0]):
        ub[m] = _member_upper(m, hi[m], lo[m], tail_w, tail_b, tail_dims, tail_n, a_hi, a_lo, b_hi, b_lo)
    return may_enter(ub, thr_m, thr_e, ensemble)


@njit(cache=True)
def _suffix_best(values, r_max, largest):  # pragma: no cover - compiled
    """``out[m, r, p, j]`` = sum of the ``r`` largest (or smallest) ``values[m, q, j]`` over ``q ≥ p``
    (±inf where fewer than ``r`` remain)."""
    members, n, units = values.shape
    sign = 1.0 if largest else -1.0
    out = np.zeros((members, r_max + 1, n + 1, units))
    best = np.empty(r_max)
    for m in range(members):
        for j in range(units):
            count = 0
            for r in range(1, r_max + 1):
                out[m, r, n, j] = sign * -np.inf
            for p in range(n - 1, -1, -1):
                v = sign * values[m, p, j]
                q = -1
                if count < r_max:
                    best[count] = v
                    count += 1
                    q = count - 1
                elif v > best[r_max - 1]:
                    best[r_max - 1] = v
                    q = r_max - 1
                while q > 0 and best[q - 1] < best[q]:
                    best[q - 1], best[q] = best[q], best[q - 1]
                    q -= 1
                acc = 0.0
                for r in range(1, r_max + 1):
                    if r <= count:
                        acc += best[r - 1]
                        out[m, r, p, j] = sign * acc
                    else:
                        out[m, r, p, j] = sign * -np.inf
    return out


@njit(cache=True)
def _search(k, upper, lower, su, sl, b2, tail_w, tail_b, tail_dims, tail_n, thr_m, thr_e, ensemble, pos, state, out):  # pragma: no cover - compiled
    """Depth-first search of ``k``-ligand choices (increasing positions of the ordered ligands) from the saved
    ``pos``/``state[0]`` (depth; −1 when finished); writes the positions of sets that pass into ``out`` until it
    is full and returns how many. Shapes: ``upper, lower [M, L, J]``, ``su, sl [M, k + 1, L + 1, J]``."""
    members, n, units = upper.shape
    inv = 1.0 / k
    width = max(units, tail_dims.max())
    a_hi, a_lo, b_hi, b_lo = np.empty(width), np.empty(width), np.empty(width), np.empty(width)
    hi_sum, lo_sum = np.zeros((k + 1, members, units)), np.zeros((k + 1, members, units))
    hi, lo = np.empty((members, units)), np.empty((members, units))
    ub = np.empty(members)
    d = state[0]
    for e in range(max(d, 0)):
        hi_sum[e + 1] = hi_sum[e] + upper[:, pos[e], :]
        lo_sum[e + 1] = lo_sum[e] + lower[:, pos[e], :]
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
        for m in range(members):  # every choice from p on at this depth, with r more after it
            for j in range(units):
                hi[m, j] = b2[m, j] + (hi_sum[d, m, j] + su[m, r + 1, p, j]) * inv
                lo[m, j] = b2[m, j] + (lo_sum[d, m, j] + sl[m, r + 1, p, j]) * inv
        if not _passes(hi, lo, thr_m, thr_e, ensemble, tail_w, tail_b, tail_dims, tail_n, a_hi, a_lo, b_hi, b_lo, ub):
            d -= 1
            if d >= 0:
                pos[d] += 1
            continue
        hi_sum[d + 1] = hi_sum[d] + upper[:, p, :]
        lo_sum[d + 1] = lo_sum[d] + lower[:, p, :]
        for m in range(members):  # this choice, with the best r after it
            for j in range(units):
                hi[m, j] = b2[m, j] + (hi_sum[d + 1, m, j] + su[m, r, p + 1, j]) * inv
                lo[m, j] = b2[m, j] + (lo_sum[d + 1, m, j] + sl[m, r, p + 1, j]) * inv
        ok = _passes(hi, lo, thr_m, thr_e, ensemble, tail_w, tail_b, tail_dims, tail_n, a_hi, a_lo, b_hi, b_lo, ub)
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


class MemberBounds:
    """One member's bounding data for a library's ligands: its :class:`HeadBounds` and the per-ligand
    projections ``p [L, H]`` (library rows) through its first layer."""

    def __init__(self, bounds: HeadBounds, ligand_proj: np.ndarray):
        self.bounds = bounds
        self.proj = np.asarray(ligand_proj, dtype=np.float64)


def packed_tails(bounds: list[HeadBounds]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The members' later layers as one padded set of arrays for the numba search, and ``b₂ [M, J]``."""
    t_max = max(len(b.tail_w) for b in bounds)
    width = max(int(b.tail_dims.max()) for b in bounds)
    units = max(b.units for b in bounds)
    if len({b.units for b in bounds}) != 1:
        raise ValueError("ensemble members with different second-layer widths")
    tail_w = np.zeros((len(bounds), max(t_max, 1), width, width))
    tail_b = np.zeros((len(bounds), max(t_max, 1), width))
    dims = np.zeros((len(bounds), t_max + 2), dtype=np.int64)
    count = np.zeros(len(bounds), dtype=np.int64)
    b2 = np.zeros((len(bounds), units))
    for m, b in enumerate(bounds):
        t = len(b.tail_w)
        count[m] = t
        dims[m, : t + 1] = b.tail_dims
        if t:
            tail_w[m, :t, : b.tail_w.shape[1], : b.tail_w.shape[2]] = b.tail_w
            tail_b[m, :t, : b.tail_b.shape[1]] = b.tail_b
        b2[m] = b.b2
    return tail_w, tail_b, dims, count, b2


def terms(members: list[MemberBounds], p_core: list[np.ndarray], scale: float, tangents: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-ligand ``U, L [M, L, J]`` of one core for sets pooled with scale ``scale`` (1 for mean, kinds for sum)."""
    ups, los = [], []
    for mb, pc, t in zip(members, p_core, tangents):
        u, low = mb.bounds.ligand_terms(pc, scale * mb.proj, t)
        ups.append(u)
        los.append(low)
    return np.stack(ups), np.stack(los)


def single_scores(members: list[MemberBounds], upper: np.ndarray, lower: np.ndarray, ensemble: bool) -> np.ndarray:
    """Each ligand's own bound on the ranking score (orders the search: likely winners first)."""
    ub = np.stack([mb.bounds.upper(upper[m] + mb.bounds.b2, lower[m] + mb.bounds.b2) for m, mb in enumerate(members)])
    if ensemble:
        return (1.0 / (1.0 + np.exp(-ub))).mean(axis=0)
    return ub[0]


def search_batches(k: int, upper: np.ndarray, lower: np.ndarray, order: np.ndarray, packed, thresholds):
    """Yield ``[n, k]`` ligand choices (library rows, unsorted) of the ``k``-kind sets that may still enter the
    top lists; ``thresholds()`` gives the current ``(thr_m [M], thr_e)`` before each batch."""
    tail_w, tail_b, dims, count, b2 = packed
    up, lo = np.ascontiguousarray(upper[:, order]), np.ascontiguousarray(lower[:, order])
    su, sl = _suffix_best(up, k, True), _suffix_best(lo, k, False)
    pos = np.zeros(k, dtype=np.int64)
    state = np.zeros(1, dtype=np.int64)
    out = np.empty((BATCH, k), dtype=np.int64)
    while state[0] >= 0:
        thr_m, thr_e = thresholds()
        got = _search(k, up, lo, su, sl, b2, tail_w, tail_b, dims, count, thr_m, thr_e, len(upper) > 1, pos, state, out)
        if got:
            yield order[out[:got]]


__all__ = ["BATCH", "MemberBounds", "SEED_LIGANDS", "may_enter", "packed_tails", "search_batches", "single_scores", "softplus", "terms"]
