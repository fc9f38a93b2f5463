"""``colim core-lift`` and ``colim cross-match`` from the command line: outputs and one-line errors."""

from __future__ import annotations

import json

import pytest
from ase.cluster import Icosahedron
from ase.io import write
from click.testing import CliRunner

from colim.cli import cli
from colim.dataset.records import save_dataset
from tests.conftest import DATA
from tests.evaluation.metal_data import metal_dataset

KNOWN = str(DATA / "reference" / "known_clusters.csv")
TINY = ["--core-args", '{"embedding_dim": 16, "num_layers": 1}', "--ligand-args", '{"embedding_dim": 16, "n_bits": 256}',
        "--hidden-dims", "32", "--epochs", "2", "--patience", "1"]


@pytest.fixture(scope="module")
def metal_h5(tmp_path_factory):
    path = tmp_path_factory.mktemp("lift") / "metal.h5"
    save_dataset(metal_dataset(), path)
    return str(path)


def test_core_lift_prints_the_table_and_writes_every_run(metal_h5, tmp_path):
    out = tmp_path / "lift"
    result = CliRunner().invoke(cli, ["core-lift", "--dataset", metal_h5, "--clusters", KNOWN, "--rows", "model,ligand-only,additive,metal-prior",
                                      "--folds", "3", "--seeds", "0", *TINY, "-o", str(out), "--silent"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "78 pairs; cross-matching: 31 known cluster(s)"
    assert lines[1].startswith("scaffold 3-fold CV, 3 fold(s) used, seeds 0")
    block = lines[lines.index("Ligand only (n = 3)"):]
    assert "lift 0.000 ± 0.000 [0.000, 0.000]" in block[1]
    assert block[5].strip() == "cross-matching AUC 0.500 ± 0.000 [0.500, 0.500]  (Cu 0.500 ± 0.000, Ag 0.500 ± 0.000, Au 0.500 ± 0.000)"
    assert any(line.startswith("Model − Additive (ligand + metal) (paired, same fold and seed)") for line in lines)
    report = json.loads((out / "core_lift.json").read_text())
    assert report["scheme"] == "scaffold" and report["seeds"] == [0] and len(report["runs"]) == 3 * 4
    assert report["cross_matching"]["items_per_metal"] == {"Cu": 15, "Ag": 11, "Au": 5}
    assert {r["row"] for r in report["runs"]} == {"model", "ligand-only", "additive", "metal-prior"}
    assert all(r["lift_Au"] in (0.0, None) for r in report["runs"] if r["row"] in ("ligand-only", "metal-prior"))
    assert set(report["paired"]) == {"additive", "ligand-only"}
    again = CliRunner().invoke(cli, ["core-lift", "--dataset", metal_h5, "--rows", "metal-prior", "--folds", "3", "-o", str(out)])
    assert again.exit_code == 1 and again.output.strip() == f"Error: {out / 'core_lift.json'} exists; pass --overwrite to replace it"


def test_cross_match_with_the_shipped_model_prints_per_metal_and_writes_json(tmp_path):
    out = tmp_path / "cm.json"
    result = CliRunner().invoke(cli, ["cross-match", "--clusters", KNOWN, "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "31 known cluster(s) on 1 template core(s) x 3 metals; 21 row(s) left out"
    assert lines[1].startswith("cross-matching AUC ") and "95% bootstrap interval over sets" in lines[1] and "(15 sets)" in lines[1]
    report = json.loads(out.read_text())  # strict JSON: no NaN
    assert len(report["items"]) == 31 and report["panel_cores"] == 3
    assert 0.0 <= report["ci_low"] <= report["auc"] <= report["ci_high"] <= 1.0


def test_a_panel_core_that_is_an_alloy_is_refused_in_one_line(tmp_path):
    alloy = Icosahedron("Au", 2)
    alloy.symbols[0] = "Pd"
    path = tmp_path / "aupd13.xyz"
    write(path, alloy)
    result = CliRunner().invoke(cli, ["cross-match", "--clusters", KNOWN, "--panel", str(path)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: panel core aupd13 does not hold exactly one coinage metal (Cu, Ag or Au) and no other metal"


def test_a_clusters_csv_without_its_columns_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "k.csv"
    bad.write_text("name,smiles\nx,C[S]\n")
    result = CliRunner().invoke(cli, ["cross-match", "--clusters", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {bad}: a known-clusters CSV needs the columns formula, ligand_smiles, metal_family"


def test_an_unknown_row_lists_the_rows(metal_h5, tmp_path):
    result = CliRunner().invoke(cli, ["core-lift", "--dataset", metal_h5, "--rows", "modle", "-o", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unknown core-lift row 'modle'; choose from: model, ligand-only, additive, metal-prior, xgboost-metal"
    assert not (tmp_path / "x" / "core_lift.json").exists()
