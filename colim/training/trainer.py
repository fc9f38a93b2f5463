"""Fine-tuning the dual-encoder model on the matching dataset: BCE, Adam, early stopping on validation AUC.

Training is deterministic per seed on the CPU: the seed fixes the weight initialisation, the
dropout stream and the shuffling order.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn
from colim.progress import progress_bar

from colim.dataset.records import MatchingDataset, PairRecord
from colim.errors import ColimError
from colim.evaluation.metrics import classification_metrics
from colim.model.checkpoint import load_checkpoint, load_encoder_checkpoint
from colim.model.dual_encoder import CoLiMModel
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.training.batching import featurize_cores, iterate_pairs


class TrainingError(ColimError):
    """The dataset or options cannot train a model (e.g. an empty training split)."""


@dataclass
class TrainConfig:
    """Optimisation settings of :func:`train_model` (recorded in checkpoints)."""

    epochs: int = 60
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-5
    patience: int = 10
    hidden_dims: tuple[int, ...] = (256, 128)
    dropout: float = 0.2
    device: str = "cpu"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden_dims"] = list(self.hidden_dims)
        return out


@dataclass
class TrainResult:
    """A trained model (best validation epoch restored) with its history and metrics."""

    model: CoLiMModel
    seed: int
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)
    val_metrics: dict[str, float] = field(default_factory=dict)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, so a run is repeatable."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def build_model(
    core_encoder: str,
    ligand_encoder: str,
    core_args: dict[str, Any] | None = None,
    ligand_args: dict[str, Any] | None = None,
    pretrained_core: str | None = None,
    config: TrainConfig | None = None,
    init_model: str | None = None,
) -> tuple[CoLiMModel, dict[str, Any] | None]:
    """A fresh model from plugin names; ``pretrained_core`` loads the core encoder (refusing another encoder name);
    ``init_model`` starts from a whole trained model instead (pair pretraining: encoders and head, see
    :func:`init_from_model`).

    Returns the model and the pretrained checkpoint's info (None without one).
    """
    config = config or TrainConfig()
    pretrained_info = None
    if init_model:
        return init_from_model(init_model, core_encoder, ligand_encoder, config)
    if pretrained_core:
        core, pretrained_info = load_encoder_checkpoint(pretrained_core, expect=core_encoder)
    else:
        core = create_core_encoder(core_encoder, **(core_args or {}))
    ligand = create_ligand_encoder(ligand_encoder, **(ligand_args or {}))
    return CoLiMModel(core, ligand, hidden_dims=config.hidden_dims, dropout=config.dropout), pretrained_info


def _init_summary(info: dict[str, Any]) -> dict[str, Any]:
    """What a fine-tuned checkpoint records of the model it started from (no history: it can be long)."""
    meta = info.get("metadata", {})
    keep = ("kind", "seed", "dataset_hash", "dataset_path", "dataset_sizes", "config", "best_epoch", "metrics")
    out = {k: meta[k] for k in keep if k in meta}
    domain = info.get("domain") or {}
    if "elements" in domain:
        out["elements"] = domain["elements"]
    return out


def init_from_model(path: str, core_encoder: str, ligand_encoder: str, config: TrainConfig) -> tuple[CoLiMModel, dict[str, Any]]:
    """A trained model (e.g. the pair model pretrained on MetaLig) to fine-tune further, in training mode.

    Its encoders and head are kept whole, so the encoder names and ``config.hidden_dims`` must be the
    checkpoint's; a mismatch raises :class:`TrainingError` naming what the checkpoint holds. The head's
    BatchNorm keeps the pretrained statistics (normalisation over every metal of the pretraining data).
    """
    model, info = load_checkpoint(path)
    names = (info["core_encoder"]["name"], info["ligand_encoder"]["name"])
    if names != (core_encoder, ligand_encoder):
        raise TrainingError(f"--init-model {path} holds core encoder '{names[0]}' and ligand encoder '{names[1]}'; "
                            f"pass --core-encoder {names[0]} --ligand-encoder {names[1]}")
    if tuple(model.head.hidden_dims) != tuple(config.hidden_dims):
        raise TrainingError(f"--init-model {path} has head layers {','.join(map(str, model.head.hidden_dims))}; "
                            f"pass --hidden-dims {','.join(map(str, model.head.hidden_dims))}")
    model.head.dropout.p = config.dropout
    model.head.dropout_rate = float(config.dropout)
    model.head.frozen_norm = True
    model.domain_reference = None
    model.train()
    return model, info


@torch.no_grad()
def predict(model: CoLiMModel, features: Sequence[Any], pairs: Sequence[PairRecord], batch_size: int = 128) -> np.ndarray:
    """P(compatible) for ``pairs`` (eval mode), in order; ``features`` are the featurised dataset cores."""
    was_training = model.training
    model.eval()
    out = np.zeros(len(pairs), dtype=np.float64)
    try:
        for core_batch, sets, _, idx in iterate_pairs(model.core_encoder, features, pairs, batch_size, None, model_device(model)):
            out[idx] = torch.sigmoid(model(core_batch, sets)).double().cpu().numpy()
    finally:
        model.train(was_training)
    return out


@torch.no_grad()
def pair_embeddings(model: CoLiMModel, features: Sequence[Any], pairs: Sequence[PairRecord], batch_size: int = 128) -> np.ndarray:
    """``model.pair_embedding`` of ``pairs`` (eval mode), ``[len(pairs), core_dim + ligand_dim]``."""
    was_training = model.training
    model.eval()
    rows = np.zeros((len(pairs), model.head.core_dim + model.head.ligand_dim), dtype=np.float32)
    try:
        for core_batch, sets, _, idx in iterate_pairs(model.core_encoder, features, pairs, batch_size, None, model_device(model)):
            rows[idx] = model.pair_embedding(core_batch, sets).float().cpu().numpy()
    finally:
        model.train(was_training)
    return rows


def model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _score(metrics: dict[str, float], loss: float) -> tuple[float, float]:
    """Early-stopping score: validation AUC, ties (a small validation split often reaches AUC 1.0 in the
    first epoch, before the probabilities mean anything) broken by the lower validation loss; minus the
    loss alone when AUC is undefined."""
    return (metrics["auc"], -loss) if not math.isnan(metrics["auc"]) else (-math.inf, -loss)


def train_model(
    model: CoLiMModel,
    dataset: MatchingDataset,
    config: TrainConfig,
    seed: int,
    silent: bool = True,
    features: Sequence[Any] | None = None,
) -> TrainResult:
    """Train ``model`` on the dataset's train split; keep the weights of the best validation epoch.

    The model should be built after :func:`seed_everything` (``seed``) for a repeatable run. Stops
    after ``config.patience`` epochs without a better validation score (AUC; the loss when the
    validation split has one class or is empty, then the training loss).
    """
    train_pairs = dataset.split_pairs("train")
    val_pairs = dataset.split_pairs("val")
    if not train_pairs:
        raise TrainingError("the dataset has no training pairs")
    if len({p.label for p in train_pairs}) < 2:
        raise TrainingError("the training split holds only one class; a classifier needs positives and negatives")
    device = torch.device(config.device)
    model.to(device)
    if features is None:
        features = featurize_cores(model.core_encoder, dataset.cores, silent=silent)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(seed)
    best_state, best_epoch, stale = None, 0, 0
    best_score: tuple[float, float] = (-math.inf, -math.inf)
    history: list[dict[str, float]] = []
    bar = progress_bar(range(1, config.epochs + 1), desc=f"training seed {seed}", disable=silent, leave=False)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for core_batch, sets, labels, _ in iterate_pairs(model.core_encoder, features, train_pairs, config.batch_size, generator, device):
            optimizer.zero_grad()
            loss = loss_fn(model(core_batch, sets), labels)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(labels)
            count += len(labels)
        row = {"epoch": epoch, "train_loss": total / count}
        if val_pairs:
            prob = predict(model, features, val_pairs)
            y = np.array([p.label for p in val_pairs])
            eps = 1e-7
            val_loss = float(-np.mean(y * np.log(prob + eps) + (1 - y) * np.log(1 - prob + eps)))
            metrics = classification_metrics(y, prob)
            row.update(val_loss=val_loss, val_auc=metrics["auc"], val_accuracy=metrics["accuracy"])
            score = _score(metrics, val_loss)
        else:
            score = (-math.inf, -row["train_loss"])
        history.append(row)
        if score > best_score:
            best_score, best_epoch, stale = score, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        bar.set_postfix(loss=f"{row['train_loss']:.3f}", val_auc=f"{row.get('val_auc', float('nan')):.3f}")
        if stale >= config.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    val_metrics: dict[str, float] = {}
    if val_pairs:
        prob = predict(model, features, val_pairs)
        val_metrics = classification_metrics([p.label for p in val_pairs], prob)
    return TrainResult(model=model, seed=seed, best_epoch=best_epoch, history=history, val_metrics=val_metrics)



@dataclass(frozen=True)
class ModelSpec:
    """Which encoders a run trains: plugin names, their init args and an optional pretrained core checkpoint."""

    core_encoder: str
    ligand_encoder: str
    core_args: dict[str, Any] = field(default_factory=dict)
    ligand_args: dict[str, Any] = field(default_factory=dict)
    pretrained_core: str | None = None
    #: a trained model checkpoint to start from (pair pretraining); excludes the three fields above but the names.
    init_model: str | None = None


def fit(
    dataset: MatchingDataset,
    spec: ModelSpec,
    config: TrainConfig,
    seed: int,
    silent: bool = True,
    features: Sequence[Any] | None = None,
) -> tuple[TrainResult, dict[str, Any]]:
    """Seed, build and train one model; returns the result and the checkpoint metadata describing the run."""
    seed_everything(seed)
    model, pretrained_info = build_model(spec.core_encoder, spec.ligand_encoder, spec.core_args, spec.ligand_args,
                                         spec.pretrained_core, config, spec.init_model)
    result = train_model(model, dataset, config, seed, silent=silent, features=features)
    metadata = {
        "kind": "colim-train",
        "seed": seed,
        "dataset_hash": dataset.content_hash(),
        "dataset_sizes": {split: len(dataset.split_pairs(split)) for split in ("train", "val", "test")},
        "config": config.as_dict(),
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "metrics": {"val": result.val_metrics},
        "history": result.history,
        "pretrained_core": None if pretrained_info is None or spec.init_model else {
            "path": str(spec.pretrained_core), "metadata": pretrained_info.get("metadata", {})},
        "init_model": None if not spec.init_model or pretrained_info is None else {
            "path": str(spec.init_model), "metadata": _init_summary(pretrained_info)},
    }
    return result, metadata
