"""Pretraining a core encoder on gas-phase cluster properties (E_form per atom or HOMO–LUMO gap).

The encoder gets an MLP regression head (Linear → Softplus → Linear); targets are standardised
with the training split's mean and spread, and errors are reported in the target's own units next
to a mean-predictor baseline (which always predicts the training mean).
"""

from __future__ import annotations

import copy
import math
import os
import random
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
from ase import Atoms
from torch import Tensor, nn
from tqdm.auto import tqdm

from colim.progress import progress_bar

from colim.encoders import CoreEncoder
from colim.errors import ColimError
from colim.model.checkpoint import save_encoder_checkpoint
from colim.output_files import check_output_path
from colim.plugin_manager import create_core_encoder
from colim.pretrain_data.reader import load_pretraining_set
from colim.training.batching import batch_order, featurize_cores
from colim.training.metrics import regression_metrics
from colim.training.trainer import seed_everything


class PretrainingError(ColimError):
    """Pretraining data or options are unusable."""


class RegressionHead(nn.Module):
    """Linear → Softplus → Linear → one value per core."""

    def __init__(self, in_dim: int, hidden_dim: int = 128):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.Softplus(), nn.Linear(hidden_dim, 1))

    def forward(self, h: Tensor) -> Tensor:
        """Shapes: ``h [B, in_dim]`` → ``[B]``."""
        return self.mlp(h).squeeze(-1)


@dataclass
class PretrainConfig:
    """Settings of :func:`pretrain_encoder` (recorded in the encoder checkpoint)."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    head_hidden: int = 128
    patience: int = 5

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PretrainResult:
    """The pretrained encoder, its held-out errors and the mean-predictor baseline's."""

    encoder: CoreEncoder
    target: str
    split_sizes: dict[str, int]
    test_metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    val_metrics: dict[str, float]
    best_epoch: int
    target_mean: float
    target_std: float
    history: list[dict[str, float]] = field(default_factory=list)


def split_indices(n: int, val_fraction: float, test_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Random train/val/test indices of ``n`` items (fixed by ``seed``)."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, int(round(n * test_fraction)))
    n_val = max(1, int(round(n * val_fraction)))
    if n - n_test - n_val < 2:
        raise PretrainingError(f"{n} structures are too few to split into train/val/test")
    return {"test": order[:n_test], "val": order[n_test : n_test + n_val], "train": order[n_test + n_val :]}


@torch.no_grad()
def _predict(encoder: CoreEncoder, head: RegressionHead, feats: Sequence[Any], idx: np.ndarray, batch_size: int) -> np.ndarray:
    encoder.eval()
    head.eval()
    out = []
    for start in range(0, len(idx), batch_size):
        chunk = idx[start : start + batch_size]
        batch = encoder.collate([feats[i] for i in chunk])
        out.append(head(encoder(batch)).double().numpy())
    return np.concatenate(out) if out else np.zeros(0)


def pretrain_encoder(
    encoder: CoreEncoder,
    structures: Sequence[Atoms],
    target: str,
    config: PretrainConfig,
    seed: int,
    silent: bool = True,
) -> PretrainResult:
    """Train ``encoder`` + a regression head on ``atoms.info[target]``; keep the best validation epoch.

    Returns held-out (test) MAE/MSE in target units and the same for a mean predictor.
    """
    if not encoder.trainable or not any(p.requires_grad for p in encoder.parameters()):
        raise PretrainingError(f"core encoder '{encoder.name}' has no trainable weights; pretraining needs a trainable encoder")
    missing = [i for i, a in enumerate(structures) if target not in a.info]
    if missing:
        raise PretrainingError(f"structure {missing[0]} has no '{target}' value")
    y = np.array([float(a.info[target]) for a in structures])
    splits = split_indices(len(structures), config.val_fraction, config.test_fraction, seed)
    mean = float(y[splits["train"]].mean())
    std = float(y[splits["train"]].std()) or 1.0
    torch.manual_seed(seed)
    head = RegressionHead(encoder.embedding_dim, config.head_hidden)
    feats = featurize_cores(encoder, structures, silent=silent, desc="building graphs")
    y_norm = torch.tensor((y - mean) / std, dtype=torch.float32)
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=config.lr)
    generator = torch.Generator().manual_seed(seed)
    train_idx = splits["train"]
    best, best_mae, best_epoch, stale, history = None, math.inf, 0, 0, []
    for epoch in range(1, config.epochs + 1):
        encoder.train()
        head.train()
        total = 0.0
        chunks = batch_order(len(train_idx), config.batch_size, generator)
        for chunk in progress_bar(chunks, desc=f"pretraining epoch {epoch}/{config.epochs}", disable=silent, leave=False):
            rows = train_idx[chunk]
            optimizer.zero_grad()
            pred = head(encoder(encoder.collate([feats[i] for i in rows])))
            loss = nn.functional.mse_loss(pred, y_norm[rows])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(rows)
        val_pred = _predict(encoder, head, feats, splits["val"], 256) * std + mean
        val = regression_metrics(y[splits["val"]], val_pred)
        history.append({"epoch": epoch, "train_mse_normalised": total / len(train_idx), "val_mae": val["mae"], "val_mse": val["mse"]})
        if not silent:
            tqdm.write(f"epoch {epoch}: train MSE (standardised) {total / len(train_idx):.4f}, val MAE {val['mae']:.4f}")
        if val["mae"] < best_mae:
            best_mae, best_epoch, stale = val["mae"], epoch, 0
            best = (copy.deepcopy(encoder.state_dict()), copy.deepcopy(head.state_dict()))
        else:
            stale += 1
            if stale >= config.patience:
                break
    encoder.load_state_dict(best[0])
    head.load_state_dict(best[1])
    test_pred = _predict(encoder, head, feats, splits["test"], 256) * std + mean
    val_pred = _predict(encoder, head, feats, splits["val"], 256) * std + mean
    encoder.eval()
    return PretrainResult(
        encoder=encoder,
        target=target,
        split_sizes={k: int(len(v)) for k, v in splits.items()},
        test_metrics=regression_metrics(y[splits["test"]], test_pred),
        baseline_metrics=regression_metrics(y[splits["test"]], np.full(len(splits["test"]), mean)),
        val_metrics=regression_metrics(y[splits["val"]], val_pred),
        best_epoch=best_epoch,
        target_mean=mean,
        target_std=std,
        history=history,
    )


def pretraining_metadata(result: PretrainResult, config: PretrainConfig, data: str | os.PathLike, seed: int,
                         limit: int | None, e_form_reference: str | None) -> dict[str, Any]:
    """What an encoder checkpoint records about its pretraining run (data, split, config, metrics, history)."""
    return {
        "kind": "colim-pretrain",
        "data": str(data),
        "target": result.target,
        "seed": seed,
        "limit": limit,
        "split_sizes": result.split_sizes,
        "config": config.as_dict(),
        "best_epoch": result.best_epoch,
        "metrics": {"test": result.test_metrics, "val": result.val_metrics, "mean_predictor_test": result.baseline_metrics},
        "target_mean": result.target_mean,
        "target_std": result.target_std,
        "history": result.history,
        "e_form_reference": e_form_reference if result.target == "e_form" else None,
    }


def pretrain(data: str | os.PathLike, output: str | os.PathLike, target: str = "e_form", core_encoder: str = "cgcnn",
             core_args: dict[str, Any] | None = None, config: PretrainConfig | None = None, seed: int = 0,
             limit: int | None = None, overwrite: bool = False, silent: bool = True) -> tuple[PretrainResult, int]:
    """Pretrain a fresh ``core_encoder`` on the clusters of ``data`` and save it to ``output``.

    ``limit`` keeps a random subset of that many clusters drawn with ``seed`` (files are often sorted by
    size). Returns the result and the number of clusters used.
    """
    check_output_path(output, overwrite)
    structures = load_pretraining_set(data, target=target)
    if limit is not None and limit < len(structures):
        rng = random.Random(seed)
        structures = [structures[i] for i in sorted(rng.sample(range(len(structures)), limit))]
    seed_everything(seed)  # the encoder's initial weights depend only on the seed
    encoder = create_core_encoder(core_encoder, **(core_args or {}))
    config = config or PretrainConfig()
    result = pretrain_encoder(encoder, structures, target, config, seed=seed, silent=silent)
    metadata = pretraining_metadata(result, config, data, seed, limit, structures[0].info.get("e_form_reference"))
    save_encoder_checkpoint(result.encoder, output, metadata, overwrite=overwrite)
    return result, len(structures)
