"""Edit sites named by kind, as a chemist reads a cluster: where on the core the edited atom sits
(vertex, edge or face of the surface, the centre or the interior) and its coordination number.

An index alone (``site 12``) says nothing without the structure; ``vertex CN6`` or ``centre CN12`` does.
The surface is the convex hull of the core: hull vertices are ``vertex`` atoms, other atoms within
:data:`SURFACE_DISTANCE` of the hull lie on an ``edge`` (near a hull edge) or a ``face``; inner atoms are
``centre`` (the one at the core's centroid) or ``interior``. Add sites keep their own kind (top,
bridge, hollow) with the number of metal atoms they touch.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from ase import Atoms
from ase.data import covalent_radii
from scipy.spatial import ConvexHull, QhullError

from colim.io.structure_readers import BOND_TOLERANCE

#: Å from the convex hull within which an atom counts as a surface atom.
SURFACE_DISTANCE = 0.6
#: Å from the centroid within which an inner atom is the centre.
CENTRE_DISTANCE = 1.0


def coordination_number(core: Atoms, i: int) -> int:
    """Neighbours of atom ``i`` closer than the bond tolerance times the sum of covalent radii."""
    pos = core.get_positions()
    d = np.linalg.norm(pos - pos[i], axis=1)
    cutoff = BOND_TOLERANCE * (covalent_radii[core.numbers] + covalent_radii[core.numbers[i]])
    return int(((d < cutoff) & (d > 1e-6)).sum())


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = float(np.clip(np.dot(p - a, ab) / max(np.dot(ab, ab), 1e-12), 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * ab)))


def atom_position_kind(core: Atoms, i: int) -> str:
    """``vertex``, ``edge``, ``face``, ``centre`` or ``interior`` for atom ``i`` of ``core``."""
    pos = core.get_positions()
    if len(core) < 4:
        return "vertex"
    try:
        hull = ConvexHull(pos)
    except QhullError:  # flat or linear cores: every atom is on the surface
        return "vertex"
    if i in set(hull.vertices.tolist()):
        return "vertex"
    depth = -float((hull.equations[:, :3] @ pos[i] + hull.equations[:, 3]).max())
    if depth < SURFACE_DISTANCE:
        edges = {tuple(sorted((int(s[a]), int(s[b])))) for s in hull.simplices for a, b in ((0, 1), (1, 2), (0, 2))}
        near_edge = any(_segment_distance(pos[i], pos[a], pos[b]) < SURFACE_DISTANCE for a, b in edges)
        return "edge" if near_edge else "face"
    centroid = pos.mean(axis=0)
    nearest = int(np.argmin(np.linalg.norm(pos - centroid, axis=1)))
    return "centre" if nearest == i and np.linalg.norm(pos[i] - centroid) < CENTRE_DISTANCE else "interior"


def site_kind(core: Atoms, indices: Sequence[int], label: str = "") -> str:
    """The kind of an edit site on ``core``: ``vertex CN6``, ``centre CN12``, ``vertex CN6+face CN8`` (swap), ``hollow CN3`` (add)."""
    if label:  # an add site: top / bridge / hollow over these atoms
        return f"{label} CN{len(indices)}"
    return "+".join(f"{atom_position_kind(core, i)} CN{coordination_number(core, i)}" for i in indices)
