"""Scorers for the core-lift study: a trained network, and the baselines a compatibility model must beat
when it claims that the core matters.

- metal prior: P(positive | the core's coinage metal) on the training split (Laplace-smoothed);
- additive: logistic regression on ``[ligand-only logit, one-hot metal]``, the ligand-only network's score
  plus a per-metal offset and nothing else (no interaction), fitted on the validation split (the
  ligand-only logits there are out of sample), on the training split when validation has one class;
- XGBoost on ``[ligand-set fingerprint, one-hot metal]``: trees may combine the two, a non-neural
  reference for an interaction.

Every scorer has the :data:`colim.evaluation.core_lift.Scorer` signature ``scorer(cores, pairs)``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from ase import Atoms
from sklearn.linear_model import LogisticRegression

from colim.dataset.records import MatchingDataset, PairRecord
from colim.evaluation import baselines
from colim.evaluation.core_lift import COINAGE, Scorer, core_metal
from colim.model.dual_encoder import CoLiMModel
from colim.training.batching import featurize_cores
from colim.training.trainer import predict


def model_scorer(model: CoLiMModel) -> Scorer:
    """A scorer running ``model`` (eval mode); core features are computed once per ``cores`` list it is given."""
    cache: dict[int, tuple[Sequence[Atoms], list[Any]]] = {}

    def score(cores: Sequence[Atoms], pairs: Sequence[PairRecord]) -> np.ndarray:
        held = cache.get(id(cores))
        if held is None or held[0] is not cores or len(held[1]) != len(cores):
            cache.clear()
            held = cache[id(cores)] = (cores, featurize_cores(model.core_encoder, list(cores)))
        return predict(model, held[1], pairs)

    return score


def mean_scorer(scorers: Sequence[Scorer]) -> Scorer:
    """The mean probability of several scorers (an ensemble's members)."""

    def score(cores: Sequence[Atoms], pairs: Sequence[PairRecord]) -> np.ndarray:
        return np.mean([s(cores, pairs) for s in scorers], axis=0)

    return score


def metal_onehot(cores: Sequence[Atoms], metals: Sequence[str] = COINAGE) -> np.ndarray:
    """``[len(cores), len(metals)]`` one-hot of each core's coinage metal (a zero row for none)."""
    out = np.zeros((len(cores), len(metals)), dtype=np.float32)
    for i, core in enumerate(cores):
        m = core_metal(core)
        if m in metals:
            out[i, list(metals).index(m)] = 1.0
    return out


def metal_prior_scorer(dataset: MatchingDataset) -> Scorer:
    """P(positive | metal) on the training split, ``(pos + 1) / (n + 2)``; the training rate for a metal never trained on."""
    train = dataset.split_pairs("train")
    rate = float(np.mean([p.label for p in train])) if train else 0.5
    counts: dict[str | None, list[int]] = {}
    for p in train:
        c = counts.setdefault(core_metal(dataset.cores[p.core_index]), [0, 0])
        c[0] += p.label
        c[1] += 1
    table = {m: (pos + 1) / (n + 2) for m, (pos, n) in counts.items()}

    def score(cores: Sequence[Atoms], pairs: Sequence[PairRecord]) -> np.ndarray:
        return np.array([table.get(core_metal(cores[p.core_index]), rate) for p in pairs], dtype=np.float64)

    return score


def _logit(prob: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(prob, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def additive_scorer(ligand_only: Scorer, dataset: MatchingDataset) -> tuple[Scorer, dict[str, Any]]:
    """The additive model over ``ligand_only`` (a scorer that ignores the core) and the metal one-hot, and its fit
    (``fitted_on``, ``coef_ligand``, ``coef_metal`` per metal, ``intercept``)."""
    fitted_on = "val"
    pairs = dataset.split_pairs("val")
    if len({p.label for p in pairs}) < 2:
        fitted_on, pairs = "train", dataset.split_pairs("train")
    x = np.hstack([_logit(ligand_only(dataset.cores, pairs))[:, None], metal_onehot(dataset.cores)[[p.core_index for p in pairs]]])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, np.array([p.label for p in pairs]))

    def score(cores: Sequence[Atoms], batch: Sequence[PairRecord]) -> np.ndarray:
        feats = np.hstack([_logit(ligand_only(cores, batch))[:, None], metal_onehot(cores)[[p.core_index for p in batch]]])
        return model.predict_proba(feats)[:, 1]

    info = {"fitted_on": fitted_on, "pairs": len(pairs), "coef_ligand": float(model.coef_[0, 0]),
            "coef_metal": dict(zip(COINAGE, map(float, model.coef_[0, 1:]))), "intercept": float(model.intercept_[0])}
    return score, info


def xgboost_metal_scorer(dataset: MatchingDataset, seed: int) -> Scorer:
    """XGBoost on ``[metal one-hot, ligand-set fingerprint]`` (early-stopped on validation), as a scorer."""
    model = baselines.fit_xgboost(metal_onehot(dataset.cores), dataset, seed)

    def score(cores: Sequence[Atoms], pairs: Sequence[PairRecord]) -> np.ndarray:
        return baselines.predict_xgboost(model, metal_onehot(cores), pairs)

    return score
