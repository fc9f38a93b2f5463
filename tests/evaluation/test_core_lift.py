"""The core lift, its baselines and scaffold folds on real ligands on real single Cu, Ag and Au atoms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from colim.evaluation import metal_baselines as mb
from colim.evaluation.ablations import fit_ablated
from colim.evaluation.core_lift import COINAGE, NN_DISTANCE, blind_mean, core_lift, core_metal, metal_panel, transmute
from colim.dataset.scaffolds import ligand_scaffold
from colim.evaluation.folds import make_folds
from colim.evaluation.lift_study import LiftStudy, _bounded, run_lift_study
from colim.evaluation.metrics import mean_ci
from colim.structures.core import read_core
from colim.training.trainer import ModelSpec, TrainConfig
from tests.conftest import STRUCTURES
from tests.evaluation.metal_data import LIGANDS, metal_dataset

SPEC = ModelSpec("cgcnn", "fingerprint", {"embedding_dim": 16, "num_layers": 1}, {"embedding_dim": 16, "n_bits": 256})
CONFIG = TrainConfig(epochs=4, hidden_dims=(32,), patience=2)
#: how often each ligand sits on Cu, Ag, Au in MetaLig: an oracle that knows the metal–ligand interaction.
COUNTS = {smiles: counts for smiles, counts in LIGANDS}


@pytest.fixture(scope="module")
def metal_ds():
    return metal_dataset()


@pytest.fixture(scope="module")
def fold(metal_ds):
    return make_folds(metal_ds, "scaffold", 3, 0)[0].dataset


@pytest.fixture(scope="module")
def ligand_only(fold):
    return mb.model_scorer(fit_ablated(fold, SPEC, CONFIG, "core", 0).model)


def oracle(cores, pairs):
    """Scores each pair by how often MetaLig saw its ligand on the core's metal (the interaction itself)."""
    from colim.structures.ligands import canonical_smiles

    table = {canonical_smiles(s): c for s, c in LIGANDS}
    return np.array([table[p.ligand_set.smiles[0]][COINAGE.index(core_metal(cores[p.core_index]))] for p in pairs], dtype=float)


def test_a_ligand_only_model_has_lift_exactly_zero_for_every_metal(fold, ligand_only):
    test = fold.split_pairs("test")
    result = core_lift(ligand_only, fold.cores, test)
    assert {core_metal(fold.cores[p.core_index]) for p in test} == set(COINAGE)
    assert sum(not math.isnan(result[f"auc_{m}"]) for m in COINAGE) >= 2
    for name in ("", "_Cu", "_Ag", "_Au"):
        if not math.isnan(result[f"auc{name}"]):
            assert result[f"lift{name}"] == 0.0
            assert result[f"auc{name}"] == result[f"blind_auc{name}"]
    assert result["pairs"] == len(test)


def test_a_model_that_reads_the_metal_ligand_interaction_has_a_positive_lift(metal_ds):
    result = core_lift(oracle, metal_ds.cores, metal_ds.pairs)
    for m in COINAGE:
        assert result[f"auc_{m}"] == 1.0  # the labels come from these counts
        assert result[f"lift_{m}"] > 0.0
    assert result["lift"] > 0.0


def test_the_additive_and_metal_prior_baselines_have_per_metal_lift_zero(fold, ligand_only):
    additive, info = mb.additive_scorer(ligand_only, fold)
    assert info["fitted_on"] in ("val", "train") and info["pairs"] > 0
    assert set(info["coef_metal"]) == set(COINAGE)
    test = fold.split_pairs("test")
    add = core_lift(additive, fold.cores, test)
    prior = core_lift(mb.metal_prior_scorer(fold), fold.cores, test)
    lig = core_lift(ligand_only, fold.cores, test)
    for m in COINAGE:
        assert prior[f"auc_{m}"] in (0.5,) or math.isnan(prior[f"auc_{m}"])
        assert prior[f"lift_{m}"] == 0.0 or math.isnan(prior[f"lift_{m}"])
        if not math.isnan(add[f"auc_{m}"]):
            assert abs(add[f"lift_{m}"]) < 1e-12
            if info["coef_ligand"] > 0:  # a metal offset does not reorder one metal's pairs
                assert add[f"auc_{m}"] == pytest.approx(lig[f"auc_{m}"])


def test_the_additive_model_learns_the_metals_positive_rates(metal_ds):
    """Cu carries 24 of 27 labelled ligands here, Au 14 of 27: with a ligand score that says nothing, the
    fitted metal offsets follow the per-metal positive rates."""
    flat = lambda cores, pairs: np.full(len(pairs), 0.5)  # noqa: E731
    ds = metal_ds
    from colim.evaluation.folds import resplit

    ds = resplit(ds, ["val"] * len(ds.pairs))  # fit on every pair
    _, info = mb.additive_scorer(flat, ds)
    assert info["fitted_on"] == "val" and info["coef_ligand"] == 0.0
    assert info["coef_metal"]["Cu"] > info["coef_metal"]["Au"]
    assert info["coef_metal"]["Cu"] > info["coef_metal"]["Ag"]


def test_transmute_swaps_the_metal_scales_the_geometry_and_keeps_the_input():
    au = read_core(STRUCTURES / "au_sch3_dft" / "au25_opt.xyz")
    au = au[[a.index for a in au if a.symbol == "Au"]]
    before = au.positions.copy()
    cu = transmute(au, "Cu")
    assert set(cu.get_chemical_symbols()) == {"Cu"} and len(cu) == 25
    d = lambda a: np.linalg.norm(a.positions[0] - a.positions[1])  # noqa: E731
    assert d(cu) == pytest.approx(d(au) * NN_DISTANCE["Cu"] / NN_DISTANCE["Au"])
    assert np.array_equal(au.positions, before) and set(au.get_chemical_symbols()) == {"Au"}
    assert cu.info["transmuted_from"] == "Au"
    assert core_metal(transmute(au, "Au")) == "Au"


def test_a_doped_core_has_no_single_metal_and_its_pairs_are_left_out(metal_ds):
    from ase import Atoms

    doped = Atoms("Au2Pd", positions=[[0, 0, 0], [2.9, 0, 0], [0, 2.9, 0]])
    assert core_metal(doped) is None
    cores = list(metal_ds.cores) + [doped]
    pairs = list(metal_ds.pairs[:4]) + [metal_ds.pairs[0].__class__(3, metal_ds.pairs[0].ligand_set, 1, "test", "x", "reported")]
    panel, own = metal_panel(oracle, cores, pairs)
    assert own[-1] is None and np.isnan(panel[-1]).all() and not np.isnan(panel[:4]).any()


def test_blind_mean_is_exact_for_a_constant_row():
    row = np.full((1, 3), 0.1)
    assert blind_mean(row)[0] == 0.1  # (0.1 + 0.1 + 0.1) / 3 is not 0.1 in floating point
    assert blind_mean(np.array([[0.2, 0.4, 0.9]]))[0] == pytest.approx(0.5)


def test_scaffold_folds_never_put_a_scaffold_on_both_sides(metal_ds):
    folds = make_folds(metal_ds, "scaffold", 3, 0)
    tested = []
    for f in folds:
        sides = {}
        for p in f.dataset.pairs:
            for smi in p.ligand_set.smiles:
                sides.setdefault(ligand_scaffold(smi), set()).add(p.split)
        assert all(len(s) == 1 for s in sides.values())
        by_set = {}
        for p in f.dataset.pairs:  # one ligand set on several metals stays on one side
            by_set.setdefault(p.ligand_set.key, set()).add(p.split)
        assert all(len(s) == 1 for s in by_set.values())
        assert f.dropped == 0  # single ligands never straddle
        tested += [(p.core_index, p.ligand_set.key) for p in f.dataset.split_pairs("test")]
    assert sorted(tested) == sorted((p.core_index, p.ligand_set.key) for p in metal_ds.pairs)  # each pair tested once
    pyridines = [p.split for p in folds[0].dataset.pairs if p.ligand_set.smiles[0] in ("c1ccncc1", "Cc1ccncc1")]
    assert len(set(pyridines)) == 1  # pyridine and 4-picoline share the scaffold c1ccncc1


def test_a_set_whose_scaffolds_straddle_two_sides_is_left_out_of_that_fold(metal_ds):
    from colim.dataset.records import MatchingDataset, PairRecord
    from colim.structures.ligands import LigandSet

    mixed = PairRecord(0, LigandSet.of(["c1ccncc1", "c1ccc(P(c2ccccc2)c2ccccc2)cc1"]), 1, "train", "m", "reported")
    ds = MatchingDataset(metal_ds.cores, list(metal_ds.pairs) + [mixed])
    folds = make_folds(ds, "scaffold", 3, 0)
    for f in folds:
        inside = any(p.ligand_set == mixed.ligand_set for p in f.dataset.pairs)
        assert inside == (f.dropped == 0)
    assert sum(f.dropped for f in folds) >= 1


def test_intervals_are_student_t_and_clipped_to_what_the_metric_can_take():
    ms = mean_ci([0.6, 0.7, 0.8])
    assert ms["mean"] == pytest.approx(0.7) and ms["std"] == pytest.approx(0.1)
    assert ms["ci_high"] - ms["mean"] == pytest.approx(4.302652729911275 * 0.1 / math.sqrt(3))
    wide = mean_ci([0.1, 0.9, 0.95])
    assert wide["ci_low"] < 0 and _bounded("auc_Cu", wide)["ci_low"] == 0.0
    assert _bounded("lift_Cu", mean_ci([-0.9, 0.9, -0.95]))["ci_low"] == -1.0


def test_the_study_runs_every_row_on_the_same_folds_and_reports_paired_differences(metal_ds):
    study = LiftStudy(SPEC, CONFIG, seeds=(0,), folds=3, rows=("model", "ligand-only", "additive", "metal-prior"))
    report = run_lift_study(metal_ds, study)
    assert report["folds_used"] == ["fold 1/3", "fold 2/3", "fold 3/3"]
    runs = report["runs"]
    assert {r["row"] for r in runs} == {"model", "ligand-only", "additive", "metal-prior"}
    assert all(r["lift_Cu"] == 0.0 for r in runs if r["row"] == "ligand-only" and not math.isnan(r["auc_Cu"]))
    assert report["summary"]["model"]["n"] == 3 and report["summary"]["metal-prior"]["n"] == 3
    model = {r["fold"]: r["auc"] for r in runs if r["row"] == "model"}
    additive = {r["fold"]: r["auc"] for r in runs if r["row"] == "additive"}
    diffs = [model[f] - additive[f] for f in model]
    assert report["paired"]["additive"]["auc"]["mean"] == pytest.approx(float(np.mean(diffs)))
