"""Descriptor + XGBoost baselines (the MBTR/SOAP/ACSF rows of the paper's Table 1).

Each pair becomes ``[core descriptor, ligand-set fingerprint]``: the core descriptor comes from a
(fixed) core encoder plugin such as ``soap``; the ligand-set fingerprint is the stoichiometry-weighted
mean of the ``fingerprint`` ligand encoder's raw features (Morgan counts + RDKit descriptors) over the
set's ligands. An XGBoost classifier is fitted on the training split (early-stopped on validation).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Sequence

import numpy as np

from colim.dataset.records import MatchingDataset, PairRecord
from colim.errors import ColimError
from colim.plugins.manager import core_encoders, create_core_encoder, create_ligand_encoder
from colim.training.batching import featurize_cores

#: ligand encoder whose raw features fingerprint a ligand set.
FINGERPRINT_ENCODER = "fingerprint"


class BaselineError(ColimError):
    """A baseline cannot run (missing plugin or package)."""


def ligand_set_fingerprints(pairs: Sequence[PairRecord]) -> np.ndarray:
    """Weighted mean of per-ligand fingerprint features for each pair's ligand set, ``[P, F]``."""
    encoder = create_ligand_encoder(FINGERPRINT_ENCODER)
    unique = sorted({smi for p in pairs for smi in p.ligand_set.smiles})
    row = {smi: i for i, smi in enumerate(unique)}
    feats = encoder.featurize(unique).numpy() if unique else np.zeros((0, 1))
    out = np.zeros((len(pairs), feats.shape[1]), dtype=np.float32)
    for i, p in enumerate(pairs):
        for smi, w in zip(p.ligand_set.smiles, p.ligand_set.weights):
            out[i] += w * feats[row[smi]]
    return out


def xgboost_installed() -> bool:
    """True when the optional xgboost package can be imported."""
    return importlib.util.find_spec("xgboost") is not None


def core_descriptors(name: str, dataset: MatchingDataset, silent: bool = True) -> np.ndarray:
    """Descriptor of every dataset core from core encoder ``name`` (e.g. ``soap``), ``[C, D]``."""
    if name not in core_encoders():
        raise BaselineError(f"core encoder '{name}' is not installed (pip install -e plugins/colim-dscribe)")
    encoder = create_core_encoder(name)
    feats = featurize_cores(encoder, dataset.cores, silent=silent, desc=f"{name} descriptors")
    return encoder(encoder.collate(feats)).detach().numpy().astype(np.float32)


def pair_matrix(descriptors: np.ndarray, pairs: Sequence[PairRecord]) -> np.ndarray:
    """``[core descriptor | ligand-set fingerprint]`` rows for ``pairs``."""
    if not pairs:
        return np.zeros((0, descriptors.shape[1]))
    if descriptors.shape[1] == 0:  # descriptor-free: the fingerprint alone
        return ligand_set_fingerprints(pairs)
    cores = descriptors[[p.core_index for p in pairs]]
    return np.hstack([cores, ligand_set_fingerprints(pairs)])


def fit_xgboost(descriptors: np.ndarray, dataset: MatchingDataset, seed: int, n_estimators: int = 300) -> Any:
    """An ``XGBClassifier`` fitted on the training pairs (subsampled rows/columns, so the seed matters)."""
    try:
        from xgboost import XGBClassifier
    except ImportError as exc:  # optional dependency of the descriptor baselines
        raise BaselineError("xgboost is not installed (pip install -e plugins/colim-dscribe)") from exc
    train = dataset.split_pairs("train")
    val = dataset.split_pairs("val")
    model = XGBClassifier(n_estimators=n_estimators, max_depth=4, learning_rate=0.05, subsample=0.8, colsample_bytree=0.5,
                          random_state=seed, n_jobs=1, eval_metric="auc", tree_method="hist",
                          early_stopping_rounds=30 if val and len({p.label for p in val}) > 1 else None)
    y_train = np.array([p.label for p in train])
    kwargs: dict[str, Any] = {"verbose": False}
    if model.get_params()["early_stopping_rounds"]:
        kwargs["eval_set"] = [(pair_matrix(descriptors, val), np.array([p.label for p in val]))]
    model.fit(pair_matrix(descriptors, train), y_train, **kwargs)
    return model


def predict_xgboost(model: Any, descriptors: np.ndarray, pairs: Sequence[PairRecord]) -> np.ndarray:
    """P(compatible) of ``pairs``."""
    if not pairs:
        return np.zeros(0)
    return model.predict_proba(pair_matrix(descriptors, pairs))[:, 1]
