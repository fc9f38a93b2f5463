"""Classification, calibration, bootstrap and ranking-stability metrics (numpy in, plain floats out).

AUC and friends come from scikit-learn; a metric that is undefined for the given labels (e.g. AUC
with one class only) is NaN rather than an exception, so reports still print.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Sequence

import numpy as np
from scipy.stats import spearmanr, t as student_t
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    recall_score,
    roc_auc_score,
)

#: metrics of :func:`classification_metrics`, in report order.
CLASSIFICATION_METRICS = ("auc", "accuracy", "precision", "recall", "f1")


def safe_auc(y_true: np.ndarray, prob: np.ndarray) -> float:
    """ROC AUC, or NaN when ``y_true`` holds one class only."""
    y_true = np.asarray(y_true)
    if len(np.unique(y_true)) < 2:
        return float("nan")
    return float(roc_auc_score(y_true, prob))


def classification_metrics(y_true: Sequence[int], prob: Sequence[float], threshold: float = 0.5) -> dict[str, float]:
    """AUC, accuracy, precision, recall and F1 of probabilities ``prob`` (positive when ``>= threshold``)."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(prob, dtype=float)
    pred = (p >= threshold).astype(int)
    return {
        "auc": safe_auc(y, p),
        "accuracy": float(accuracy_score(y, pred)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
    }


def confusion(y_true: Sequence[int], prob: Sequence[float], threshold: float = 0.5) -> list[list[int]]:
    """``[[TN, FP], [FN, TP]]`` at ``threshold``."""
    pred = (np.asarray(prob) >= threshold).astype(int)
    return confusion_matrix(np.asarray(y_true, dtype=int), pred, labels=[0, 1]).tolist()


def regression_metrics(y_true: Sequence[float], pred: Sequence[float]) -> dict[str, float]:
    """MAE and MSE."""
    return {"mae": float(mean_absolute_error(y_true, pred)), "mse": float(mean_squared_error(y_true, pred))}


def calibration(y_true: Sequence[int], prob: Sequence[float], n_bins: int = 10) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error over ``n_bins`` equal-width bins, and the bins for a reliability diagram.

    ECE = Σ_b (n_b / n) · |mean(y)_b − mean(p)_b|; each bin reports its range, count, mean
    predicted probability and observed positive fraction (NaN when empty).
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(prob, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        mask = which == b
        count = int(mask.sum())
        conf = float(p[mask].mean()) if count else float("nan")
        acc = float(y[mask].mean()) if count else float("nan")
        if count:
            ece += count / max(len(p), 1) * abs(acc - conf)
        bins.append({"lower": float(edges[b]), "upper": float(edges[b + 1]), "count": count, "confidence": conf, "accuracy": acc})
    return float(ece), bins


def bootstrap_ci(
    y_true: Sequence[int],
    prob: Sequence[float],
    metric: Callable[[np.ndarray, np.ndarray], float],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``metric(y, p)`` over resampled pairs (NaN resamples dropped)."""
    y = np.asarray(y_true)
    p = np.asarray(prob)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        value = metric(y[idx], p[idx])
        if not math.isnan(value):
            values.append(value)
    if not values:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def mean_std(values: Sequence[float]) -> dict[str, float]:
    """Mean and (population) standard deviation, ignoring NaN; NaN when nothing is left."""
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if arr.size == 0:
        return {"mean": float("nan"), "std": float("nan")}
    return {"mean": float(arr.mean()), "std": float(arr.std())}


def mean_ci(values: Sequence[float], level: float = 0.95) -> dict[str, float]:
    """Mean, sample standard deviation (ddof 1) and the Student-t confidence interval of the mean over the
    finite ``values`` (e.g. one score per fold × seed): ``mean ± t_{(1+level)/2, n-1} · std / √n``.

    NaN values are dropped; with one value the std and interval are NaN, with none everything is.
    """
    arr = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    n = int(arr.size)
    if n == 0:
        return {"mean": float("nan"), "std": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0}
    mean = float(arr.mean())
    if n == 1:
        return {"mean": mean, "std": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 1}
    std = float(arr.std(ddof=1))
    half = float(student_t.ppf((1.0 + level) / 2.0, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def overlap_at_k(scores_a: np.ndarray, scores_b: np.ndarray, k: int) -> float:
    """Fraction of the top-``k`` items (by score) that two rankings share."""
    k = min(k, len(scores_a))
    top_a = set(np.argsort(-scores_a, kind="stable")[:k].tolist())
    top_b = set(np.argsort(-scores_b, kind="stable")[:k].tolist())
    return len(top_a & top_b) / k if k else float("nan")


def ranking_stability(scores: Sequence[np.ndarray], k: int = 10) -> dict[str, float]:
    """Agreement of per-core rankings between models (e.g. seeds).

    Args:
        scores: one ``[num_cores, num_sets]`` score matrix per model.
        k: size of the top list compared by overlap@k.

    Returns mean (and std) over cores and model pairs of overlap@k and of the Spearman rank
    correlation of the full rankings; NaN with fewer than two models.
    """
    overlaps, rhos = [], []
    for a, b in itertools.combinations(scores, 2):
        for row_a, row_b in zip(a, b):
            overlaps.append(overlap_at_k(row_a, row_b, k))
            if len(row_a) > 1 and np.ptp(row_a) > 0 and np.ptp(row_b) > 0:
                rhos.append(float(spearmanr(row_a, row_b).statistic))
    k_used = min(k, scores[0].shape[1]) if scores else k
    ov, rho = mean_std(overlaps), mean_std(rhos)
    return {"k": int(k_used), "overlap_at_k": ov["mean"], "overlap_at_k_std": ov["std"],
            "spearman": rho["mean"], "spearman_std": rho["std"], "model_pairs": len(list(itertools.combinations(scores, 2)))}
