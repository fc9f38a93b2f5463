"""The EMT cluster generator: composition, sizes, relaxation, determinism, resumption, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from colim.choices import InvalidChoiceError
from colim.errors import OutputExistsError
from colim.pretrain_data import generator
from colim.pretrain_data.clusters import ClusterRecipe, build_seed, isolated_atom_energy, make_cluster
from colim.pretrain_data.generator import GeneratorError, generate, parse_elements, parse_sizes, parts_dir
from colim.pretrain_data.reader import load_pretraining_set
from colim.pretrain_data.xtb import BackendUnavailableError, even_electron_charge, xtb_gap

SMALL = ClusterRecipe(elements=("Ag", "Cu", "Pd"), min_size=4, max_size=12, seed=3, relax_steps=15)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "small.extxyz"
    generate(path, 6, SMALL, workers=1)
    return path


def test_clusters_have_the_requested_elements_and_sizes(small_set):
    frames = load_pretraining_set(small_set)
    assert [a.info["id"] for a in frames] == [f"s3-{i:07d}" for i in range(6)]
    for atoms in frames:
        symbols = set(atoms.get_chemical_symbols())
        assert symbols <= {"Ag", "Cu", "Pd"} and symbols & {"Ag", "Cu"}
        assert 4 <= len(atoms) <= 12
        assert not atoms.pbc.any()


def test_relaxation_lowers_the_energy_and_e_form_is_per_atom_vs_isolated_atoms(small_set):
    for atoms in load_pretraining_set(small_set):
        assert atoms.info["energy"] < atoms.info["energy_unrelaxed"]
        atoms_sum = sum(isolated_atom_energy(s) for s in atoms.get_chemical_symbols())
        assert atoms.info["e_form"] == pytest.approx((atoms.info["energy"] - atoms_sum) / len(atoms))
        assert -5.0 < atoms.info["e_form"] < -1.0
        assert atoms.info["e_form_reference"] == "emt-isolated-atoms"


def test_seed_shapes_do_not_overlap_atoms():
    for index in range(8):
        atoms, kind = build_seed(ClusterRecipe(min_size=4, max_size=40, rattle=0.0), index)
        assert kind in {"icosahedron", "decahedron", "fcc", "random"}
        assert min(atoms.get_all_distances()[~np.eye(len(atoms), dtype=bool)]) > 2.0


def test_same_seed_gives_the_same_file_and_other_seed_differs(tmp_path, small_set):
    again = tmp_path / "again.extxyz"
    generate(again, 6, SMALL, workers=1)
    assert again.read_bytes() == small_set.read_bytes()
    other = make_cluster(ClusterRecipe(elements=SMALL.elements, min_size=4, max_size=12, seed=4, relax_steps=15), 0)
    first = load_pretraining_set(small_set, limit=1)[0]
    assert (len(other), other.info["energy"]) != (len(first), first.info["energy"])


def test_interrupted_run_resumes_without_duplicates_and_equals_uninterrupted(tmp_path, monkeypatch, small_set):
    monkeypatch.setattr(generator, "CHUNK_SIZE", 2)
    real_chunk = generator.generate_chunk
    calls = []

    def dying_chunk(recipe, indices, path):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(list(indices))
        return real_chunk(recipe, indices, path)

    out = tmp_path / "resumed.extxyz"
    monkeypatch.setattr(generator, "generate_chunk", dying_chunk)
    with pytest.raises(KeyboardInterrupt):
        generate(out, 6, SMALL, workers=1)
    assert not out.exists()
    assert sorted(p.name for p in parts_dir(out).glob("chunk-*")) == ["chunk-000000.extxyz", "chunk-000001.extxyz"]

    monkeypatch.setattr(generator, "generate_chunk", real_chunk)
    done = []
    generate(out, 6, SMALL, workers=1, progress=done.append)
    assert done == [4, 2]
    assert out.read_bytes() == small_set.read_bytes()
    assert not parts_dir(out).exists()


def test_resume_with_other_parameters_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "mixed.extxyz"
    monkeypatch.setattr(generator, "generate_chunk", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        generate(out, 4, SMALL, workers=1)
    other = ClusterRecipe(elements=("Au",), min_size=4, max_size=12, seed=3)
    with pytest.raises(GeneratorError) as err:
        generate(out, 4, other, workers=1)
    assert str(err.value) == (
        f"{parts_dir(out)} holds a run with other parameters; rerun with the same ones to resume, or remove it"
    )


def test_two_workers_give_the_same_file_as_one(tmp_path, monkeypatch, small_set):
    monkeypatch.setattr(generator, "CHUNK_SIZE", 3)
    out = tmp_path / "par.extxyz.gz"
    generate(out, 6, SMALL, workers=2)
    assert [a.info["energy"] for a in load_pretraining_set(out)] == [
        a.info["energy"] for a in load_pretraining_set(small_set)
    ]


def test_existing_output_is_refused(small_set):
    with pytest.raises(OutputExistsError):
        generate(small_set, 6, SMALL, workers=1)


def test_unknown_element_lists_the_emt_elements():
    with pytest.raises(GeneratorError) as err:
        parse_elements("Ag,Xe")
    assert str(err.value) == "unknown element 'Xe'; choose from: Ag, Cu, Au, Pd, Pt, Ni, Al (ASE EMT elements)"
    assert parse_elements("cu, Ag,Cu") == ("Cu", "Ag")


def test_size_ranges_parse_and_bad_ones_fail():
    assert parse_sizes("4-100") == (4, 100)
    assert parse_sizes("13") == (13, 13)
    with pytest.raises(GeneratorError) as err:
        parse_sizes("10-5")
    assert str(err.value) == "bad size range '10-5'; give MIN-MAX with 2 <= MIN <= MAX, e.g. 4-100"


def test_unknown_backend_lists_the_choices(tmp_path):
    with pytest.raises(InvalidChoiceError) as err:
        generate(tmp_path / "x.extxyz", 2, ClusterRecipe(backend="dftb"))
    assert str(err.value) == "unknown backend 'dftb'; choose from: emt, xtb"


def test_xtb_backend_without_tblite_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tblite", None)
    monkeypatch.setitem(sys.modules, "tblite.interface", None)
    with pytest.raises(BackendUnavailableError) as err:
        generate(tmp_path / "x.extxyz", 2, ClusterRecipe(backend="xtb"))
    assert str(err.value) == "backend 'xtb' needs the tblite package: pip install tblite==0.8.0"


def test_xtb_gap_of_a_small_copper_cluster_uses_an_even_electron_state():
    atoms = make_cluster(ClusterRecipe(elements=("Cu",), min_size=5, max_size=5, seed=0, relax_steps=10), 0)
    assert even_electron_charge(atoms) == 1  # 5 Cu: 55 valence electrons, so the cation
    result = xtb_gap(atoms)
    assert result["xtb_charge"] == 1
    assert 0.0 < result["gap"] < 5.0
    assert result["xtb_energy"] < 0.0
