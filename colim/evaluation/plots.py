"""Evaluation figures (ROC curve, reliability diagram, confusion matrix, t-SNE of pair embeddings) as PNG files."""

from __future__ import annotations

import os
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

from colim.io.output_files import atomic_output  # noqa: E402


def _save(fig: plt.Figure, path: str | os.PathLike, overwrite: bool) -> None:
    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    plt.close(fig)


def plot_roc(curves: Sequence[tuple[str, np.ndarray, np.ndarray]], path: str | os.PathLike, overwrite: bool = False) -> None:
    """One ROC curve per ``(label, y_true, prob)``."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for label, y, p in curves:
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (test set)")
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path, overwrite)


def plot_reliability(bins: Sequence[dict], ece: float, path: str | os.PathLike, overwrite: bool = False) -> None:
    """Reliability diagram: observed positive fraction against mean predicted probability per bin."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    centres = [(b["lower"] + b["upper"]) / 2 for b in bins]
    width = bins[0]["upper"] - bins[0]["lower"] if bins else 0.1
    ax.bar(centres, [0 if np.isnan(b["accuracy"]) else b["accuracy"] for b in bins], width=width * 0.9,
           edgecolor="k", alpha=0.7, label="observed")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect calibration")
    ax.set(xlabel="predicted probability", ylabel="fraction positive", xlim=(0, 1), ylim=(0, 1),
           title=f"reliability (ECE = {ece:.3f})")
    ax.legend(fontsize=8, loc="upper left")
    _save(fig, path, overwrite)


def plot_confusion(matrix: Sequence[Sequence[int]], path: str | os.PathLike, overwrite: bool = False) -> None:
    """2×2 confusion matrix with counts."""
    fig, ax = plt.subplots(figsize=(3.5, 3.5))
    m = np.asarray(matrix)
    ax.imshow(m, cmap="Blues")
    for i in range(2):
        for j in range(2):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", color="k")
    ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["neg", "pos"], yticklabels=["neg", "pos"],
           xlabel="predicted", ylabel="true", title="confusion matrix")
    _save(fig, path, overwrite)


def plot_tsne(points: np.ndarray, labels: np.ndarray, title: str, path: str | os.PathLike, overwrite: bool = False) -> None:
    """2-D t-SNE map of pair embeddings coloured by label."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for value, colour, name in ((0, "tab:blue", "negative"), (1, "tab:red", "positive")):
        mask = labels == value
        ax.scatter(points[mask, 0], points[mask, 1], s=10, c=colour, label=name, alpha=0.7)
    ax.set(title=title, xticks=[], yticks=[])
    ax.legend(fontsize=8)
    _save(fig, path, overwrite)
