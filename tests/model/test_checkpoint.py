"""Checkpoints round-trip without pickled code and refuse mismatched encoders and formats."""

from __future__ import annotations

import pytest
import torch

from colim.model.checkpoint import (
    FORMAT_VERSION,
    load_checkpoint,
    load_encoder_checkpoint,
    read_checkpoint,
    resolve_checkpoints,
    save_checkpoint,
    save_encoder_checkpoint,
    write_ensemble_manifest,
)
from colim.errors import CheckpointError, OutputExistsError
from colim.model.dual_encoder import CoLiMModel
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.structures.ligands import LigandSet
from tests.training.conftest import TINY_ENCODERS


def _model(seed: int = 0) -> CoLiMModel:
    torch.manual_seed(seed)
    (core, core_args), (lig, lig_args) = TINY_ENCODERS["core"], TINY_ENCODERS["ligand"]
    return CoLiMModel(create_core_encoder(core, **core_args), create_ligand_encoder(lig, **lig_args), hidden_dims=(8,)).eval()


def _logits(model, cores, sets):
    enc = model.core_encoder
    with torch.no_grad():
        return model(enc.collate([enc.featurize(c) for c in cores]), sets)


def test_model_checkpoint_round_trip_gives_identical_outputs(tmp_path, tiny_ds):
    model = _model()
    path = tmp_path / "m.pt"
    save_checkpoint(model, path, {"seed": 3, "metrics": {"auc": 0.75}})
    loaded, info = load_checkpoint(path, expect_core="cgcnn", expect_ligand="fingerprint")
    sets = [LigandSet.parse("[S]CCc1ccccc1"), LigandSet.parse("CC(=O)O.CP(C)C")]
    assert torch.equal(_logits(model, tiny_ds.cores[:2], sets), _logits(loaded, tiny_ds.cores[:2], sets))
    assert info["metadata"] == {"seed": 3, "metrics": {"auc": 0.75}}
    assert info["core_encoder"]["init_args"]["embedding_dim"] == 16
    assert info["core_encoder"]["name"] == "cgcnn" and info["ligand_encoder"]["name"] == "fingerprint"
    assert info["head"] == {"hidden_dims": [8], "dropout": 0.2}
    # the file is a plain dict: it loads with weights_only=True
    assert torch.load(path, weights_only=True)["format_version"] == FORMAT_VERSION


def test_existing_checkpoint_is_refused_without_overwrite(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(_model(), path, {})
    with pytest.raises(OutputExistsError):
        save_checkpoint(_model(), path, {})
    save_checkpoint(_model(1), path, {}, overwrite=True)


def test_mismatched_core_encoder_is_refused(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(_model(), path, {})
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, expect_core="gin")
    assert str(err.value) == "checkpoint was trained with core encoder 'cgcnn' but 'gin' was requested"
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, expect_ligand="molgnn")
    assert str(err.value) == "checkpoint was trained with ligand encoder 'fingerprint' but 'molgnn' was requested"


def test_other_format_version_is_refused(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(_model(), path, {})
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert str(err.value) == f"{path} has colim checkpoint format version 99, but this colim (0.1.0) reads version {FORMAT_VERSION}"


def test_other_plugin_version_is_refused(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(_model(), path, {})
    payload = torch.load(path, weights_only=True)
    payload["core_encoder"]["version"] = "0"
    torch.save(payload, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert str(err.value) == "checkpoint was trained with core encoder 'cgcnn' version 0 but the installed plugin is version 1"


def test_missing_corrupt_and_pickled_files_are_refused(tmp_path):
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(tmp_path / "none.pt")
    assert str(err.value) == f"checkpoint {tmp_path / 'none.pt'} does not exist"
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(bad)
    assert str(err.value) == f"cannot read checkpoint {bad}: not a torch checkpoint file, or corrupt or truncated"
    pickled = tmp_path / "pickled.pt"
    torch.save({"format": "colim-model-checkpoint", "obj": OutputExistsError("x")}, pickled)
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(pickled)
    assert "holds pickled objects other than tensors and plain data" in str(err.value)


def test_encoder_checkpoint_round_trip_and_refusals(tmp_path, tiny_ds):
    encoder = _model().core_encoder
    path = tmp_path / "enc.pt"
    save_encoder_checkpoint(encoder, path, {"target": "e_form"})
    loaded, info = load_encoder_checkpoint(path, expect="cgcnn")
    assert torch.equal(encoder.encode(tiny_ds.cores[:3]), loaded.encode(tiny_ds.cores[:3]))
    assert info["metadata"]["target"] == "e_form"
    with pytest.raises(CheckpointError) as err:
        load_encoder_checkpoint(path, expect="schnet")
    assert str(err.value) == "checkpoint was trained with core encoder 'cgcnn' but 'schnet' was requested"
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert str(err.value) == f"{path} is a core encoder checkpoint, not a model checkpoint (use it with --pretrained-core)"


def test_ensemble_manifest_resolves_member_checkpoints(tmp_path):
    for seed in (0, 1):
        save_checkpoint(_model(seed), tmp_path / f"seed-{seed}.pt", {"seed": seed})
    write_ensemble_manifest(tmp_path, ["seed-0.pt", "seed-1.pt"], {})
    assert resolve_checkpoints(tmp_path) == [tmp_path / "seed-0.pt", tmp_path / "seed-1.pt"]
    assert resolve_checkpoints(f"{tmp_path / 'seed-1.pt'},{tmp_path / 'seed-0.pt'}") == [tmp_path / "seed-1.pt", tmp_path / "seed-0.pt"]
