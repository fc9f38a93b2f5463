"""The core–ligand matching dataset: records and file format, ligand perception, negatives, split, stats."""

from colim.dataset.records import MatchingDataset, PairRecord, load_dataset, save_dataset

__all__ = ["MatchingDataset", "PairRecord", "load_dataset", "save_dataset"]
