"""Reference deduplication by brute force, the independent check of the symmetry machinery.

Apply every edit, then compare edited cores pairwise: for each pair, try every rotation that sends
two reference atoms of one core onto any same-element pair of the other, assign atoms optimally
(Hungarian, per element) and refine with Kabsch; two cores are the same when the best alignment
leaves every atom within ``tol``. No invariants, colours or point groups are involved, only the
sound shortcut that distances (from the centre and between the two reference atoms) move by at
most ``2 * tol`` under such an alignment, and that a frame leaving an atom ``FAR`` away after one
assignment is not refined further. Slow
(quadratic in cores, cubic-plus in atoms): for tests and benchmarks.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from ase import Atoms
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from colim.editing.operator import EditOperator
from colim.editing.sanity import SanityRules, check_core

#: a frame whose aligned cores still differ by this much (Å) is not refined further.
FAR = 1.0


def _centred(a: Atoms) -> np.ndarray:
    p = a.get_positions()
    return p - p.mean(axis=0)


def _kabsch(x: np.ndarray, y: np.ndarray, det_sign: float) -> np.ndarray:
    u, _, vt = np.linalg.svd(x.T @ y)
    d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    return vt.T @ np.diag([1.0, 1.0, d * det_sign]) @ u.T


def _assign(xr: np.ndarray, y: np.ndarray, zx: np.ndarray, zy: np.ndarray) -> np.ndarray:
    """Optimal (least squared distance) assignment of ``xr`` atoms to same-element ``y`` atoms."""
    perm = np.empty(len(xr), dtype=int)
    for z in np.unique(zx):
        ia, ib = np.nonzero(zx == z)[0], np.nonzero(zy == z)[0]
        rows, cols = linear_sum_assignment(cdist(xr[ia], y[ib], "sqeuclidean"))
        perm[ia[rows]] = ib[cols]
    return perm


def best_alignment(a: Atoms, b: Atoms, tol: float, mirror: bool = True) -> float:
    """The smallest largest-atom-displacement over the tried alignments of ``a`` onto ``b`` (inf if
    compositions differ); stops early once one is within ``tol``."""
    if sorted(a.numbers) != sorted(b.numbers):
        return np.inf
    x, y = _centred(a), _centred(b)
    if len(a) == 1:
        return 0.0
    rx, ry = np.linalg.norm(x, axis=1), np.linalg.norm(y, axis=1)
    a1 = int(np.argmax(rx))
    cross = np.linalg.norm(np.cross(x[a1], x), axis=1)
    a2 = int(np.argmax(cross)) if cross.max() > 1e-6 else None
    best = np.inf
    for b1 in np.nonzero((b.numbers == a.numbers[a1]) & (np.abs(ry - rx[a1]) <= 2 * tol))[0]:
        cands = [None] if a2 is None else np.nonzero((b.numbers == a.numbers[a2]) & (np.abs(ry - rx[a2]) <= 2 * tol))[0]
        for b2 in cands:
            if b2 is not None and abs(np.linalg.norm(y[b1] - y[b2]) - np.linalg.norm(x[a1] - x[a2])) > 2 * tol:
                continue
            for sign in (1.0, -1.0) if mirror else (1.0,):
                fx = _frame(x[a1], None if a2 is None else x[a2], 1.0)
                fy = _frame(y[b1], None if b2 is None else y[b2], sign)
                rot = fy @ fx.T
                for _ in range(3):
                    perm = _assign(x @ rot.T, y, a.numbers, b.numbers)
                    rot = _kabsch(x, y[perm], np.sign(np.linalg.det(rot)))
                    dev = float(np.linalg.norm(x @ rot.T - y[perm], axis=1).max())
                    if dev > FAR:
                        break
                best = min(best, dev)
                if best <= tol:
                    return best
    return best


def _frame(u: np.ndarray, v: np.ndarray | None, sign: float) -> np.ndarray:
    e1 = u / np.linalg.norm(u)
    if v is None:
        v = np.eye(3)[int(np.argmin(np.abs(e1)))]
    e2 = v - (v @ e1) * e1
    e2 /= np.linalg.norm(e2)
    return np.stack([e1, e2, sign * np.cross(e1, e2)], axis=1)


def brute_force_unique(cores: Sequence[Atoms], tol: float, mirror: bool = True) -> list[int]:
    """Indices of the first core of each congruence class, comparing every core to every class."""
    reps: list[int] = []
    for i, core in enumerate(cores):
        if not any(best_alignment(cores[r], core, tol, mirror) <= tol for r in reps):
            reps.append(i)
    return reps


def brute_force_edits(core: Atoms, operator: EditOperator, tol: float, mirror: bool = True, rules: SanityRules = SanityRules()) -> tuple[list[Atoms], int]:
    """Apply every site of ``operator``, drop cores failing sanity; returns (unique cores, rejected edits)."""
    products = [operator.apply(core, s) for s in operator.sites(core)]
    ok = [p for p in products if check_core(p, rules) is None]
    return [ok[i] for i in brute_force_unique(ok, tol, mirror)], len(products) - len(ok)
