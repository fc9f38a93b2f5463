"""Cross-validation folds, the baselines and the interval maths on the tiny real dataset (Au–S CIF cores,
thiolate positives, phosphine/carboxylate negatives)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from colim.evaluation import ablations
from colim.evaluation.folds import grouped_kfold, leave_one_family_out, leave_one_metal_out, pair_families
from colim.evaluation.metrics import mean_ci, safe_auc
from colim.training.batching import featurize_cores
from colim.training.trainer import ModelSpec, TrainConfig, predict
from tests.training.conftest import TINY_ENCODERS


def test_grouped_folds_keep_groups_disjoint_and_test_each_group_once(tiny_ds):
    folds = grouped_kfold(tiny_ds, k=5, seed=0)
    tested = []
    for fold in folds:
        sides = {s: {p.group for p in fold.dataset.split_pairs(s)} for s in ("train", "val", "test")}
        assert not (sides["train"] & sides["test"]) and not (sides["train"] & sides["val"]) and not (sides["val"] & sides["test"])
        assert sum(len(fold.dataset.split_pairs(s)) for s in ("train", "val", "test")) == len(tiny_ds.pairs)
        tested += sorted(sides["test"])
    assert sorted(tested) == sorted({p.group for p in tiny_ds.pairs})  # every group tested exactly once
    assert [len(f.dataset.split_pairs("test")) for f in folds] == [6] * 5  # 10 groups of 3 pairs, dealt evenly
    assert [p.split for p in tiny_ds.pairs][:3] == ["train"] * 3  # the input dataset is not changed


def test_leave_one_family_out_holds_out_exactly_that_family(tiny_ds):
    folds = {f.name: f for f in leave_one_family_out(tiny_ds)}
    assert sorted(folds) == ["without carboxylate", "without phosphine", "without thiolate"]
    fold = folds["without phosphine"]
    test = fold.dataset.split_pairs("test")
    assert test and all("phosphine" in pair_families(p) for p in test)
    rest = fold.dataset.split_pairs("train") + fold.dataset.split_pairs("val")
    assert not any("phosphine" in pair_families(p) for p in rest)
    assert len(test) + len(rest) == len(tiny_ds.pairs)
    assert fold.skipped == "the held-out pairs (phosphine) have no positives"


def test_leave_one_metal_out_is_skipped_with_one_metal(tiny_ds):
    [fold] = leave_one_metal_out(tiny_ds)
    assert fold.dataset is None and fold.skipped == "every core holds Au: no metal to train without"


def test_family_prior_counts_training_pairs_only(tiny_ds):
    fold = grouped_kfold(tiny_ds, k=5, seed=0)[0]
    prior = ablations.family_prior(fold.dataset)
    train = fold.dataset.split_pairs("train")
    n_thiolate = sum(1 for p in train if ablations.family_key(p) == "thiolate")
    assert prior["thiolate"] == pytest.approx((n_thiolate + 1) / (n_thiolate + 2))  # every thiolate set is a positive here
    n_phos = sum(1 for p in train if ablations.family_key(p) == "phosphine")
    assert prior["phosphine"] == pytest.approx(1 / (n_phos + 2))
    test = fold.dataset.split_pairs("test")
    assert safe_auc([p.label for p in test], ablations.predict_family_prior(fold.dataset, test)) == 1.0
    assert safe_auc([p.label for p in test], ablations.predict_constant(test)) == 0.5


@pytest.mark.parametrize("drop", ["core", "ligand"])
def test_ablated_models_train_on_one_side_only(tiny_ds, drop):
    core_name, core_args = TINY_ENCODERS["core"]
    lig_name, lig_args = TINY_ENCODERS["ligand"]
    spec = ModelSpec(core_name, lig_name, core_args, lig_args)
    config = TrainConfig(epochs=3, hidden_dims=(8,), batch_size=8)
    result = ablations.fit_ablated(tiny_ds, spec, config, drop, seed=0)
    model = result.model
    assert model.head.core_dim == (0 if drop == "core" else 16) and model.head.ligand_dim == (16 if drop == "core" else 0)
    feats = featurize_cores(model.core_encoder, tiny_ds.cores)
    test = tiny_ds.split_pairs("test")
    prob = predict(model, feats, test)
    assert prob.shape == (len(test),) and np.all((prob > 0) & (prob < 1))
    by_core: dict[int, list[float]] = {}
    for p, v in zip(test, prob):
        by_core.setdefault(p.core_index, []).append(v)
    if drop == "ligand":  # core only: every set of one core gets the same score
        assert all(np.ptp(v) < 1e-6 for v in by_core.values())
    else:  # ligand only: the same set scores the same on every core
        by_set: dict[str, set[float]] = {}
        for p, v in zip(test, prob):
            by_set.setdefault(p.ligand_set.key, set()).add(round(float(v), 6))
        assert all(len(v) == 1 for v in by_set.values())


def test_mean_ci_is_the_student_t_interval_of_the_mean():
    values = [0.6, 0.7, 0.8, 0.75, 0.65]
    ms = mean_ci(values)
    sd = np.std(values, ddof=1)
    half = stats.t.ppf(0.975, 4) * sd / math.sqrt(5)
    assert ms["mean"] == pytest.approx(0.7) and ms["std"] == pytest.approx(sd) and ms["n"] == 5
    assert (ms["ci_low"], ms["ci_high"]) == pytest.approx((0.7 - half, 0.7 + half))
    assert half == pytest.approx(2.776445 * sd / math.sqrt(5), rel=1e-6)
    single = mean_ci([0.9, float("nan")])
    assert single["n"] == 1 and single["mean"] == 0.9 and math.isnan(single["ci_low"])


def test_grouped_folds_group_by_core_geometry_not_by_pair(tiny_ds):
    """Builder group ids are ``class|ligand set``: every ligand set of one geometry class goes to the same side."""
    import dataclasses

    from colim.dataset.records import MatchingDataset

    pairs = [dataclasses.replace(p, group=f"class{p.core_index // 2}|{p.ligand_set.key}") for p in tiny_ds.pairs]
    ds = MatchingDataset(tiny_ds.cores, pairs)
    for fold in grouped_kfold(ds, k=5, seed=1):
        side = {}
        for p in fold.dataset.pairs:
            side.setdefault(p.core_index // 2, set()).add(p.split)
        assert all(len(s) == 1 for s in side.values())
        assert len(fold.dataset.split_pairs("test")) == 6  # one class (2 cores × 3 sets) per fold


def test_kinds_prior_counts_positives_per_number_of_ligand_kinds(tiny_ds):
    fold = grouped_kfold(tiny_ds, k=5, seed=0)[0]
    train = fold.dataset.split_pairs("train")
    prior = ablations.prior(fold.dataset, ablations.kinds_key)
    for kinds in {ablations.kinds_key(p) for p in train}:
        pairs = [p for p in train if len(p.ligand_set.smiles) == int(kinds)]
        assert prior[kinds] == pytest.approx((sum(p.label for p in pairs) + 1) / (len(pairs) + 2))
    test = fold.dataset.split_pairs("test")
    expected = [prior.get(str(len(p.ligand_set.smiles)), np.mean([q.label for q in train])) for p in test]
    assert ablations.predict_prior(fold.dataset, test, ablations.kinds_key) == pytest.approx(expected)
