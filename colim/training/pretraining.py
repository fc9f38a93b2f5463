"""Pretraining a core encoder on gas-phase cluster properties (E_form per atom and/or HOMO–LUMO gap).

The encoder gets an MLP regression head (Linear → Softplus → Linear) with one output per *task*: a
target from one source, keyed ``"<target>@<reference>"`` by the frame's ``e_form_reference`` (ML-Au
VASP-PBE, NC_Database PBE, EMT ...). Different sources have different levels of theory and zeros of
energy, so they are never pooled into one regression target: each task has its own output and is
standardised with its own training mean and spread (a per-source offset and scale), and a frame
contributes only to the tasks it has a value for (missing targets are masked). The loss is the mean
over the tasks present in a batch of each task's mean squared standardised error, so a small source
is not drowned by a large one. Errors are reported per task in the target's units, overall and per
metal group (Au only / Ag-containing / Cu-containing), next to a mean predictor (the task's training mean).
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
from colim.evaluation.metrics import regression_metrics
from colim.io.output_files import check_output_path
from colim.model.checkpoint import save_encoder_checkpoint
from colim.plugins.manager import create_core_encoder
from colim.pretrain_data.reader import load_pretraining_set
from colim.training.batching import batch_order, featurize_cores
from colim.training.trainer import seed_everything


class PretrainingError(ColimError):
    """Pretraining data or options are unusable."""


#: metal groups the per-group test errors are reported for (a frame can be in several).
METAL_GROUPS = ("Au only", "Ag-containing", "Cu-containing")


class RegressionHead(nn.Module):
    """Linear → Softplus → Linear → ``num_tasks`` values per core (one per task)."""

    def __init__(self, in_dim: int, hidden_dim: int = 128, num_tasks: int = 1):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.Softplus(), nn.Linear(hidden_dim, num_tasks))

    def forward(self, h: Tensor) -> Tensor:
        """Shapes: ``h [B, in_dim]`` → ``[B, num_tasks]``."""
        return self.mlp(h)


def task_of(atoms: Atoms, target: str) -> str | None:
    """The task a frame's ``target`` value belongs to (``"e_form@<reference>"``), or None if it has none."""
    if target not in atoms.info:
        return None
    return f"{target}@{atoms.info.get('e_form_reference', 'file')}"


def metal_groups(atoms: Atoms) -> list[str]:
    """Which of :data:`METAL_GROUPS` a cluster belongs to."""
    symbols = set(atoms.get_chemical_symbols())
    groups = []
    if symbols == {"Au"}:
        groups.append("Au only")
    if "Ag" in symbols:
        groups.append("Ag-containing")
    if "Cu" in symbols:
        groups.append("Cu-containing")
    return groups


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
    #: per task: train mean/std, test and mean-predictor metrics overall and per metal group, counts.
    tasks: dict[str, dict[str, Any]]
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
    """Standardised predictions ``[len(idx), num_tasks]``."""
    encoder.eval()
    head.eval()
    out = []
    for start in range(0, len(idx), batch_size):
        chunk = idx[start : start + batch_size]
        batch = encoder.collate([feats[i] for i in chunk])
        out.append(head(encoder(batch)).double().numpy())
    return np.concatenate(out) if out else np.zeros((0, head.mlp[-1].out_features))


def _masked_loss(pred: Tensor, y: Tensor, mask: Tensor) -> Tensor:
    """Mean over the tasks present of each task's mean squared error on its observed entries."""
    counts = mask.sum(dim=0)
    per_task = ((pred - y) ** 2 * mask).sum(dim=0) / counts.clamp(min=1)
    present = counts > 0
    return per_task[present].mean()


def _task_table(structures: Sequence[Atoms], targets: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Task names, values ``[n, T]`` (NaN where missing) and the observed mask."""
    keys = [[task_of(a, t) for t in targets] for a in structures]
    tasks = sorted({k for row in keys for k in row if k is not None}, key=lambda k: (targets.index(k.split("@")[0]), k))
    y = np.full((len(structures), len(tasks)), np.nan)
    for i, (atoms, row) in enumerate(zip(structures, keys)):
        for target, key in zip(targets, row):
            if key is not None:
                y[i, tasks.index(key)] = float(atoms.info[target])
    return tasks, y, ~np.isnan(y)


def pretrain_encoder(
    encoder: CoreEncoder,
    structures: Sequence[Atoms],
    target: str | Sequence[str],
    config: PretrainConfig,
    seed: int,
    silent: bool = True,
) -> PretrainResult:
    """Train ``encoder`` + a multi-task regression head on ``atoms.info[target]`` (one task per target and
    source); keep the best validation epoch (mean over tasks of the standardised validation MAE).

    Returns held-out (test) MAE/MSE in target units, pooled over the first target's tasks
    (``test_metrics``) and per task and metal group (``tasks``), each beside a mean predictor.
    """
    targets = [target] if isinstance(target, str) else list(target)
    if not encoder.trainable or not any(p.requires_grad for p in encoder.parameters()):
        raise PretrainingError(f"core encoder '{encoder.name}' has no trainable weights; pretraining needs a trainable encoder")
    missing = [i for i, a in enumerate(structures) if not any(t in a.info for t in targets)]
    if missing:
        raise PretrainingError(f"structure {missing[0]} has no '{' or '.join(targets)}' value")
    tasks, y, observed = _task_table(structures, targets)
    splits = split_indices(len(structures), config.val_fraction, config.test_fraction, seed)
    train = splits["train"]
    means, stds = _standardisation(tasks, y, observed, train)
    torch.manual_seed(seed)
    head = RegressionHead(encoder.embedding_dim, config.head_hidden, len(tasks))
    feats = featurize_cores(encoder, structures, silent=silent, desc="building graphs")
    y_norm = torch.tensor(np.nan_to_num((y - means) / stds), dtype=torch.float32)
    mask = torch.tensor(observed, dtype=torch.float32)
    generator = torch.Generator().manual_seed(seed)

    def val_score() -> tuple[float, dict[str, float]]:
        idx = splits["val"]
        pred = _predict(encoder, head, feats, idx, 256)
        maes = {}
        for t, name in enumerate(tasks):
            seen = observed[idx, t]
            if seen.any():
                maes[name] = float(np.abs(pred[seen, t] - (y[idx][seen, t] - means[t]) / stds[t]).mean() * stds[t])
        score = float(np.mean([maes[n] / stds[tasks.index(n)] for n in maes])) if maes else math.inf
        return score, maes

    best_epoch, history = _fit(encoder, head, feats, y_norm, mask, train, val_score, tasks, config, generator, silent)
    report = {name: _evaluate(structures, splits, y, observed, _predict(encoder, head, feats, splits[name], 256) * stds + means, means, name)
              for name in ("val", "test")}
    first = [t for t, name in enumerate(tasks) if name.startswith(targets[0] + "@")]
    test_true, test_pred, test_base = _pooled(report["test"], first)
    val_true, val_pred, _ = _pooled(report["val"], first)
    task_report = {name: {"train_mean": float(means[t]), "train_std": float(stds[t]), "count": int(observed[:, t].sum()),
                          **report["test"][t]} for t, name in enumerate(tasks)}
    return PretrainResult(
        encoder=encoder,
        target=",".join(targets),
        split_sizes={k: int(len(v)) for k, v in splits.items()},
        tasks=task_report,
        test_metrics=regression_metrics(test_true, test_pred),
        baseline_metrics=regression_metrics(test_true, test_base),
        val_metrics=regression_metrics(val_true, val_pred),
        best_epoch=best_epoch,
        target_mean=float(means[first[0]]),
        target_std=float(stds[first[0]]),
        history=history,
    )


def _standardisation(tasks: Sequence[str], y: np.ndarray, observed: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each task's training-split mean and standard deviation (1 when constant); a task without a training value is refused."""
    means, stds = np.zeros(len(tasks)), np.ones(len(tasks))
    for t in range(len(tasks)):
        values = y[train][observed[train, t], t]
        if len(values) == 0:
            raise PretrainingError(f"task {tasks[t]} has no value in the training split; give it more frames")
        means[t] = values.mean()
        stds[t] = values.std() or 1.0
    return means, stds


def _fit(encoder: CoreEncoder, head: RegressionHead, feats: Sequence, y_norm: torch.Tensor, mask: torch.Tensor, train: np.ndarray,
         val_score, tasks: Sequence[str], config: PretrainConfig, generator: torch.Generator, silent: bool) -> tuple[int, list[dict]]:
    """Adam epochs over the training split with early stopping on ``val_score()``; leaves the best epoch's weights
    in ``encoder`` and ``head`` (encoder in eval mode) and returns that epoch and the per-epoch history."""
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=config.lr)
    best, best_score, best_epoch, stale, history = None, math.inf, 0, 0, []
    for epoch in range(1, config.epochs + 1):
        encoder.train()
        head.train()
        total = 0.0
        chunks = batch_order(len(train), config.batch_size, generator)
        for chunk in progress_bar(chunks, desc=f"pretraining epoch {epoch}/{config.epochs}", disable=silent, leave=False):
            rows = train[chunk]
            optimizer.zero_grad()
            pred = head(encoder(encoder.collate([feats[i] for i in rows])))
            loss = _masked_loss(pred, y_norm[rows], mask[rows])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(rows)
        score, maes = val_score()
        entry = {"epoch": epoch, "train_mse_normalised": total / len(train), "val_score": score}
        if len(tasks) == 1:
            entry["val_mae"] = maes.get(tasks[0], math.nan)
        else:
            entry.update({f"val_mae[{k}]": v for k, v in maes.items()})
        history.append(entry)
        if not silent:
            tqdm.write(f"epoch {epoch}: train MSE (standardised) {total / len(train):.4f}, "
                       + ", ".join(f"val MAE {k} {v:.4f}" for k, v in maes.items()))
        if score < best_score:
            best_score, best_epoch, stale = score, epoch, 0
            best = (copy.deepcopy(encoder.state_dict()), copy.deepcopy(head.state_dict()))
        else:
            stale += 1
            if stale >= config.patience:
                break
    encoder.load_state_dict(best[0])
    head.load_state_dict(best[1])
    encoder.eval()
    return best_epoch, history


def pretraining_metadata(result: PretrainResult, config: PretrainConfig, data: Sequence[str | os.PathLike], seed: int,
                         limit: int | None, e_form_references: list[str] | None) -> dict[str, Any]:
    """What an encoder checkpoint records about its pretraining run (data, split, config, metrics per task, history)."""
    return {
        "kind": "colim-pretrain",
        "data": str(data[0]) if len(data) == 1 else [str(d) for d in data],
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
        "tasks": result.tasks,
        "e_form_reference": e_form_references,
    }


def pretrain(data: str | os.PathLike | Sequence[str | os.PathLike], output: str | os.PathLike,
             target: str | Sequence[str] = "e_form", core_encoder: str = "cgcnn",
             core_args: dict[str, Any] | None = None, config: PretrainConfig | None = None, seed: int = 0,
             limit: int | None = None, overwrite: bool = False, silent: bool = True) -> tuple[PretrainResult, int]:
    """Pretrain a fresh ``core_encoder`` on the clusters of one or more ``data`` files and save it to ``output``.

    Each (target, E_form reference) pair is its own task with its own head output, so sources are never
    pooled into one regression target. ``limit`` keeps a random subset of that many clusters of each file,
    drawn with ``seed`` (files are often sorted by size). Returns the result and the number of clusters used.
    """
    check_output_path(output, overwrite)
    paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    targets = [target] if isinstance(target, str) else list(dict.fromkeys(target))
    structures: list[Atoms] = []
    for path in paths:
        frames = load_pretraining_set(path, target="e_form" if "e_form" in targets else targets[0])
        if limit is not None and limit < len(frames):
            rng = random.Random(seed)
            frames = [frames[i] for i in sorted(rng.sample(range(len(frames)), limit))]
        structures.extend(frames)
    seed_everything(seed)  # the encoder's initial weights depend only on the seed
    encoder = create_core_encoder(core_encoder, **(core_args or {}))
    config = config or PretrainConfig()
    result = pretrain_encoder(encoder, structures, targets[0] if len(targets) == 1 else targets, config, seed=seed, silent=silent)
    references = sorted({str(a.info.get("e_form_reference")) for a in structures}) if "e_form" in targets else None
    metadata = pretraining_metadata(result, config, paths, seed, limit, references)
    save_encoder_checkpoint(result.encoder, output, metadata, overwrite=overwrite)
    return result, len(structures)


def _evaluate(structures: Sequence[Atoms], splits: dict[str, np.ndarray], y: np.ndarray, observed: np.ndarray,
              pred: np.ndarray, means: np.ndarray, split: str) -> list[dict[str, Any]]:
    """Per task: metrics of ``pred`` (rows of ``splits[split]``, target units) and of the mean predictor,
    overall and per metal group, plus the raw arrays for pooling."""
    idx = splits[split]
    out = []
    for t in range(y.shape[1]):
        seen = observed[idx, t]
        true, p = y[idx][seen, t], pred[seen, t]
        base = np.full(len(true), means[t])
        entry: dict[str, Any] = {"n_test": int(seen.sum()), "_arrays": (true, p, base)}
        if len(true):
            entry["test"] = regression_metrics(true, p)
            entry["mean_predictor_test"] = regression_metrics(true, base)
        groups = {}
        rows = idx[seen]
        for group in METAL_GROUPS:
            member = np.array([group in metal_groups(structures[i]) for i in rows], dtype=bool)
            if member.any():
                groups[group] = {"n": int(member.sum()), "mae": float(np.abs(true[member] - p[member]).mean()),
                                 "mean_predictor_mae": float(np.abs(true[member] - base[member]).mean())}
        entry["groups"] = groups
        out.append(entry)
    return out


def _pooled(report: list[dict[str, Any]], tasks: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenated (true, predicted, mean predictor) over ``tasks``; pops the raw arrays from ``report``."""
    parts = [report[t].pop("_arrays") for t in tasks]
    for entry in report:
        entry.pop("_arrays", None)
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]
