"""Geometric sanity checks of edited cores: no overlapping atoms, one connected metal framework,
no atom floating away. Every rejection has a reason code, so enumeration can count them per reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.data import covalent_radii
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from colim.io.structure_readers import BOND_TOLERANCE
from colim.structures.core import is_metal

#: reason codes, in the order they are checked.
NO_METAL = "no-metal"
TOO_CLOSE = "too-close"
ISOLATED = "isolated-atom"
DISCONNECTED = "disconnected"
REASONS = (NO_METAL, TOO_CLOSE, ISOLATED, DISCONNECTED)


@dataclass(frozen=True)
class SanityRules:
    """Limits an edited core must meet.

    Attributes:
        min_distance_factor: any two atoms at least this fraction of the sum of their covalent
            radii apart (0.8: Au–Au ≥ 2.18 Å).
        bond_tolerance: atoms are bonded closer than this times the sum of covalent radii (the
            same rule as :func:`colim.structures.bonded_pairs`); every atom needs one bond and the
            metal atoms must form one connected framework.
    """

    min_distance_factor: float = 0.8
    bond_tolerance: float = BOND_TOLERANCE


@dataclass(frozen=True)
class Problem:
    """Why a core fails: a reason code from :data:`REASONS` and one line of detail."""

    reason: str
    detail: str


def check_core(core: Atoms, rules: SanityRules = SanityRules()) -> Problem | None:
    """The first problem of ``core`` (see :data:`REASONS`), or None when it passes every check."""
    symbols = core.get_chemical_symbols()
    metal = np.array([is_metal(s) for s in symbols], dtype=bool)
    if not metal.any():
        return Problem(NO_METAL, f"{core.get_chemical_formula() or 'empty core'} has no metal atom")
    if len(core) == 1:
        return None
    dist = core.get_all_distances()
    radii = covalent_radii[core.numbers]
    rsum = radii[:, None] + radii[None, :]
    np.fill_diagonal(dist, np.inf)
    ratio = dist / rsum
    i, j = np.unravel_index(np.argmin(ratio), ratio.shape)
    if ratio[i, j] < rules.min_distance_factor:
        i, j = min(i, j), max(i, j)
        return Problem(TOO_CLOSE, f"atoms {i} and {j} are {dist[i, j]:.2f} Å apart (minimum {rules.min_distance_factor * rsum[i, j]:.2f} Å)")
    bonded = dist < rules.bond_tolerance * rsum
    lonely = np.nonzero(~bonded.any(axis=1))[0]
    if len(lonely):
        k = int(lonely[0])
        return Problem(ISOLATED, f"atom {k} ({symbols[k]}) has no neighbour within bonding distance")
    idx = np.nonzero(metal)[0]
    n_parts, _ = connected_components(csr_matrix(bonded[np.ix_(idx, idx)]), directed=False)
    if n_parts > 1:
        return Problem(DISCONNECTED, f"the metal framework falls into {n_parts} pieces")
    return None
