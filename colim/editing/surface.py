"""Surface sites of a core for adding an atom: on-top, bridge and hollow sites.

Surface atoms are the vertices of the convex hull plus every atom with at most
``SURFACE_COORDINATION`` bonded neighbours (so concave spots count too). Sites are surface atoms
(top), bonded pairs of them (bridge) and mutually bonded triangles of them (hollow). Each site has an
outward normal, pointing away from the centre of the atoms bonded to the site (the core's centre when
that is ambiguous), and the new atom sits along it, one bond length (sum of covalent radii) from
every site atom. Everything is computed from distances and positions only, so symmetry-equivalent
sites get symmetry-equivalent positions. Sites whose new atom clashes are not filtered here: the
sanity checks reject (and count) them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from scipy.spatial import ConvexHull, QhullError

from colim.io.structure_readers import BOND_TOLERANCE

#: atoms with at most this many bonded neighbours are surface atoms even inside the convex hull.
SURFACE_COORDINATION = 9
TOP, BRIDGE, HOLLOW = "top", "bridge", "hollow"


@dataclass(frozen=True)
class SurfaceSite:
    """A site: its kind, the atoms defining it, and the new atom's position for an element."""

    kind: str
    indices: tuple[int, ...]
    position: tuple[float, float, float]


def bond_matrix(core: Atoms, tolerance: float = BOND_TOLERANCE) -> np.ndarray:
    """Boolean ``[n, n]``: atoms closer than ``tolerance`` times the sum of covalent radii."""
    radii = covalent_radii[core.numbers]
    dist = core.get_all_distances()
    bonded = dist < tolerance * (radii[:, None] + radii[None, :])
    np.fill_diagonal(bonded, False)
    return bonded


def surface_atoms(core: Atoms, bonded: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of surface atoms: convex-hull vertices or low coordination."""
    bonded = bond_matrix(core) if bonded is None else bonded
    mask = bonded.sum(axis=1) <= SURFACE_COORDINATION
    if len(core) >= 4:
        try:
            mask[ConvexHull(core.get_positions()).vertices] = True
        except QhullError:  # flat or linear core: every atom is on the surface
            mask[:] = True
    else:
        mask[:] = True
    return mask


def _outward(core: Atoms, bonded: np.ndarray, idx: tuple[int, ...], centre: np.ndarray, project) -> np.ndarray | None:
    """Unit outward direction of a site, projected by ``project`` (None when it is undefined)."""
    pos = core.get_positions()
    near = np.zeros(len(core), dtype=bool)
    for i in idx:
        near |= bonded[i]
    near[list(idx)] = False
    for ref in ([pos[near].mean(axis=0)] if near.any() else []) + [pos.mean(axis=0)]:
        v = project(centre - ref)
        norm = np.linalg.norm(v)
        if norm > 1e-3:
            return v / norm
    return None


def surface_sites(core: Atoms, element: str) -> list[SurfaceSite]:
    """Every top, bridge and hollow site of ``core`` with the position of a new ``element`` atom."""
    bonded = bond_matrix(core)
    surface = np.nonzero(surface_atoms(core, bonded))[0]
    pos = core.get_positions()
    r_new = covalent_radii[atomic_numbers[element]]
    groups: list[tuple[str, tuple[int, ...]]] = [(TOP, (int(i),)) for i in surface]
    groups += [(BRIDGE, (int(i), int(j))) for i, j in combinations(surface, 2) if bonded[i, j]]
    groups += [
        (HOLLOW, (int(i), int(j), int(k)))
        for i, j in combinations(surface, 2) if bonded[i, j]
        for k in surface[surface > j] if bonded[i, k] and bonded[j, k]
    ]
    sites = []
    for kind, idx in groups:
        pts = pos[list(idx)]
        centre = pts.mean(axis=0)
        if kind == TOP:
            project = lambda v: v  # noqa: E731
        elif kind == BRIDGE:
            axis = (pts[1] - pts[0]) / np.linalg.norm(pts[1] - pts[0])
            project = lambda v, a=axis: v - (v @ a) * a  # noqa: E731
        else:
            normal = np.cross(pts[1] - pts[0], pts[2] - pts[0])
            normal /= np.linalg.norm(normal)
            project = lambda v, n=normal: (v @ n) * n  # noqa: E731
        direction = _outward(core, bonded, idx, centre, project)
        if direction is None:
            continue
        bond = float(np.mean(r_new + covalent_radii[core.numbers[list(idx)]]))
        spread = float(np.mean(np.sum((pts - centre) ** 2, axis=1)))
        if bond**2 <= spread:  # the hole is wider than a bond: the atom would sit inside it
            continue
        height = np.sqrt(bond**2 - spread)
        sites.append(SurfaceSite(kind, idx, tuple(float(c) for c in centre + height * direction)))
    return sites
