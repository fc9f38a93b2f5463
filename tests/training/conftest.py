"""A tiny real matching dataset: cores from the shipped Au–S CIFs, real thiolate / phosphine ligand sets."""

from __future__ import annotations

import pytest

from colim.structures.core import read_core
from colim.dataset.records import MatchingDataset, PairRecord, save_dataset
from colim.structures.ligands import LigandSet
from tests.conftest import STRUCTURES

CIFS = ("au10.cif", "10_10.cif", "11_9.cif", "15_12.cif", "16_12.cif", "18_14.cif", "20_16.cif", "21_15A.cif", "22_16.cif", "23_16.cif")
#: compatible sets (thiolates) and negatives (phosphines, carboxylates): learnable from the ligands.
POSITIVE = ("[S]CCc1ccccc1", "C[S]", "[S]c1ccc(C(=O)O)cc1")
NEGATIVE = ("c1ccc(P(c2ccccc2)c2ccccc2)cc1", "CC(=O)O", "CP(C)C")
TINY_ENCODERS = {"core": ("cgcnn", {"embedding_dim": 16, "num_layers": 1}), "ligand": ("fingerprint", {"embedding_dim": 16, "n_bits": 256})}


def tiny_dataset() -> MatchingDataset:
    cores = [read_core(STRUCTURES / "au_thiolate_cifs" / name) for name in CIFS]
    splits = ["train"] * 6 + ["val"] * 2 + ["test"] * 2
    pairs = []
    for i, split in enumerate(splits):
        pairs.append(PairRecord(i, LigandSet.parse(POSITIVE[i % 3]), 1, split, f"g{i}", "reported"))
        pairs.append(PairRecord(i, LigandSet.parse(NEGATIVE[i % 3]), 0, split, f"g{i}", "sampled"))
        pairs.append(PairRecord(i, LigandSet.parse(f"{NEGATIVE[(i + 1) % 3]}.{NEGATIVE[(i + 2) % 3]}"), 0, split, f"g{i}", "sampled"))
    return MatchingDataset(cores=cores, pairs=pairs, params={"test": True}, input_hashes={})


@pytest.fixture(scope="session")
def tiny_ds() -> MatchingDataset:
    return tiny_dataset()


@pytest.fixture(scope="session")
def tiny_ds_path(tmp_path_factory, tiny_ds) -> str:
    path = tmp_path_factory.mktemp("ds") / "tiny.h5"
    save_dataset(tiny_ds, path)
    return str(path)


