"""Point groups, orbits and congruence of real cores, every map verified atom by atom."""

from __future__ import annotations

import numpy as np
from ase import Atoms
from scipy.spatial.transform import Rotation

from colim.editing.symmetry import atom_orbits, congruent, find_isometries, point_group, site_colours

from .conftest import AU25_TOL


def moved(core: Atoms, seed: int, mirror: bool = False, noise: float = 0.0) -> Atoms:
    """``core`` rotated, shifted, its atoms shuffled (and mirrored / jiggled when asked)."""
    rng = np.random.default_rng(seed)
    pos = core.get_positions() @ Rotation.random(random_state=seed).as_matrix().T + rng.normal(size=3) * 5
    if mirror:
        pos[:, 0] *= -1
    pos += rng.uniform(-noise, noise, size=pos.shape)
    order = rng.permutation(len(core))
    return Atoms(numbers=core.numbers[order], positions=pos[order])


def test_icosahedron_point_group_is_ih_with_two_orbits(ico13, au13_heart):
    group = point_group(ico13, 0.1)
    assert len(group) == 120 and sum(op.proper for op in group) == 60
    assert len(point_group(ico13, 0.1, mirror=False)) == 60
    assert sorted(np.bincount(atom_orbits(ico13, group)).tolist()) == [1, 12]
    heart = point_group(au13_heart, AU25_TOL)  # a Th-distorted icosahedron: Ih only approximately
    assert len(heart) >= 24 and sorted(np.bincount(atom_orbits(au13_heart, heart)).tolist()) == [1, 12]
    for op in group:  # every operation maps the icosahedron onto itself
        x = ico13.get_positions() - ico13.get_positions().mean(axis=0)
        assert np.abs(x @ op.rotation.T - x[op.perm]).max() < 1e-8


def test_au25_core_is_th_centre_icosahedron_shell_and_staple_atoms(au25):
    group = point_group(au25, AU25_TOL)
    assert len(group) == 24 and sum(op.proper for op in group) == 12  # Th: T plus inversion
    orbits = atom_orbits(au25, group)
    radius = np.linalg.norm(au25.get_positions() - au25.get_positions().mean(axis=0), axis=1)
    sizes = {int(o): (int((orbits == o).sum()), round(float(radius[orbits == o].mean()), 1)) for o in np.unique(orbits)}
    assert sorted(sizes.values()) == [(1, 0.0), (12, 2.8), (12, 4.8)]
    # at a tolerance below the core's distortion, fewer operations survive (and orbits split)
    assert len(point_group(au25, 0.02)) < 24


def test_site_colours_never_split_an_orbit(au25):
    colours = site_colours(au25, AU25_TOL)
    orbits = atom_orbits(au25, point_group(au25, AU25_TOL))
    for o in np.unique(orbits):
        assert len(set(colours[orbits == o])) == 1


def test_congruence_finds_rotated_shuffled_noisy_copies_and_refuses_different_cores(au25):
    copy = moved(au25, seed=3, noise=0.03)
    iso = congruent(au25, copy, 0.1)
    assert iso is not None and iso.deviation <= 0.1
    assert sorted(iso.perm.tolist()) == list(range(25))
    assert congruent(au25, moved(au25, seed=4, mirror=True), 0.1) is not None
    assert congruent(au25, au25[[i for i in range(25) if i != 0]], 0.1) is None
    inner_removed = au25[[i for i in range(25) if i != 1]]
    outer_removed = au25[[i for i in range(25) if i != 13]]
    assert congruent(inner_removed, outer_removed, 0.3) is None


def test_mirror_images_of_a_chiral_core_are_distinct_only_when_asked():
    # four different metals on a distorted tetrahedron: a chiral core
    chiral = Atoms("AuAgCuPd", positions=[[0, 0, 0], [2.8, 0, 0], [1.2, 2.5, 0], [1.0, 0.9, 2.3]])
    image = moved(chiral, seed=7, mirror=True)
    assert congruent(chiral, image, 0.05, mirror=True) is not None
    assert congruent(chiral, image, 0.05, mirror=False) is None
    assert congruent(chiral, moved(chiral, seed=8), 0.05, mirror=False) is not None
    assert find_isometries(chiral, chiral, 0.05, mirror=True) and len(point_group(chiral, 0.05)) == 1
