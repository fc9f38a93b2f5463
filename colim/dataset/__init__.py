"""The core–ligand matching dataset: records and file format, ligand perception, negatives, split, stats."""

from colim.dataset.builder import BuildReport, InputRecord, build, build_dataset, dataset_from_records
from colim.structures.families import FAMILIES, carbon_count, ligand_family
from colim.dataset.perception import Perception, perceive
from colim.dataset.records import MatchingDataset, PairRecord, load_dataset, save_dataset

__all__ = [
    "BuildReport",
    "FAMILIES",
    "InputRecord",
    "MatchingDataset",
    "PairRecord",
    "Perception",
    "build",
    "build_dataset",
    "carbon_count",
    "dataset_from_records",
    "ligand_family",
    "load_dataset",
    "perceive",
    "save_dataset",
]
