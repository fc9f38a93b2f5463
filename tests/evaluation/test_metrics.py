"""Metrics agree with scikit-learn and with hand-computed values."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from colim.evaluation.metrics import (
    bootstrap_ci,
    calibration,
    classification_metrics,
    confusion,
    mean_std,
    overlap_at_k,
    ranking_stability,
    regression_metrics,
    safe_auc,
)

Y = np.array([0, 0, 1, 1, 0, 1, 1, 0, 1, 0])
P = np.array([0.1, 0.6, 0.8, 0.4, 0.3, 0.9, 0.55, 0.2, 0.7, 0.45])


def test_classification_metrics_match_sklearn():
    m = classification_metrics(Y, P)
    pred = (P >= 0.5).astype(int)
    assert m["auc"] == roc_auc_score(Y, P)
    assert m["accuracy"] == accuracy_score(Y, pred) == 0.8
    assert m["precision"] == precision_score(Y, pred)
    assert m["recall"] == recall_score(Y, pred)
    assert m["f1"] == f1_score(Y, pred)
    assert confusion(Y, P) == [[4, 1], [1, 4]]


def test_auc_of_one_class_is_nan_not_an_error():
    assert math.isnan(safe_auc(np.ones(4), np.linspace(0, 1, 4)))
    assert math.isnan(classification_metrics([1, 1], [0.2, 0.9])["auc"])


def test_expected_calibration_error_by_hand():
    # two bins: [0, 0.5) holds p=0.2,0.4 with one positive; [0.5, 1] holds p=0.6,1.0 with two positives
    ece, bins = calibration([0, 1, 1, 1], [0.2, 0.4, 0.6, 1.0], n_bins=2)
    assert math.isclose(ece, 0.5 * abs(0.5 - 0.3) + 0.5 * abs(1.0 - 0.8))
    assert [b["count"] for b in bins] == [2, 2]
    assert math.isclose(bins[1]["confidence"], 0.8) and bins[1]["accuracy"] == 1.0


def test_bootstrap_interval_brackets_the_estimate_and_is_repeatable():
    low, high = bootstrap_ci(Y, P, safe_auc, n_boot=300, seed=1)
    assert low <= roc_auc_score(Y, P) <= high and 0 < high - low < 1
    assert (low, high) == bootstrap_ci(Y, P, safe_auc, n_boot=300, seed=1)


def test_ranking_stability_overlap_and_spearman():
    a = np.array([[0.9, 0.8, 0.1, 0.2], [0.1, 0.2, 0.3, 0.4]])
    assert overlap_at_k(a[0], a[0][::-1], 2) == 0.0
    assert overlap_at_k(a[0], np.array([0.9, 0.1, 0.8, 0.2]), 2) == 0.5
    same = ranking_stability([a, a.copy()], k=2)
    assert same["overlap_at_k"] == 1.0 and math.isclose(same["spearman"], 1.0) and same["model_pairs"] == 1
    flipped = ranking_stability([a, -a], k=2)
    assert flipped["overlap_at_k"] == 0.0 and math.isclose(flipped["spearman"], -1.0)


def test_regression_and_summary_helpers():
    assert regression_metrics([1.0, 2.0], [1.5, 2.0]) == {"mae": 0.25, "mse": 0.125}
    assert mean_std([1.0, 3.0, float("nan")]) == {"mean": 2.0, "std": 1.0}
