"""Round trip of the matching dataset file and its one-line errors."""

from __future__ import annotations

import h5py
import pytest

from colim.structures.core import read_core
from colim.dataset.records import MatchingDataset, PairRecord, load_dataset, save_dataset
from colim.errors import LibraryError, OutputExistsError
from colim.structures.ligands import LigandSet
from tests.conftest import STRUCTURES


def _dataset() -> MatchingDataset:
    core = read_core(STRUCTURES / "au_sch3_dft" / "au20_opt.xyz")
    core.info["core_type"] = "I"
    pet = LigandSet.of(["[S]CCc1ccccc1"], [18])
    mixed = LigandSet.parse("[S]C.P(c1ccccc1)(c1ccccc1)c1ccccc1 2:1")
    pairs = [
        PairRecord(0, pet, 1, "train", "g0", "reported"),
        PairRecord(0, mixed, 0, "test", "g1", "sampled"),
    ]
    return MatchingDataset([core], pairs, params={"seed": 3, "split": [0.8, 0.1, 0.1]}, input_hashes={"a.xyz": "00"})


def test_dataset_round_trip_keeps_cores_pairs_params_and_hash(tmp_path):
    ds = _dataset()
    save_dataset(ds, tmp_path / "d.h5")
    back = load_dataset(tmp_path / "d.h5")
    assert back.pairs == ds.pairs
    assert back.params == ds.params and back.input_hashes == ds.input_hashes
    assert back.cores[0].get_chemical_symbols() == ds.cores[0].get_chemical_symbols()
    assert back.cores[0].info["core_type"] == "I"
    assert back.content_hash() == ds.content_hash()
    assert [p.origin for p in back.split_pairs("test")] == ["sampled"]


def test_content_hash_changes_with_a_label():
    ds = _dataset()
    other = _dataset()
    other.pairs[1] = PairRecord(0, other.pairs[1].ligand_set, 1, "test", "g1", "sampled")
    assert ds.content_hash() != other.content_hash()


def test_save_refuses_existing_file_without_overwrite(tmp_path):
    save_dataset(_dataset(), tmp_path / "d.h5")
    with pytest.raises(OutputExistsError, match="pass --overwrite"):
        save_dataset(_dataset(), tmp_path / "d.h5")
    save_dataset(_dataset(), tmp_path / "d.h5", overwrite=True)


def test_load_errors_are_one_line(tmp_path):
    with pytest.raises(LibraryError) as missing:
        load_dataset(tmp_path / "none.h5")
    assert str(missing.value) == f"{tmp_path / 'none.h5'}: no such dataset file"
    (tmp_path / "junk.h5").write_text("not hdf5")
    with pytest.raises(LibraryError) as junk:
        load_dataset(tmp_path / "junk.h5")
    assert str(junk.value) == f"{tmp_path / 'junk.h5'}: not an HDF5 file (corrupt or wrong format)"
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["colim_format"] = "colim-core-library"
    with pytest.raises(LibraryError) as other:
        load_dataset(tmp_path / "other.h5")
    assert str(other.value) == f"{tmp_path / 'other.h5'}: not a colim dataset (format 'colim-core-library', expected 'colim-dataset')"
