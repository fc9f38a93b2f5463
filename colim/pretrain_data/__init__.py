"""Pretraining data for the core encoder: reading energy-labelled cluster sets and generating new ones."""

from colim.pretrain_data.reader import (
    DFT_REFERENCE_NAME,
    DFT_REFERENCES,
    ML_AU_MU_AU,
    TARGETS,
    PretrainDataError,
    formation_energy,
    iter_pretraining_set,
    load_pretraining_set,
)

__all__ = [
    "DFT_REFERENCE_NAME",
    "DFT_REFERENCES",
    "ML_AU_MU_AU",
    "TARGETS",
    "PretrainDataError",
    "formation_energy",
    "iter_pretraining_set",
    "load_pretraining_set",
]
