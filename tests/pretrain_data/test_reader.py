"""The pretraining-set reader on the shipped real ML-Au DFT subset and on hand-made broken files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from colim.choices import InvalidChoiceError
from colim.pretrain_data import (
    DFT_REFERENCE_NAME,
    ML_AU_MU_AU,
    PretrainDataError,
    load_pretraining_set,
)

SUBSET = Path(__file__).parents[1] / "data" / "pretrain" / "ml_au_dft_subset.extxyz.gz"


@pytest.fixture(scope="module")
def subset():
    return load_pretraining_set(SUBSET)


def test_subset_reads_every_frame_as_non_periodic_au_cluster(subset):
    assert len(subset) == 1498
    sizes = sorted({len(a) for a in subset})
    assert sizes == [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 26, 33, 35]
    assert all(not a.pbc.any() and set(a.get_chemical_symbols()) == {"Au"} for a in subset)
    assert subset[0].info["id"].startswith("simplified_dataset_N10/")
    assert len({a.info["id"] for a in subset}) == len(subset)


def test_e_form_uses_the_documented_au_reference(subset):
    for atoms in subset[:: 97]:
        expected = (atoms.info["energy"] - len(atoms) * ML_AU_MU_AU) / len(atoms)
        assert atoms.info["e_form"] == pytest.approx(expected)
        assert atoms.info["e_form_reference"] == DFT_REFERENCE_NAME
    e = np.array([a.info["e_form"] for a in subset])
    assert np.isfinite(e).all()
    # fitted mu_Au centres E_form near zero; DFT Au clusters stay within a couple of eV/atom of it
    assert -1.0 < e.min() < 0.0 < e.max() < 2.0
    assert abs(e.mean()) < 0.3


def test_larger_clusters_are_more_stable_per_atom(subset):
    e = {n: np.mean([a.info["e_form"] for a in subset if len(a) == n]) for n in (10, 35)}
    assert e[35] < e[10]


def test_limit_reads_only_the_first_frames(subset):
    first = load_pretraining_set(SUBSET, limit=3)
    assert [a.info["id"] for a in first] == [a.info["id"] for a in subset[:3]]


def test_user_references_replace_the_default():
    atoms = load_pretraining_set(SUBSET, limit=1, references={"Au": 0.0})[0]
    assert atoms.info["e_form"] == pytest.approx(atoms.info["energy"] / len(atoms))
    assert atoms.info["e_form_reference"] == "user"


def test_gap_target_on_a_set_without_gaps_fails_clearly():
    with pytest.raises(PretrainDataError) as err:
        load_pretraining_set(SUBSET, target="gap", limit=2)
    assert str(err.value) == f"{SUBSET}: frame 0 (simplified_dataset_N10/000004) lacks a gap (target 'gap')"


def test_unknown_target_lists_the_choices():
    with pytest.raises(InvalidChoiceError) as err:
        load_pretraining_set(SUBSET, target="homo")
    assert str(err.value) == "unknown pretraining target 'homo'; choose from: e_form, gap"


def test_frame_without_energy_fails_clearly(tmp_path):
    path = tmp_path / "noenergy.extxyz"
    path.write_text('2\nProperties=species:S:1:pos:R:3 pbc="F F F"\nAu 0 0 0\nAu 0 0 2.8\n')
    with pytest.raises(PretrainDataError) as err:
        load_pretraining_set(path)
    assert str(err.value) == f"{path}: frame 0 (noenergy/0) lacks an energy or e_form (target 'e_form')"


def test_element_without_reference_fails_clearly(tmp_path):
    path = tmp_path / "ag.extxyz.gz"
    with gzip.open(path, "wt") as handle:
        handle.write('2\nProperties=species:S:1:pos:R:3 energy=-3.0 pbc="F F F"\nAg 0 0 0\nAu 0 0 2.8\n')
    with pytest.raises(PretrainDataError) as err:
        load_pretraining_set(path)
    assert str(err.value) == "no reference energy for element(s) Ag; pass references={element: eV/atom} (known: Au)"


def test_truncated_file_fails_clearly(tmp_path):
    path = tmp_path / "cut.extxyz"
    path.write_text('3\nProperties=species:S:1:pos:R:3 energy=-3.0\nAu 0 0 0\nAu 0 0\n')
    with pytest.raises(PretrainDataError) as err:
        load_pretraining_set(path)
    assert str(err.value).startswith(f"{path}: frame 0 is not valid extended XYZ")


def test_missing_file_fails_clearly(tmp_path):
    with pytest.raises(PretrainDataError) as err:
        load_pretraining_set(tmp_path / "none.extxyz")
    assert str(err.value) == f"{tmp_path / 'none.extxyz'}: no such pretraining set"


def test_gap_target_reads_frames_whose_elements_have_no_reference(tmp_path):
    path = tmp_path / "gaps.extxyz"
    path.write_text('2\nProperties=species:S:1:pos:R:3 energy=-3.0 gap=1.25 pbc="F F F"\nAg 0 0 0\nCu 0 0 2.6\n')
    atoms = load_pretraining_set(path, target="gap")[0]
    assert atoms.info["gap"] == 1.25 and atoms.info["energy"] == -3.0
    assert "e_form" not in atoms.info
    assert atoms.info["id"] == "gaps/0"
