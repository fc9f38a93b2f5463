"""Cross-matching over the known clusters (tests/data/reference/known_clusters.csv) on transmuted real cores."""

from __future__ import annotations

import numpy as np
import pytest

from colim.dataset.records import load_dataset
from colim.evaluation import metal_baselines as mb
from colim.evaluation.ablations import fit_ablated
from colim.evaluation.core_lift import core_metal
from colim.evaluation.cross_matching import ClusterListError, anchor_convention, cross_matching, items_from_csv, items_from_dataset
from colim.evaluation.folds import make_folds
from colim.structures.core import read_core
from tests.conftest import DATA, STRUCTURES
from tests.evaluation.test_core_lift import CONFIG, SPEC
from tests.evaluation.metal_data import metal_dataset

KNOWN = DATA / "reference" / "known_clusters.csv"


@pytest.fixture(scope="module")
def items():
    return items_from_csv(KNOWN)[0]


@pytest.fixture(scope="module")
def au25():
    core = read_core(STRUCTURES / "au_sch3_dft" / "au25_opt.xyz")
    return core[[a.index for a in core if a.symbol == "Au"]]


def test_known_clusters_of_one_coinage_metal_become_items_in_the_anchor_convention(items):
    found, skipped = items_from_csv(KNOWN)
    assert {i.metal for i in found} == {"Cu", "Ag", "Au"}
    assert any("AuCu" in line and "not one coinage metal" in line for line in skipped)
    assert any("has no SMILES" in line for line in skipped)
    adm = next(i for i in found if i.name.startswith("[Ag52"))
    assert adm.ligand_set.smiles == ("[Br]", "[H]", "[S]C12CC3CC(CC(C3)C1)C2")
    assert anchor_convention("C#Cc1ccccc1") == "[C]#Cc1ccccc1"
    assert anchor_convention("CC(=O)[O-]") == "CC([O])=O"
    assert anchor_convention("[O-][N+](=O)[O-]") == anchor_convention("O=[N+]([O-])[O-]")  # nitrate stays charge-separated


def test_a_ligand_only_model_cross_matches_at_exactly_one_half(items, au25):
    ds = metal_dataset()
    fold = make_folds(ds, "scaffold", 3, 0)[0].dataset
    ligand_only = mb.model_scorer(fit_ablated(fold, SPEC, CONFIG, "core", 0).model)
    result = cross_matching(ligand_only, items, [au25])
    assert result["panel_cores"] == 3 and len(result["items"]) == len(items)
    assert all(r["auc"] == 0.5 for r in result["items"])
    assert result["auc"] == 0.5 and result["auc_items"] == 0.5
    assert (result["ci_low"], result["ci_high"]) == (0.5, 0.5)


def test_a_metal_offset_alone_cross_matches_at_one_half_over_the_metals(items, au25):
    """An additive model (ligand score + metal offset) ranks the metals alike for every set: 1, 0.5, 0."""
    offset = {"Cu": 0.3, "Ag": 0.2, "Au": 0.1}
    rng = np.random.default_rng(0)
    ligand = {i.ligand_set.key: rng.uniform(-0.05, 0.05) for i in items}

    def additive(cores, pairs):
        return np.array([0.5 + ligand[p.ligand_set.key] + offset[core_metal(cores[p.core_index])] for p in pairs])

    result = cross_matching(additive, items, [au25])
    assert (result["auc_Cu"], result["auc_Ag"], result["auc_Au"]) == (1.0, 0.5, 0.0)
    assert result["auc"] == 0.5 and (result["ci_low"], result["ci_high"]) == (0.5, 0.5)  # every resample: 1, 0.5, 0
    assert result["auc_items"] != 0.5  # the plain item mean follows the metals' item counts


def test_a_model_that_prefers_each_sets_own_metal_cross_matches_at_one(items, au25):
    own = {i.ligand_set.key: i.metal for i in items}
    result = cross_matching(lambda cores, pairs: np.array([float(core_metal(cores[p.core_index]) == own[p.ligand_set.key]) for p in pairs]),
                            items, [au25])
    assert result["auc"] == 1.0


def test_a_cluster_dataset_gives_its_positive_sets_on_single_metal_cores():
    ds = load_dataset(DATA.parents[1] / "libraries" / "dataset" / "shared_structures.h5")
    found = items_from_dataset(ds, "shared")
    assert found and {i.metal for i in found} == {"Au"}  # the shipped clusters: Au thiolates (doped cores left out)
    positives = {(p.ligand_set.key) for p in ds.pairs if p.label == 1 and core_metal(ds.cores[p.core_index]) == "Au"}
    assert {i.ligand_set.key for i in found} == positives


def test_a_csv_without_the_columns_is_a_user_error(tmp_path):
    bad = tmp_path / "k.csv"
    bad.write_text("name,smiles\nx,C[S]\n")
    with pytest.raises(ClusterListError, match=r"k.csv: a known-clusters CSV needs the columns formula, ligand_smiles, metal_family"):
        items_from_csv(bad)
