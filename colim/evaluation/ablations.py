"""Baselines a compatibility model must beat: ligand-only and core-only networks, the ligand-family prior
and the constant score.

If the dual encoder cannot beat a model that never sees the core (ligand-only), it has learnt which
ligands are usually positive, not which ligands suit which core; core-only tells the same about cores.
The family prior scores a pair by P(positive | the set's ligand families) counted on the training split
(Laplace-smoothed; an unseen family combination gets the training positive rate); the kinds prior the
same by the number of ligand kinds, which the negative-sampling rules tie to the label on type II cores. The constant scores
every pair 0.5 (AUC 0.5).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from torch import Tensor

from colim.dataset.records import MatchingDataset, PairRecord
from colim.model.domain import families_of
from colim.model.dual_encoder import CoLiMModel, PairHead
from colim.structures.ligands import LigandSet
from colim.training.trainer import ModelSpec, TrainConfig, TrainResult, build_model, seed_everything, train_model

#: which input an :class:`AblatedModel` drops.
ABLATIONS = ("core", "ligand")


class AblatedModel(CoLiMModel):
    """A dual encoder with one side removed: the head sees only the ligand-set embedding (``drop="core"``)
    or only the core embedding (``drop="ligand"``)."""

    def __init__(self, core_encoder, ligand_encoder, drop: str, hidden_dims: Sequence[int] = (256, 128), dropout: float = 0.2):
        super().__init__(core_encoder, ligand_encoder, hidden_dims, dropout)
        if drop not in ABLATIONS:
            raise ValueError(f"drop must be one of {ABLATIONS}, got {drop!r}")
        self.drop = drop
        self.head = PairHead(0 if drop == "core" else core_encoder.embedding_dim, 0 if drop == "ligand" else ligand_encoder.embedding_dim,
                             hidden_dims, dropout)

    def forward(self, core_batch: Any, ligand_sets: Sequence[LigandSet]) -> Tensor:
        """Logits ``[B]`` from the kept side only (the dropped encoder is never run)."""
        if self.drop == "core":
            h = self.ligand_encoder(ligand_sets)
            return self.head(h.new_zeros(len(h), 0), h)
        h = self.core_encoder(core_batch)
        return self.head(h, h.new_zeros(len(h), 0))


def family_key(pair: PairRecord) -> str:
    """The set's ligand families joined by '+' (e.g. ``phosphine+thiolate``)."""
    return "+".join(sorted(families_of(pair.ligand_set.smiles)))


def kinds_key(pair: PairRecord) -> str:
    """The number of ligand kinds in the set: the negative-sampling rules give type II negatives another
    number of kinds than the positives, so this alone can separate them (a shortcut to measure)."""
    return str(len(pair.ligand_set.smiles))


def prior(dataset: MatchingDataset, key: Callable[[PairRecord], str] = family_key) -> dict[str, float]:
    """P(positive | key) on the training split, Laplace-smoothed: ``(pos + 1) / (n + 2)``."""
    counts: dict[str, list[int]] = {}
    for p in dataset.split_pairs("train"):
        c = counts.setdefault(key(p), [0, 0])
        c[0] += p.label
        c[1] += 1
    return {k: (pos + 1) / (n + 2) for k, (pos, n) in counts.items()}


def predict_prior(dataset: MatchingDataset, pairs: Sequence[PairRecord], key: Callable[[PairRecord], str] = family_key) -> np.ndarray:
    """The training prior of each pair's key; the training positive rate for a key never trained on."""
    table = prior(dataset, key)
    train = dataset.split_pairs("train")
    rate = float(np.mean([p.label for p in train])) if train else 0.5
    return np.array([table.get(key(p), rate) for p in pairs], dtype=np.float64)


def family_prior(dataset: MatchingDataset) -> dict[str, float]:
    """P(positive | family key) on the training split, Laplace-smoothed: ``(pos + 1) / (n + 2)``."""
    return prior(dataset, family_key)


def predict_family_prior(dataset: MatchingDataset, pairs: Sequence[PairRecord]) -> np.ndarray:
    """The training family prior of each pair; the training positive rate for a family combination never trained on."""
    return predict_prior(dataset, pairs, family_key)


def predict_constant(pairs: Sequence[PairRecord]) -> np.ndarray:
    """0.5 for every pair."""
    return np.full(len(pairs), 0.5)


def fit_ablated(dataset: MatchingDataset, spec: ModelSpec, config: TrainConfig, drop: str, seed: int,
                features: Sequence[Any] | None = None) -> TrainResult:
    """Seed, build and train an :class:`AblatedModel` (``drop`` = "core": ligand-only; "ligand": core-only)."""
    seed_everything(seed)
    model, _ = build_model(spec.core_encoder, spec.ligand_encoder, spec.core_args, spec.ligand_args, spec.pretrained_core, config)
    ablated = AblatedModel(model.core_encoder, model.ligand_encoder, drop, config.hidden_dims, config.dropout)
    return train_model(ablated, dataset, config, seed, features=features)
