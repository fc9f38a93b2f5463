"""Symmetry of cores: site invariants, verified isometries, the point group and a congruence index.

Two cores are *congruent* when an orthogonal map (a rotation, or a rotoreflection when mirror images
count as equal) plus a permutation of same-element atoms maps one onto the other with every atom
within ``tol`` Å. Every equivalence colim reports is backed by such a map, found and then checked
atom by atom; invariants (distance fingerprints, Weisfeiler–Lehman-style refined site colours and
the distance spectrum) only propose candidates and never merge anything on their own.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import cdist

#: default largest displacement (Å) of any atom under a symmetry map or between congruent cores: one value
#: for every command (edit enumerate, demo); DFT-relaxed cores such as Au25 are symmetric within 0.2 Å.
DEFAULT_TOLERANCE = 0.2


@dataclass(frozen=True)
class Isometry:
    """An orthogonal map of centred coordinates, ``y[perm[i]] ≈ rotation @ x[i]``.

    Attributes:
        rotation: ``[3, 3]`` orthogonal matrix (determinant -1 for a rotoreflection).
        perm: ``perm[i]`` is the atom of the target that atom ``i`` lands on.
        deviation: the largest atom displacement after the map (Å).
        rmsd: root-mean-square displacement (Å).
    """

    rotation: np.ndarray = field(repr=False)
    perm: np.ndarray = field(repr=False)
    deviation: float
    rmsd: float

    @property
    def proper(self) -> bool:
        return bool(np.linalg.det(self.rotation) > 0)


def centred(atoms: Atoms) -> np.ndarray:
    """Positions relative to the geometric centre (which every symmetry map keeps fixed)."""
    pos = atoms.get_positions()
    return pos - pos.mean(axis=0)


def kabsch(x: np.ndarray, y: np.ndarray, proper: bool = True) -> np.ndarray:
    """The orthogonal matrix ``R`` minimising ``|x R^T - y|`` with ``det R = +1`` (proper) or ``-1``."""
    u, _, vt = np.linalg.svd(x.T @ y)
    d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    s = d if proper else -d
    return vt.T @ np.diag([1.0, 1.0, s]) @ u.T


def _frame(u: np.ndarray, v: np.ndarray | None, sign: float) -> np.ndarray:
    """Orthonormal frame (columns) from a direction ``u`` and, if given, a second direction ``v``."""
    e1 = u / np.linalg.norm(u)
    if v is None:  # linear core: any perpendicular will do
        v = np.eye(3)[int(np.argmin(np.abs(e1)))]
    e2 = v - (v @ e1) * e1
    e2 /= np.linalg.norm(e2)
    return np.stack([e1, e2, sign * np.cross(e1, e2)], axis=1)


def element_fingerprints(atoms: Atoms) -> np.ndarray:
    """Per-atom invariant ``[n, n]``: distances to every atom sorted by (element, distance).

    Equal for atoms related by any isometry; two rows differing by more than ``2 * tol`` anywhere
    belong to atoms no map within ``tol`` can relate.
    """
    dist = atoms.get_all_distances()
    np.fill_diagonal(dist, -1.0)
    return np.sort(atoms.numbers[None, :] * 1000.0 + dist, axis=1)


def _split_by_rows(rows: np.ndarray, labels: np.ndarray, tol: float) -> np.ndarray:
    """Refine ``labels``: within a label, atoms whose rows differ by more than ``tol`` are split
    (connected components of the 'within tol' relation, so noise never splits an orbit)."""
    n = len(labels)
    pair_i: list[np.ndarray] = []
    pair_j: list[np.ndarray] = []
    for lab in np.unique(labels):
        members = np.nonzero(labels == lab)[0]
        block = rows[members]
        for k, i in enumerate(members):
            close = np.abs(block - rows[i]).max(axis=1) <= tol
            pair_i.append(np.full(int(close.sum()), i))
            pair_j.append(members[close])
    ii, jj = np.concatenate(pair_i), np.concatenate(pair_j)
    graph = csr_matrix((np.ones(len(ii)), (ii, jj)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    return _relabel(comp)


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, ... in order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse]


def site_colours(atoms: Atoms, tol: float = DEFAULT_TOLERANCE, max_rounds: int = 10) -> np.ndarray:
    """Colour per atom, refined Weisfeiler–Lehman style on the complete distance graph.

    Start from elements; each round an atom's signature is its distances to every atom sorted by
    (neighbour colour, distance), and atoms of one colour whose signatures differ by more than
    ``2 * tol`` get different colours. Atoms of one symmetry orbit always share a colour; the
    converse is not assumed (the point group decides).
    """
    dist = atoms.get_all_distances()
    np.fill_diagonal(dist, -1.0)
    colours = _relabel(atoms.numbers)
    for _ in range(max_rounds):
        rows = np.sort(colours[None, :] * 1000.0 + dist, axis=1)
        new = _split_by_rows(rows, colours, 2 * tol)
        if new.max() == colours.max():
            break
        colours = new
    return colours


def _verify(x: np.ndarray, y: np.ndarray, zx: np.ndarray, zy: np.ndarray, r0: np.ndarray, tol: float, match_tol: float) -> Isometry | None:
    """Check that ``r0`` (refined by Kabsch on the implied matching) maps ``x`` onto ``y`` within ``tol``."""
    mapped = x @ r0.T
    d = cdist(mapped, y)
    d[zx[:, None] != zy[None, :]] = np.inf
    perm = np.argmin(d, axis=1)
    if d[np.arange(len(x)), perm].max() > match_tol or len(np.unique(perm)) != len(perm):
        return None
    rot = kabsch(x, y[perm], proper=np.linalg.det(r0) > 0)
    dev = np.linalg.norm(x @ rot.T - y[perm], axis=1)
    if dev.max() > tol:
        return None
    return Isometry(rot, perm, float(dev.max()), float(np.sqrt((dev**2).mean())))


def verify_map(a: Atoms, b: Atoms, rotation: np.ndarray, tol: float = DEFAULT_TOLERANCE) -> Isometry | None:
    """Confirm that ``rotation`` (about the centres) maps core ``a`` onto core ``b``, or None."""
    if len(a) != len(b) or sorted(a.numbers) != sorted(b.numbers):
        return None
    y = centred(b)
    return _verify(centred(a), y, a.numbers, b.numbers, rotation, tol, _match_tol(y, tol))


def _match_tol(y: np.ndarray, tol: float) -> float:
    if len(y) < 2:
        return np.inf
    d = cdist(y, y)
    np.fill_diagonal(d, np.inf)
    return max(4 * tol, 0.45 * float(d.min()))


def find_isometries(
    a: Atoms,
    b: Atoms,
    tol: float = DEFAULT_TOLERANCE,
    mirror: bool = True,
    first_only: bool = False,
    colours: tuple[np.ndarray, np.ndarray] | None = None,
    fingerprints: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Isometry]:
    """Every orthogonal map (with ``mirror``, rotoreflections too) taking core ``a`` onto core ``b``.

    Two anchor atoms of ``a`` (far from the centre, rare invariants, far from collinear) are sent
    to every compatible pair of ``b`` (same element and invariants, same radii and distance within
    ``2 * tol``); each such frame map is then checked on all atoms by :func:`_verify`.

    Args:
        colours: per-atom labels comparable between ``a`` and ``b`` (e.g. ``site_colours`` of one
            core when ``a is b``); default: element fingerprints compared with tolerance.
        fingerprints: precomputed :func:`element_fingerprints` of ``a`` and ``b``.
    """
    n = len(a)
    if n != len(b) or sorted(a.numbers) != sorted(b.numbers):
        return []
    x, y = centred(a), centred(b)
    za, zb = a.numbers, b.numbers
    if n == 1:
        return [Isometry(np.eye(3), np.zeros(1, dtype=int), 0.0, 0.0)]
    rx, ry = np.linalg.norm(x, axis=1), np.linalg.norm(y, axis=1)
    near_radius = np.abs(rx[:, None] - ry[None, :]) <= 2 * tol
    if colours is not None:
        compat = (colours[0][:, None] == colours[1][None, :]) & near_radius
        counts = compat.sum(axis=1)

        def compatible(i: int) -> np.ndarray:
            return np.nonzero(compat[i])[0]

    else:  # rows of the compatibility matrix only for the two anchors (O(n^2) each)
        fa, fb = fingerprints if fingerprints is not None else (element_fingerprints(a), element_fingerprints(b))
        counts = np.zeros(n, dtype=int)

        def compatible(i: int) -> np.ndarray:
            return np.nonzero(near_radius[i] & (np.abs(fb - fa[i]).max(axis=1) <= 2 * tol))[0]

    far = np.nonzero(rx > max(0.5, 4 * tol))[0]
    if len(far) == 0:
        far = np.array([int(np.argmax(rx))])
    a1 = int(far[np.lexsort((-rx[far], counts[far]))[0]])
    cross = np.linalg.norm(np.cross(x[a1], x[far]), axis=1)
    ok = cross / (rx[a1] * rx[far]) > 0.3
    side = far[ok]
    a2 = int(side[np.lexsort((-cross[ok], counts[side]))[0]]) if len(side) else None
    c2 = compatible(a2) if a2 is not None else None
    signs = (1.0, -1.0) if mirror else (1.0,)
    match_tol = _match_tol(y, tol)
    dab = np.linalg.norm(x[a1] - x[a2]) if a2 is not None else 0.0
    fa_frame = _frame(x[a1], x[a2] if a2 is not None else None, 1.0)
    found: list[Isometry] = []
    seen: set[bytes] = set()
    for b1 in compatible(int(a1)):
        partners = [None]
        if a2 is not None:
            partners = [j for j in c2 if j != b1 and abs(np.linalg.norm(y[b1] - y[j]) - dab) <= 2 * tol]
        for b2 in partners:
            for s in signs:
                r0 = _frame(y[b1], y[b2] if b2 is not None else None, s) @ fa_frame.T
                iso = _verify(x, y, za, zb, r0, tol, match_tol)
                if iso is None or iso.perm.tobytes() in seen:
                    continue
                seen.add(iso.perm.tobytes())
                found.append(iso)
                if first_only:
                    return found
    return found


def point_group(core: Atoms, tol: float = DEFAULT_TOLERANCE, mirror: bool = True) -> list[Isometry]:
    """The symmetry operations of ``core`` (identity included), as verified isometries onto itself."""
    colours = site_colours(core, tol)
    return find_isometries(core, core, tol, mirror=mirror, colours=(colours, colours))


def atom_orbits(core: Atoms, group: list[Isometry]) -> np.ndarray:
    """Orbit label per atom under ``group`` (0, 1, ... in order of first atom)."""
    n = len(core)
    ii = np.concatenate([np.arange(n)] + [np.arange(n) for _ in group])
    jj = np.concatenate([np.arange(n)] + [op.perm for op in group])
    _, labels = connected_components(csr_matrix((np.ones(len(ii)), (ii, jj)), shape=(n, n)), directed=False)
    return _relabel(labels)


@functools.lru_cache(maxsize=64)
def _upper_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, k=1)


def distance_spectrum(core: Atoms) -> tuple[tuple, np.ndarray]:
    """Canonical fingerprint of a whole core: its composition and all interatomic distances sorted
    per element pair. Congruent cores (within ``tol``) have spectra within ``2 * tol`` everywhere."""
    z = core.numbers
    dist = core.get_all_distances()
    iu = _upper_pairs(len(core))
    pair_z = np.stack([np.minimum(z[iu[0]], z[iu[1]]), np.maximum(z[iu[0]], z[iu[1]])], axis=1)
    values = dist[iu]
    order = np.lexsort((values, pair_z[:, 1], pair_z[:, 0]))
    elements, counts = np.unique(z, return_counts=True)
    return tuple(zip(elements.tolist(), counts.tolist())), values[order]


def congruent(a: Atoms, b: Atoms, tol: float = DEFAULT_TOLERANCE, mirror: bool = True) -> Isometry | None:
    """A verified map of ``a`` onto ``b``, or None when the cores are not congruent within ``tol``."""
    ka, sa = distance_spectrum(a)
    kb, sb = distance_spectrum(b)
    if ka != kb or (len(sa) and np.abs(sa - sb).max() > 2 * tol):
        return None
    found = find_isometries(a, b, tol, mirror=mirror, first_only=True)
    return found[0] if found else None


#: entries of a distance spectrum an index keeps per core (evenly spaced in sorted order): the
#: pre-check stays a necessary condition while memory stays flat for 5,000-atom cores (12.5 M distances).
SPECTRUM_SAMPLES = 4096


def _sampled(spec: np.ndarray) -> np.ndarray:
    if len(spec) <= SPECTRUM_SAMPLES:
        return spec
    return spec[np.linspace(0, len(spec) - 1, SPECTRUM_SAMPLES).astype(np.int64)]


#: entries of the first, coarse comparison.
COARSE_SAMPLES = 48


def _coarse(spec: np.ndarray) -> np.ndarray:
    if len(spec) <= COARSE_SAMPLES:
        return spec
    return spec[np.linspace(0, len(spec) - 1, COARSE_SAMPLES).astype(np.int64)]


class CongruenceIndex:
    """Cores seen so far, to ask 'is this core congruent to one already kept?' quickly.

    Candidates are cores of the same composition whose (sampled) distance spectra agree within
    ``2 * tol`` everywhere, found for all kept cores of a composition in one vectorised comparison;
    only those are checked by :func:`find_isometries`.
    """

    def __init__(self, tol: float = DEFAULT_TOLERANCE, mirror: bool = True):
        self.tol = tol
        self.mirror = mirror
        self._buckets: dict[tuple, tuple[np.ndarray, np.ndarray, list[int]]] = {}  # composition -> (coarse, full spectra, core indices)
        self._fingerprints: list[np.ndarray] = []
        self.cores: list[Atoms] = []

    def find(self, core: Atoms) -> int | None:
        """Index (into ``cores``) of a kept core congruent to ``core``, else None."""
        key, spec = distance_spectrum(core)
        return self._find(core, key, _sampled(spec), element_fingerprints(core))

    def _find(self, core: Atoms, key: tuple, spec: np.ndarray, prints: np.ndarray) -> int | None:
        if key not in self._buckets:
            return None
        coarse_buf, full_buf, indices = self._buckets[key]
        count = len(indices)
        limit = 2 * self.tol
        # two stages, both vectorised over every kept core of this composition: COARSE_SAMPLES entries
        # first (cheap, removes almost all), then the whole sampled spectrum of the survivors
        rows = np.nonzero(np.abs(coarse_buf[:count] - _coarse(spec)).max(axis=1) <= limit)[0] if spec.size else np.arange(count)
        if len(rows) and spec.size:
            gap = np.abs(full_buf[rows] - spec).max(axis=1)
            rows = rows[gap <= limit][np.argsort(gap[gap <= limit], kind="stable")]
        for row in rows:
            idx = indices[row]
            pair = (self._fingerprints[idx], prints)
            if find_isometries(self.cores[idx], core, self.tol, mirror=self.mirror, first_only=True, fingerprints=pair):
                return idx
        return None

    def add(self, core: Atoms) -> tuple[int, bool]:
        """Add ``core`` unless a congruent one is kept; returns (index of the kept core, added)."""
        key, spec = distance_spectrum(core)
        spec = _sampled(spec)
        prints = element_fingerprints(core)
        found = self._find(core, key, spec, prints)
        if found is not None:
            return found, False
        self.cores.append(core)
        self._fingerprints.append(prints)
        coarse_buf, full_buf, indices = self._buckets.get(key, (np.empty((4, len(_coarse(spec)))), np.empty((4, len(spec))), []))
        if len(indices) == len(full_buf):  # grow by doubling: adding stays amortised O(1)
            coarse_buf = np.concatenate([coarse_buf, np.empty_like(coarse_buf)])
            full_buf = np.concatenate([full_buf, np.empty_like(full_buf)])
        coarse_buf[len(indices)] = _coarse(spec)
        full_buf[len(indices)] = spec
        indices.append(len(self.cores) - 1)
        self._buckets[key] = (coarse_buf, full_buf, indices)
        return len(self.cores) - 1, True

    def __len__(self) -> int:
        return len(self.cores)
