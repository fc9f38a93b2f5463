"""The MetaLig dataset source on real MetaLig rows (tests/data/metalig: 240 CSD complexes of Cu, Ag, Au, Pd)."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from rdkit import Chem
from sklearn.metrics import roc_auc_score

from colim import api
from colim.cli import cli
from colim.dataset.metal_labels import frequency_bin
from colim.dataset.metalig import build_metalig, is_metalig_folder, metal_core, observation_counts, observations, read_ligands
from colim.dataset.records import load_dataset
from colim.dataset.scaffolds import group_scaffolds, ligand_scaffold, set_scaffolds
from colim.errors import ColimError
from colim.structures.core import oxidation_state
from colim.structures.families import ligand_family
from colim.structures.ligand_graphs import LigandGraph, graph_smiles

DATA = Path(__file__).resolve().parents[1] / "data" / "metalig"
PPH3, CHLORIDE, THIOPHENOLATE, IPR = "unq_CSD-OZOHAN-01-a", "unq_CSD-OZOCUD-01-a", "unq_CSD-PADYOJ-01-a", "unq_CSD-PAGFIO-01-a"


def graph(ligand_id: str) -> LigandGraph:
    with gzip.open(DATA / "ligand_graphs.jsonl.gz", "rt") as fh:
        for line in fh:
            record = json.loads(line)
            if record["ligand_id"] == ligand_id:
                return LigandGraph.from_json(record)
    raise KeyError(ligand_id)


def complexes() -> list[dict[str, str]]:
    with gzip.open(DATA / "complexes.csv.gz", "rt", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def built():
    return build_metalig(DATA, metals="Cu,Ag,Au", seed=0)


def test_real_ligand_graphs_become_colim_smiles_and_families():
    assert graph_smiles(graph(PPH3)) == "c1ccc(P(c2ccccc2)c2ccccc2)cc1"
    assert graph_smiles(graph(CHLORIDE)) == "[Cl]"
    assert graph_smiles(graph(THIOPHENOLATE)) == "[S]c1ccccc1"
    assert [ligand_family(graph_smiles(graph(i))) for i in (PPH3, CHLORIDE, THIOPHENOLATE)] == ["phosphine", "halide", "thiolate"]


def test_an_nhc_graph_keeps_its_carbene_carbon_as_the_donor():
    """IPr: the imidazol-2-ylidene ring cannot be kekulized with a π bond on the carbene C; it carries two radicals."""
    g = graph(IPR)
    mol = Chem.MolFromSmiles(graph_smiles(g))
    carbenes = [a for a in mol.GetAtoms() if a.GetNumRadicalElectrons() == 2]
    assert len(carbenes) == 1 and carbenes[0].GetSymbol() == "C"
    assert sorted(n.GetSymbol() for n in carbenes[0].GetNeighbors()) == ["N", "N"]
    assert g.charge == 0 and len(g.donors) == 1


def test_graphs_convert_where_the_smiles_column_does_not_parse():
    with gzip.open(DATA / "ligands.csv.gz", "rt", newline="") as fh:
        rows = {r["ligand_id"]: r for r in csv.DictReader(fh)}
    ligands, failed = read_ligands(DATA)
    unparsable = [i for i, r in rows.items() if not r["smiles"] or Chem.MolFromSmiles(r["smiles"]) is None]
    assert unparsable and all(i in ligands for i in unparsable)
    assert len(ligands) + len(failed) == len(rows) and len(failed) <= 1
    parsed = [i for i in rows if i not in unparsable]
    agree = sum(Chem.MolToSmiles(Chem.MolFromSmiles(rows[i]["smiles"])) == ligands[i].smiles for i in parsed)
    assert agree / len(parsed) > 0.98


def test_an_anionic_ligand_carries_its_charge_as_donor_radicals():
    ligands, _ = read_ligands(DATA)
    for lig in ligands.values():
        mol = Chem.MolFromSmiles(lig.smiles)
        radicals = sum(a.GetNumRadicalElectrons() for a in mol.GetAtoms())
        if lig.charge < 0 and all(a.GetFormalCharge() == 0 for a in mol.GetAtoms()):
            assert radicals >= -lig.charge, lig


def test_cores_are_metal_atoms_with_their_oxidation_state(built):
    ds, _ = built
    assert all(len(c) == 1 for c in ds.cores)
    assert {c.get_chemical_symbols()[0] for c in ds.cores} == {"Cu", "Ag", "Au"}  # Pd left out by --metals
    by_id = {c.info["id"]: c for c in ds.cores}
    assert oxidation_state(by_id["Cu(+1)"]) == 1.0 and oxidation_state(by_id["Au(+3)"]) == 3.0
    unknown = [c for c in ds.cores if c.info["id"].endswith("(?)")]
    assert unknown and all(oxidation_state(c) is None for c in unknown)
    assert oxidation_state(metal_core("Ag", None)) is None


def test_positives_are_what_the_complexes_hold(built):
    ds, _ = built
    held = defaultdict(set)  # (metal, ligand smiles) seen in some complex
    ligands, _ = read_ligands(DATA)
    for row in complexes():
        for i in row["ligand_ids"].split():
            if i in ligands:
                held[row["metal"]].add(ligands[i].smiles)
    for p in ds.pairs:
        metal = ds.cores[p.core_index].get_chemical_symbols()[0]
        if p.label == 1:
            assert set(p.ligand_set.smiles) <= held[metal]
        else:  # a negative: at least one ligand this metal never carried, and every ligand carried by another metal
            assert not set(p.ligand_set.smiles) <= held[metal]
            assert any(set(p.ligand_set.smiles) <= held[m] for m in ("Cu", "Ag", "Au") if m != metal)


def test_labels_are_balanced_per_core_kind_count_and_frequency_bin(built):
    ds, _ = built
    bins = Counter()
    for p in ds.pairs:
        bins[(p.core_index, p.split, len(p.ligand_set), p.label)] += 1
    for (core, split, kinds, label), n in bins.items():
        assert bins[(core, split, kinds, 1 - label)] == n
    labels = np.array([p.label for p in ds.pairs])
    assert labels.sum() * 2 == len(labels) and len(labels) > 100
    kinds = np.array([len(p.ligand_set) for p in ds.pairs])
    assert roc_auc_score(labels, kinds) == pytest.approx(0.5)


def test_a_ligand_frequency_only_score_is_near_chance(built):
    """Each negative is drawn from its positive's frequency bin (complexes holding the set, log2 / 0.5)."""
    ds, _ = built
    ligands, _ = read_ligands(DATA)
    rows = [r for r in complexes() if r["metal"] in ("Cu", "Ag", "Au")]
    frequency = observation_counts(observations(rows, ligands))[0]
    labels = np.array([p.label for p in ds.pairs])
    score = np.array([frequency[p.ligand_set.key] for p in ds.pairs])
    by_bin = Counter((frequency_bin(frequency[p.ligand_set.key]), p.label) for p in ds.pairs)
    assert all(by_bin[(b, 0)] == by_bin[(b, 1)] for b, _ in by_bin)
    assert abs(roc_auc_score(labels, score) - 0.5) < 0.1


def test_no_ligand_scaffold_is_on_two_sides_of_the_split(built):
    ds, _ = built
    sides = defaultdict(set)
    for p in ds.pairs:
        assert group_scaffolds(p.group) == set(set_scaffolds(p.ligand_set))
        for s in group_scaffolds(p.group):
            sides[s].add(p.split)
    assert all(len(v) == 1 for v in sides.values())
    assert {p.split for p in ds.pairs} == {"train", "val", "test"}


def test_scaffolds_of_real_ligands():
    assert ligand_scaffold("c1ccc(P(c2ccccc2)c2ccccc2)cc1") == ligand_scaffold("Cc1ccc(P(c2ccccc2)c2ccccc2)cc1")
    assert ligand_scaffold("[Cl]") == "acyclic:[Cl]" != ligand_scaffold("[Br]")


def test_cli_builds_a_metalig_folder_and_the_api_gives_the_same_dataset(tmp_path, built):
    out = tmp_path / "metalig.h5"
    result = CliRunner().invoke(cli, ["dataset", "build", str(DATA), "--metals", "Cu,Ag,Au", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "charge-balanced complex(es) gave whole ligand sets" in result.output
    assert load_dataset(out).content_hash() == built[0].content_hash()
    assert api.build_dataset(DATA, metals=["Cu", "Ag", "Au"]).content_hash() == built[0].content_hash()
    assert is_metalig_folder(DATA) and not is_metalig_folder(DATA.parent / "structures")


def test_metalig_user_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["dataset", "build", str(DATA), "--metals", "Cu,Xx", "-o", str(tmp_path / "a.h5")])
    assert result.exit_code == 1 and result.output.strip() == "Error: --metals needs element symbols such as Cu,Ag,Au, got 'Xx'"
    result = runner.invoke(cli, ["dataset", "build", str(DATA), "--metals", "Zn", "-o", str(tmp_path / "a.h5")])
    assert result.exit_code == 1 and result.output.strip() == f"Error: {DATA}: no complex of Zn"
    structures = DATA.parent / "structures" / "au_sch3_dft"
    result = runner.invoke(cli, ["dataset", "build", str(structures), "--metals", "Cu", "-o", str(tmp_path / "a.h5")])
    assert result.exit_code == 1 and "--metals applies to a MetaLig folder only" in result.output
    result = runner.invoke(cli, ["dataset", "build", str(DATA), str(structures), "-o", str(tmp_path / "a.h5")])
    assert result.exit_code == 1 and result.output.strip() == f"Error: {DATA} is a MetaLig folder: build it on its own, not with other inputs"
    assert not (tmp_path / "a.h5").exists()
    with pytest.raises(ColimError):
        build_metalig(DATA.parent, metals="Cu")
