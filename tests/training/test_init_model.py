"""Pair pretraining then fine-tuning: colim train --init-model (and api.train(init_model=...))."""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from colim import api
from colim.cli import cli
from colim.dataset.metalig import build_metalig
from colim.dataset.records import save_dataset
from colim.model.checkpoint import load_checkpoint
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
