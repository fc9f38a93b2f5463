"""Element-aware core geometry matching on real cores."""

from __future__ import annotations

import numpy as np

from colim.dataset.geometry import core_rmsd, geometry_classes
from colim.dataset.perception import perceive
from colim.io.structure_readers import read_structure
from tests.conftest import STRUCTURES


def _core(rel: str):
    return perceive(read_structure(STRUCTURES / rel)).core


def test_a_rotated_permuted_noisy_copy_matches():
    core = _core("au_sch3_dft/au25_opt.xyz")
    other = core.copy()
    other.rotate(37, "x")
    other.rotate(71, "z")
    other.translate([3.0, -1.0, 2.0])
    rng = np.random.default_rng(0)
    other = other[rng.permutation(len(other))]
    other.positions += rng.normal(0, 0.02, other.positions.shape)
    assert core_rmsd(core, other) < 0.05


def test_same_cluster_from_different_sources_is_one_geometry_and_isomers_are_not():
    pet, dft, nm = _core("nanomodeler_au_sr/au25_pet18.gro"), _core("au_sch3_dft/au25_opt.xyz"), _core("nanomodeler_au_sr/au25SR18_NM.pdb")
    assert core_rmsd(pet, dft) < 0.5 and core_rmsd(dft, nm) < 0.5
    a38, b38 = _core("au_sch3_dft/au38_opt.xyz"), _core("au_thiolate_cifs/38_24B.cif")
    assert core_rmsd(a38, b38) > 1.0
    assert core_rmsd(pet, a38) == float("inf")
    assert geometry_classes([pet, a38, dft, b38, nm]) == ["Au25-g0", "Au38-g0", "Au25-g0", "Au38-g1", "Au25-g0"]


def test_same_formula_with_other_elements_swapped_does_not_match():
    core = _core("au_sch3_dft/au18_opt.xyz")
    doped_a, doped_b = core.copy(), core.copy()
    doped_a.symbols[0] = "Ag"
    far = int(np.argmax(np.linalg.norm(core.positions - core.positions[0], axis=1)))
    doped_b.symbols[far] = "Ag"
    assert core_rmsd(doped_a, doped_a.copy()) < 1e-6
    assert core_rmsd(doped_a, doped_b) > core_rmsd(core, core.copy())
