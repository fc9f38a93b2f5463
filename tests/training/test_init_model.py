"""Pair pretraining then fine-tuning: colim train --init-model (and api.train(init_model=...))."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from ase.cluster import Icosahedron
from click.testing import CliRunner

from colim import api
from colim.cli import cli
from colim.dataset.metalig import build_metalig
from colim.dataset.records import save_dataset
from colim.model.checkpoint import load_checkpoint
from colim.model.domain import DomainReference, inherit_core_kinds
from tests.conftest import DATA

PAIR = ["--core-encoder", "cgcnn", "--ligand-encoder", "fingerprint", "--hidden-dims", "16", "--batch-size", "32"]


@pytest.fixture(scope="module")
def pair_model(tmp_path_factory):
    """A pair model trained two epochs on the MetaLig test subset, cores with their oxidation states."""
    folder = tmp_path_factory.mktemp("pair")
    ds, _ = build_metalig(DATA / "metalig", metals="Cu,Ag,Au")
    save_dataset(ds, folder / "metalig.h5")
    result = CliRunner().invoke(cli, ["train", "--dataset", str(folder / "metalig.h5"), *PAIR, "--epochs", "2",
                                      "--core-args", '{"embedding_dim": 16, "num_layers": 1, "oxidation_state": true}',
                                      "--ligand-args", '{"embedding_dim": 16, "n_bits": 256}', "-o", str(folder / "pair.pt"), "--silent"])
    assert result.exit_code == 0, result.output
    return folder / "pair.pt"


def test_fine_tuning_starts_from_the_pair_model_and_records_it(pair_model, tiny_ds_path, tmp_path):
    out = tmp_path / "ft.pt"
    result = CliRunner().invoke(cli, ["train", "--dataset", tiny_ds_path, *PAIR, "--init-model", str(pair_model), "--epochs", "1",
                                      "--lr", "0", "-o", str(out), "--silent"])
    assert result.exit_code == 0, result.output
    pair, _ = load_checkpoint(pair_model)
    tuned, info = load_checkpoint(out)
    assert info["metadata"]["init_model"]["path"] == str(pair_model)
    assert info["metadata"]["init_model"]["metadata"]["kind"] == "colim-train"
    assert tuned.core_encoder.init_args()["oxidation_state"] is True
    for name, value in pair.state_dict().items():  # lr 0: every trained weight is the pair model's
        if "running" not in name and "num_batches" not in name:
            assert torch.equal(value, tuned.state_dict()[name]), name


def test_the_api_fine_tunes_from_the_pair_model_too(pair_model, tiny_ds, tmp_path):
    trained = api.train(tiny_ds, tmp_path / "api.pt", core_encoder="cgcnn", ligand_encoder="fingerprint", init_model=pair_model,
                        epochs=2, hidden_dims=(16,), batch_size=8)
    _, info = load_checkpoint(trained.members[0].path)
    assert info["metadata"]["init_model"]["path"] == str(pair_model) and info["metadata"]["epochs_run"] == 2


def test_init_model_errors_are_one_line(pair_model, tiny_ds_path, tmp_path):
    runner = CliRunner()
    out = str(tmp_path / "x.pt")
    result = runner.invoke(cli, ["train", "--dataset", tiny_ds_path, "--ligand-encoder", "molgnn", "--hidden-dims", "16",
                                 "--init-model", str(pair_model), "-o", out, "--overwrite"])
    assert result.exit_code == 1 and result.output.strip() == (
        f"Error: --init-model {pair_model} holds core encoder 'cgcnn' and ligand encoder 'fingerprint'; "
        "pass --core-encoder cgcnn --ligand-encoder fingerprint")
    result = runner.invoke(cli, ["train", "--dataset", tiny_ds_path, "--init-model", str(pair_model), "-o", out, "--overwrite"])
    assert result.exit_code == 1 and result.output.strip() == f"Error: --init-model {pair_model} has head layers 16; pass --hidden-dims 16"
    result = runner.invoke(cli, ["train", "--dataset", tiny_ds_path, *PAIR, "--init-model", str(pair_model),
                                 "--core-args", '{"embedding_dim": 8}', "-o", out, "--overwrite"])
    assert result.exit_code == 1 and result.output.strip() == (
        "Error: --init-model fixes both encoders: it cannot be combined with --pretrained-core, --core-args or --ligand-args")


def test_fine_tuning_inherits_the_elements_the_pair_model_saw_in_complexes(pair_model, tiny_ds_path, tmp_path):
    """The Au clusters never hold Cu or Ag; the MetaLig pair model saw both in complexes: the fine-tuned
    model's domain says "complexes only" for a Cu55 icosahedron (not "never"), "clusters" for Au."""
    out = tmp_path / "ft.pt"
    result = CliRunner().invoke(cli, ["train", "--dataset", tiny_ds_path, *PAIR, "--init-model", str(pair_model), "--epochs", "1",
                                      "-o", str(out), "--silent"])
    assert result.exit_code == 0, result.output
    pair = DomainReference.from_payload(load_checkpoint(pair_model)[1]["domain"])
    tuned = DomainReference.from_payload(load_checkpoint(out)[1]["domain"])
    assert set(pair.complex_elements) == {"Ag", "Au", "Cu"} and pair.cluster_elements == ()
    assert "Au" in tuned.cluster_elements and not {"Ag", "Cu"} & set(tuned.cluster_elements)
    assert tuned.complex_only == {"Ag", "Cu"}
    assert tuned.core_seen_in(Icosahedron("Cu", 3).get_chemical_symbols()) == "complexes only"
    assert tuned.core_seen_in(["Au"]) == "clusters" and tuned.core_seen_in(["Pt"]) == "never"
    assert len(tuned.core_embeddings) == 6  # the fine-tuning data's own training cores, not the pair model's


def test_a_starting_model_without_core_kinds_adds_nothing():
    """References saved before colim recorded cluster/complex elements say nothing about where they were seen."""
    fresh = DomainReference(("Au",), ("thiolate",), np.zeros((1, 2), np.float32), np.zeros((1, 2), np.float32), 1.0, 1.0,
                            cluster_elements=("Au",), complex_elements=())
    legacy = {k: v for k, v in dataclasses.replace(fresh, elements=("Cu",)).to_payload().items()
              if k not in ("cluster_elements", "complex_elements")}
    assert inherit_core_kinds(fresh, legacy) is fresh and inherit_core_kinds(fresh, None) is fresh
