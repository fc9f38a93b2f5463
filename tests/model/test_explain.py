"""Explanations of a scored pair on real cores and ligands: integrated gradients that add up
(completeness), attributions that follow the atoms, and valid extXYZ/JSON/PNG outputs from the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from ase.io import read as ase_read
from click.testing import CliRunner

from colim.cli import cli
from colim.errors import PluginError
from colim.io.structure_readers import read_structure
from colim.model.checkpoint import save_checkpoint
from colim.model.dual_encoder import CoLiMModel
from colim.model.explain import atom_embedding_layer, explain_pair
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.structures.core import is_metal, make_core, read_core
from colim.structures.ligands import LigandSet

from tests.conftest import STRUCTURES

PET = "[S]CCc1ccccc1"
PPH3 = "c1ccc(P(c2ccccc2)c2ccccc2)cc1"
HCOO = "O=C[O]"
CU19 = f"{PET}.{PPH3}.{HCOO} 12:3:6"
AU25S18 = STRUCTURES / "au_thiolate_cifs" / "25_18.cif"
#: midpoint-rule integration error allowed on f(x) - f(baseline), in logit units.
TOLERANCE = 2e-3


@pytest.fixture(scope="module")
def model() -> CoLiMModel:
    torch.manual_seed(7)
    return CoLiMModel(create_core_encoder("cgcnn"), create_ligand_encoder("fingerprint")).eval()


@pytest.fixture(scope="module")
def au25():
    """The 25 Au atoms of the DFT-optimised Au25(SCH3)18 cluster."""
    atoms = read_structure(STRUCTURES / "au_sch3_dft" / "au25_opt.xyz")
    return make_core(atoms[[i for i, s in enumerate(atoms.get_chemical_symbols()) if is_metal(s)]], "au25")


@pytest.mark.parametrize("baseline", ["zero", "mean"])
def test_atom_attributions_add_up_to_the_score_difference(model, baseline):
    core = read_core(AU25S18)
    result = explain_pair(model, core, LigandSet.parse(CU19), baseline=baseline, steps=32)
    assert result.atom_attributions.shape == (len(core),) == (43,)
    delta = result.logit - result.baseline_logit
    assert abs(delta) > 1e-3
    assert result.completeness_error < TOLERANCE * max(1.0, abs(delta))
    assert result.ligand_ig.shape == (3,)
    assert result.ligand_completeness_error < TOLERANCE
    with torch.no_grad():  # the explained logit is the model's own score
        graph = model.core_encoder.collate([model.core_encoder.featurize(core)])
        assert result.logit == pytest.approx(float(model(graph, [LigandSet.parse(CU19)])[0]), abs=1e-5)


def test_a_mean_baseline_on_a_pure_gold_core_attributes_nothing(model, au25):
    result = explain_pair(model, au25, LigandSet.parse(PET), baseline="mean", steps=8)
    assert result.baseline_logit == pytest.approx(result.logit, abs=1e-6)
    assert np.abs(result.atom_attributions).max() < 1e-6


def test_attributions_follow_the_atoms_when_they_are_reordered(model):
    core = read_core(AU25S18)
    order = np.random.default_rng(0).permutation(len(core))
    shuffled = core[order]
    ligands = LigandSet.parse(f"{PET}.{PPH3}")
    a = explain_pair(model, core, ligands, steps=16)
    b = explain_pair(model, shuffled, ligands, steps=16)
    np.testing.assert_allclose(b.atom_attributions, a.atom_attributions[order], atol=1e-5)


def test_ligand_leave_one_out_matches_rescoring_without_that_ligand(model, au25):
    ligands = LigandSet.parse(CU19)
    result = explain_pair(model, au25, ligands, steps=8)
    graph = model.core_encoder.collate([model.core_encoder.featurize(au25)])
    with torch.no_grad():
        without_pph3 = float(model(graph, [LigandSet.parse(f"{PET}.{HCOO} 12:6")])[0])
    assert result.ligand_loo[ligands.smiles.index(PPH3)] == pytest.approx(result.logit - without_pph3, abs=1e-5)
    single = explain_pair(model, au25, LigandSet.parse(PET), steps=8)
    assert np.isnan(single.ligand_loo).all()
    assert single.to_json()["ligands"][0]["leave_one_out"] is None


def test_an_encoder_without_atom_embeddings_cannot_be_explained():
    layer = torch.nn.Sequential(torch.nn.Linear(3, 3))
    with pytest.raises(PluginError) as info:
        atom_embedding_layer(layer)
    assert str(info.value) == "cannot explain core encoder 'Sequential': it has no atom embedding layer to attribute to"


def test_cli_writes_extxyz_json_and_png(model, tmp_path):
    checkpoint = tmp_path / "model.pt"
    save_checkpoint(model, checkpoint, metadata={"note": "untrained test model"})
    out = tmp_path / "explained"
    args = ["explain", "--model", str(checkpoint), "--core", str(AU25S18), "--ligands", CU19, "-o", str(out), "--steps", "16"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "completeness error" in result.output

    atoms = ase_read(out / "attribution.xyz", format="extxyz")
    assert atoms.get_chemical_formula() == "Au25S18"
    attribution = atoms.arrays["attribution"]
    assert attribution.shape == (len(atoms),)
    body = json.loads((out / "explanation.json").read_text())
    assert body["core_attribution"]["sum"] == pytest.approx(attribution.sum(), abs=1e-6)
    assert body["core_attribution"]["completeness_error"] < TOLERANCE
    assert {lig["smiles"]: lig["ratio"] for lig in body["ligands"]} == {"[S]CCc1ccccc1": 12.0, PPH3: 3.0, "[O]C=O": 6.0}
    assert body["model"]["core_encoder"] == "cgcnn" and body["model"]["ligand_encoder"] == "fingerprint"
    assert atoms.info["probability"] == pytest.approx(body["probability"])

    import matplotlib.image

    png = out / "explanation.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.image.imread(png).shape[2] in (3, 4)

    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1
    assert again.output == f"Error: {out / 'attribution.xyz'} exists; pass --overwrite to replace it\n"
    assert CliRunner().invoke(cli, args + ["--overwrite"]).exit_code == 0


def test_a_large_completeness_error_is_warned_and_a_small_one_is_not(model):
    import dataclasses

    core = read_core(AU25S18)
    result = explain_pair(model, core, LigandSet.parse(CU19), steps=32)
    assert result.warnings() == []  # midpoint error within 2e-3 of the score difference
    broken = dataclasses.replace(result, atom_attributions=result.atom_attributions + 5.0 / len(core))
    [line] = broken.warnings()
    assert line.startswith("the atom attributions miss their sum by 5 (logit - baseline logit ")
    assert broken.to_json()["warnings"] == [line]
