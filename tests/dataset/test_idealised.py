"""Known clusters (tests/data/reference/known_clusters.csv) as composition-level positives on idealised cores."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

from colim.cli import cli
from colim.dataset.builder import read_ligand_pool
from colim.dataset.idealised import (IDEALISED, IdealisedClusterError, add_idealised_clusters, idealised_core, parse_composition,
                                     read_known_clusters)
from colim.dataset.records import load_dataset
from colim.structures.families import ligand_family
from tests.conftest import DATA, STRUCTURES

KNOWN = DATA / "reference" / "known_clusters.csv"
ROOT = DATA.parents[1]
SHIPPED = ROOT / "libraries" / "dataset" / "shared_structures.h5"
POOL = ROOT / "libraries" / "ligands" / "ligands.csv"


@pytest.fixture(scope="module")
def added():
    base = load_dataset(SHIPPED)
    return base, add_idealised_clusters(base, KNOWN, seed=0, ligand_pool=read_ligand_pool(POOL))


def test_compositions_parse_only_whole_metal_formulas():
    assert parse_composition("Au12Cu32") == (("Au", 12), ("Cu", 32))
    assert parse_composition("Ag52") == (("Ag", 52),)
    assert parse_composition("Au38-xAgx") is None and parse_composition("Cu28H16") is None and parse_composition("") is None


def test_the_real_file_gives_37_rows_and_says_why_the_other_15_are_left_out():
    clusters, skipped = read_known_clusters(KNOWN)
    with open(KNOWN, newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 52 == len(clusters) + len(skipped)
    assert len(clusters) == 37
    assert sum("a ligand has no SMILES" in s for s in skipped) == 11
    assert sum("at most 4 ligand kinds, got 5" in s for s in skipped) == 3
    assert any(s.startswith("Au34.04Ag3.96") and "is not metals with integer counts" in s for s in skipped)
    adm = next(c for c in clusters if c.formula == "[Ag52(S-Adm)30Br4H20]2-")
    assert adm.composition == (("Ag", 52),) and adm.ligand_set.key == "[Br].[H].[S]C12CC3CC(CC(C3)C1)C2"  # anchor convention


@pytest.mark.parametrize("composition", [(("Cu", 6),), (("Ag", 29),), (("Au", 13),), (("Au", 12), ("Cu", 32)), (("Ag", 55), ("Cu", 8))])
def test_an_idealised_core_has_the_composition_and_a_sane_geometry(composition):
    core = idealised_core(composition)
    assert Counter(core.get_chemical_symbols()) == dict(composition)
    assert core.info[IDEALISED] is True
    d = np.linalg.norm(core.positions[:, None] - core.positions[None], axis=-1)[np.triu_indices(len(core), 1)]
    assert 2.4 < d.min() < 3.0  # metal–metal contact, no overlap
    radii = np.linalg.norm(core.positions, axis=1)  # the icosahedron's centre is the origin
    first = composition[0][0]
    inner = [r for r, s in zip(radii, core.get_chemical_symbols()) if s == first]
    assert len(composition) == 1 or max(inner) <= min(r for r, s in zip(radii, core.get_chemical_symbols()) if s != first) + 1e-6


def test_adding_them_keeps_every_pair_of_the_dataset_and_adds_balanced_training_pairs(added):
    base, data = added
    assert data.pairs[: len(base.pairs)] == base.pairs and data.cores[: len(base.cores)] == base.cores
    new = data.pairs[len(base.pairs):]
    assert {p.split for p in new} == {"train"}
    assert sum(p.label for p in new) == 37 and len(new) == 74
    assert all(data.cores[p.core_index].info[IDEALISED] is True for p in new)
    assert not any(c.info.get(IDEALISED) for c in base.cores)
    assert Counter(len(p.ligand_set.smiles) for p in new if p.label) == Counter(len(p.ligand_set.smiles) for p in new if not p.label)
    by_core: dict[int, set[str]] = {}
    for p in new:
        if p.label:
            by_core.setdefault(p.core_index, set()).update((ligand_family(s), s) for s in p.ligand_set.smiles)
    for p in new:  # a negative never repeats a positive of its core
        if not p.label:
            assert p.ligand_set.key not in {q.ligand_set.key for q in new if q.label and q.core_index == p.core_index}
    cu28 = [data.cores[p.core_index] for p in new if p.label and data.cores[p.core_index].get_chemical_formula() == "Cu28"]
    assert len({id(c) for c in cu28}) == 1 and cu28[0].info["core_type"] == "II"  # one composition, several shells
    assert data.params["idealised_clusters"] == str(KNOWN) and str(KNOWN) in data.input_hashes


def test_cli_builds_with_idealised_clusters_and_refuses_them_on_metalig(tmp_path):
    runner = CliRunner()
    out = tmp_path / "d.h5"
    args = ["dataset", "build", str(STRUCTURES / "au_sch3_dft"), "--anchor-placeholder", "-o", str(out), "--idealised-clusters", str(KNOWN)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"30 idealised core(s), 37 positive(s) and 37 negative(s) from 37 row(s) of {KNOWN}, all in train" in result.output
    assert "idealised clusters: left out Ag70(SR)42(PPh3)5 (line 5): a ligand has no SMILES" in result.output
    ds = load_dataset(out)
    assert sum(bool(c.info.get(IDEALISED)) for c in ds.cores) == 30
    stats = runner.invoke(cli, ["dataset", "stats", str(out)])
    assert "idealised cores (composition only)     30" in stats.output and "idealised pairs (train only)           74" in stats.output
    plain = tmp_path / "plain.h5"
    assert runner.invoke(cli, ["dataset", "build", str(STRUCTURES / "au_sch3_dft"), "--anchor-placeholder", "-o", str(plain), "--silent"]).exit_code == 0
    assert ds.pairs[: len(load_dataset(plain).pairs)] == load_dataset(plain).pairs
    metalig = runner.invoke(cli, ["dataset", "build", str(DATA / "metalig"), "-o", str(tmp_path / "m.h5"),
                                  "--idealised-clusters", str(KNOWN)])
    assert metalig.exit_code == 1
    assert metalig.output.strip() == "Error: --idealised-clusters applies to a cluster dataset (structure files), not to a MetaLig folder"


def test_a_file_without_the_columns_is_one_error(tmp_path):
    bad = tmp_path / "k.csv"
    bad.write_text("formula,ligand_smiles\nAu25(SR)18,SC\n")
    with pytest.raises(IdealisedClusterError, match="needs the columns formula, metal_core, ligand_smiles"):
        read_known_clusters(bad)
    result = CliRunner().invoke(cli, ["dataset", "build", str(STRUCTURES / "au_sch3_dft"), "--anchor-placeholder", "-o", str(tmp_path / "d.h5"),
                                      "--idealised-clusters", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {bad}: a known-clusters CSV needs the columns formula, metal_core, ligand_smiles"
    assert not (tmp_path / "d.h5").exists()
