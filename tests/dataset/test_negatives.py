"""The CoLiM negative-sampling rules and the grouped split, on hand-made ligand pools."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from colim.dataset.builder import InputRecord, dataset_from_records
from colim.structures.families import carbon_count, ligand_family
from colim.dataset.negatives import allowed_pool, grouped_split, sample_class_negatives
from colim.structures.ligands import LigandSet, canonical_smiles

PET = "[S]CCc1ccccc1"  # thiolate, 8 C
POOL = [
    "[S]CCc1ccccc1",  # the positive itself
    "[S]Cc1ccccc1",  # thiolate, 7 C: same family, close -> never a negative
    "[S]CCCc1ccccc1",  # thiolate, 9 C: close
    "CCCCCC[S]",  # thiolate, 6 C: close (|Δ| = 2)
    "C[S]",  # thiolate, 1 C: far -> allowed
    "CCCCCCCCCCCC[S]",  # thiolate, 12 C: far -> allowed
    "c1ccc(P(c2ccccc2)c2ccccc2)cc1",  # phosphine, 18 C
    "[C]#Cc1ccccc1",  # alkynyl, 8 C: other family, same C count -> allowed
    "CC(=O)[O]",  # carboxylate
    "[Cl]",  # halide
]


def test_families_and_carbon_counts_of_real_ligands():
    assert [ligand_family(s) for s in POOL] == [
        "thiolate", "thiolate", "thiolate", "thiolate", "thiolate", "thiolate", "phosphine", "alkynyl", "carboxylate", "halide",
    ]
    assert ligand_family("c1ccncc1") == "amine" and ligand_family("CCN(CC)C(=S)[S]") == "dithiocarbamate"
    assert ligand_family("CCOP(=S)([S])OCC") == "dithiophosphate"
    assert ligand_family("[Se]c1ccccc1") == "selenolate" and ligand_family("SCCc1ccccc1") == "thiolate"
    assert [carbon_count(s) for s in POOL[:4]] == [8, 7, 9, 6]


def test_same_family_within_the_carbon_margin_is_dropped_from_the_pool():
    allowed = allowed_pool([PET], POOL, carbon_margin=2)
    assert allowed == ["C[S]", "CCCCCCCCCCCC[S]", "c1ccc(P(c2ccccc2)c2ccccc2)cc1", "[C]#Cc1ccccc1", "CC(=O)[O]", "[Cl]"]
    assert "CCCCCC[S]" in allowed_pool([PET], POOL, carbon_margin=1)


def test_type_i_negatives_never_hold_a_close_same_family_ligand():
    rng = np.random.default_rng(0)
    positive = LigandSet.of([PET], [18])
    result = sample_class_negatives([positive], "I", POOL, 6, 2, rng)
    assert result.shortfall == 0 and len(result.negatives) == 6  # all six allowed ligands, each once
    close = {"[S]CCc1ccccc1", "[S]Cc1ccccc1", "[S]CCCc1ccccc1", "CCCCCC[S]"}
    for _, neg in result.negatives:
        assert len(neg) == 1  # type I: as many kinds as the positive
        assert not close & set(neg.smiles)
        assert neg.ratios == (18.0,)  # ratios drawn from the positive's, no label leak


def test_type_ii_negatives_match_their_positive_s_number_of_kinds_and_avoid_all_positives():
    """The kind count alone must not tell negatives from positives (it gave AUC 0.71 under the paper's rule)."""
    rng = np.random.default_rng(1)
    positives = [LigandSet.of([PET]), LigandSet.of(["C[S]", "c1ccc(P(c2ccccc2)c2ccccc2)cc1"])]
    result = sample_class_negatives(positives, "II", POOL, 8, 2, rng)  # 4 allowed ligands: 4 singles, 6 pairs
    assert len(result.negatives) == 8 and result.shortfall == 0
    assert sorted(len(neg) for _, neg in result.negatives) == [1] * 4 + [2] * 4
    for which, neg in result.negatives:
        assert len(neg) == len(positives[which])
    allowed = {canonical_smiles(s) for s in allowed_pool([PET, "C[S]", "c1ccc(P(c2ccccc2)c2ccccc2)cc1"], POOL, 2)}
    assert all(set(neg.smiles) <= allowed for _, neg in result.negatives)


def test_the_paper_s_type_ii_rule_gives_another_number_of_kinds():
    rng = np.random.default_rng(1)
    positives = [LigandSet.of([PET]), LigandSet.of(["C[S]", "c1ccc(P(c2ccccc2)c2ccccc2)cc1"])]
    result = sample_class_negatives(positives, "II", POOL, 10, 2, rng, kinds="different")
    assert len(result.negatives) == 10
    allowed = {canonical_smiles(s) for s in allowed_pool([PET, "C[S]", "c1ccc(P(c2ccccc2)c2ccccc2)cc1"], POOL, 2)}
    assert allowed == {canonical_smiles(s) for s in ("CCCCCCCCCCCC[S]", "[C]#Cc1ccccc1", "CC(=O)[O]", "[Cl]")}
    for which, neg in result.negatives:
        assert len(neg) != len(positives[which])
        assert set(neg.smiles) <= allowed
    assert len({neg.key for _, neg in result.negatives}) == 10  # no repeats


def test_type_ii_with_a_too_small_pool_reports_the_shortfall():
    rng = np.random.default_rng(0)
    result = sample_class_negatives([LigandSet.of([PET]), LigandSet.of(["C[S]"])], "II", [PET, "C[S]", "[Cl]"], 2, 2, rng, kinds="different")
    assert result.negatives == [] and result.shortfall == 2
    assert result.reason == "pool of 1 allowed ligand(s) cannot make a set with a kind count other than 1"


def _core(shift: float, n: int = 4, symbol: str = "Au") -> Atoms:
    core = Atoms([symbol] * n, positions=[[2.8 * i + shift * i * i, 0.3 * i * i, 0.1 * i**3] for i in range(n)])
    core.info["id"] = f"{symbol}{n}-{shift}"
    return core


def test_dataset_from_records_balances_keeps_reported_negatives_and_splits_groups_apart():
    cores = [_core(0.0, n) for n in range(3, 13)]
    records = [InputRecord(c, LigandSet.of([PET], [c.get_global_number_of_atoms()])) for c in cores]
    records += [InputRecord(cores[0].copy(), LigandSet.of(["C[S]"]))]  # same geometry, 2nd shell -> type II
    reported_negative = InputRecord(cores[1], LigandSet.of(["CC(=O)[O]"]), label=0)
    duplicate = InputRecord(cores[2].copy(), LigandSet.of([PET]))
    ds = dataset_from_records(records + [reported_negative, duplicate], seed=3, ligand_pool=POOL)
    labels = [p.label for p in ds.pairs]
    assert labels.count(1) == 11 and labels.count(0) == 11  # 1:1, the reported negative counts
    assert [p.ligand_set.key for p in ds.pairs if p.origin == "reported_negative"] == [canonical_smiles("CC(=O)[O]")]
    types = {c.info["id"]: c.info["core_type"] for c in ds.cores}
    assert types["Au3-0.0"] == "II" and types["Au4-0.0"] == "I"
    sides = {}
    for p in ds.pairs:
        sides.setdefault(p.group, set()).add(p.split)
    assert all(len(s) == 1 for s in sides.values())
    assert {p.split for p in ds.pairs} == {"train", "val", "test"}
    assert ds.params["seed"] == 3 and ds.params["carbon_margin"] == 2


def test_grouped_split_is_seeded_and_near_the_fractions():
    groups = [f"g{i // 2}" for i in range(200)]
    a = grouped_split(groups, (0.8, 0.1, 0.1), seed=5)
    assert a == grouped_split(groups, (0.8, 0.1, 0.1), seed=5)
    assert a != grouped_split(groups, (0.8, 0.1, 0.1), seed=6)
    counts = {s: sum(1 for g in groups if a[g] == s) for s in ("train", "val", "test")}
    assert counts == {"train": 160, "val": 20, "test": 20}


def test_bad_split_fractions_are_refused():
    with pytest.raises(Exception) as err:
        dataset_from_records([InputRecord(_core(0.0), LigandSet.of([PET]))], split=(0.8, 0.3, 0.1))
    assert str(err.value) == "split fractions must be three non-negative numbers summing to 1, got 0.8,0.3,0.1"
