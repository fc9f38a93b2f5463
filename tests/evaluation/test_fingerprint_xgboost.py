"""The descriptor-free Fingerprint + XGBoost row of Table 1 on scaffold folds of real ligands on Cu, Ag, Au atoms."""

from __future__ import annotations

import dataclasses

import numpy as np

from colim.evaluation import baselines
from colim.evaluation.comparison import compare_methods
from colim.evaluation.folds import make_folds
from colim.training.trainer import TrainConfig
from tests.evaluation.metal_data import metal_dataset


def test_fingerprint_xgboost_never_sees_the_core():
    fold = make_folds(metal_dataset(), "scaffold", 3, 0)[0].dataset
    none = np.zeros((len(fold.cores), 0), dtype=np.float32)
    model = baselines.fit_xgboost(none, fold, seed=0)
    test = fold.split_pairs("test")
    on = [baselines.predict_xgboost(model, none, [dataclasses.replace(p, core_index=c) for p in test]) for c in range(3)]
    assert np.array_equal(on[0], on[1]) and np.array_equal(on[0], on[2])
    assert baselines.pair_matrix(none, test).shape == baselines.ligand_set_fingerprints(test).shape


def test_the_fingerprint_row_runs_on_scaffold_folds_beside_table_1():
    results = compare_methods(metal_dataset(), [0, 1], TrainConfig(epochs=1), rows=["Fingerprint", "Constant"], cv=["scaffold"], k=3)
    by = {r["model"]: r for r in results}
    assert set(by) == {"Fingerprint + XGBoost", "Constant 0.5"}
    row = by["Fingerprint + XGBoost"]
    assert row["status"] == "ok" and row["scheme"] == "scaffold" and len(row["runs"]) == 3 * 2 and row["folds_used"] == 3
    assert 0 <= row["auc"]["mean"] <= 1 and row["core_encoder"] == "none"
