"""Core geometry matching: is this core the same 3D arrangement as that one, whatever the atom order?

Two cores match when they hold the same elements in the same numbers and, after element-aware
alignment, their RMSD is below a threshold. Alignment: centre both, rotate each into its principal
axes, try the 8 axis sign flips (so mirror images match: enantiomers count as one geometry), then
alternate Hungarian assignment of atoms of the same element with a Kabsch rotation. When no flip
aligns the cores exactly, extra random starting rotations are tried: principal axes of two
relaxations of one framework (say Au40 from a CIF and from a DFT run with another thiolate) can
differ by a large angle even when their axes are not degenerate.
"""

from __future__ import annotations

import itertools

import numpy as np
from ase import Atoms
from scipy.optimize import linear_sum_assignment

#: default RMSD threshold (Å) under which two cores are one geometry.
RMSD_THRESHOLD = 0.5
_REFINE_STEPS = 4
_RANDOM_STARTS = 48
#: below this RMSD (Å) from the sign flips the cores are taken as identical and no random start is tried.
_EXACT = 0.05


def _principal_frame(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    centred = positions - positions.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    return centred @ vectors, values


def _assign(a: np.ndarray, b: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """Permutation ``p`` such that b[p] is matched to a, within each element."""
    perm = np.empty(len(a), dtype=int)
    for z in np.unique(numbers):
        idx = np.nonzero(numbers == z)[0]
        cost = ((a[idx, None, :] - b[None, idx, :]) ** 2).sum(-1)
        rows, cols = linear_sum_assignment(cost)
        perm[idx[rows]] = idx[cols]
    return perm


def _kabsch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation R (proper) minimising |a - b @ R|."""
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    return u @ np.diag([1.0, 1.0, d]) @ vt


def core_rmsd(a: Atoms, b: Atoms, seed: int = 0) -> float:
    """Smallest RMSD (Å) between two cores over atom orderings within each element; inf if compositions differ."""
    if len(a) != len(b) or sorted(a.numbers) != sorted(b.numbers):
        return float("inf")
    # Sort b's atoms by element so per-element index sets line up with a's.
    order_a, order_b = np.argsort(a.numbers, kind="stable"), np.argsort(b.numbers, kind="stable")
    numbers = a.numbers[order_a]
    pa, _ = _principal_frame(a.positions[order_a])
    pb, _ = _principal_frame(b.positions[order_b])
    flips = [np.diag(signs) for signs in itertools.product((1.0, -1.0), repeat=3)]
    best = _best_rmsd(pa, pb, numbers, flips)
    if best > _EXACT:
        rng = np.random.default_rng(seed)
        starts = []
        for _ in range(_RANDOM_STARTS):
            q, r = np.linalg.qr(rng.normal(size=(3, 3)))
            starts.append(q * np.sign(np.diag(r)))
        best = min(best, _best_rmsd(pa, pb, numbers, starts))
    return best


def _best_rmsd(pa: np.ndarray, pb: np.ndarray, numbers: np.ndarray, starts: list[np.ndarray]) -> float:
    """Smallest RMSD over starting rotations of ``pb``, each refined by assignment + Kabsch."""
    best = float("inf")
    for start in starts:
        moved = pb @ start
        for _ in range(_REFINE_STEPS):
            perm = _assign(pa, moved, numbers)
            moved = moved[perm]
            moved = moved @ _kabsch(pa, moved)
        rmsd = float(np.sqrt(((pa - moved) ** 2).sum(-1).mean()))
        best = min(best, rmsd)
        if best < 1e-6:
            break
    return best


def geometry_classes(cores: list[Atoms], threshold: float = RMSD_THRESHOLD) -> list[str]:
    """Label each core with a geometry class id (``Au25-g0``...): same class = same composition and RMSD < threshold.

    Cores are compared with the first member (the representative) of each class of their
    composition, in input order.
    """
    representatives: dict[str, list[tuple[str, Atoms]]] = {}
    labels = []
    for core in cores:
        formula = core.get_chemical_formula()
        classes = representatives.setdefault(formula, [])
        for label, rep in classes:
            if core_rmsd(rep, core) < threshold:
                labels.append(label)
                break
        else:
            label = f"{formula}-g{len(classes)}"
            classes.append((label, core))
            labels.append(label)
    return labels
