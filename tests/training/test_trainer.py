"""Training on a tiny real dataset: the loss falls, a seed repeats exactly, a pretrained core loads."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from colim.model.checkpoint import save_encoder_checkpoint
from colim.errors import CheckpointError
from colim.training.batching import batch_order, featurize_cores
from colim.training.trainer import ModelSpec, TrainConfig, TrainingError, build_model, fit, predict
from tests.training.conftest import TINY_ENCODERS

SPEC = ModelSpec(TINY_ENCODERS["core"][0], TINY_ENCODERS["ligand"][0], TINY_ENCODERS["core"][1], TINY_ENCODERS["ligand"][1])
CONFIG = TrainConfig(epochs=6, batch_size=8, lr=3e-3, patience=100, hidden_dims=(16,))


@pytest.fixture(scope="module")
def features(tiny_ds):
    core, args = TINY_ENCODERS["core"]
    return featurize_cores(build_model(core, "fingerprint", args)[0].core_encoder, tiny_ds.cores)


def test_training_lowers_the_loss_and_repeats_per_seed(tiny_ds, features):
    first, meta = fit(tiny_ds, SPEC, CONFIG, seed=0, features=features)
    losses = [row["train_loss"] for row in first.history]
    assert losses[-1] < losses[0]
    again, _ = fit(tiny_ds, SPEC, CONFIG, seed=0, features=features)
    other, _ = fit(tiny_ds, SPEC, CONFIG, seed=1, features=features)
    test = tiny_ds.split_pairs("test")
    p0, p0b, p1 = (predict(r.model, features, test) for r in (first, again, other))
    assert np.array_equal(p0, p0b)
    assert not np.allclose(p0, p1)
    assert meta["seed"] == 0 and meta["dataset_hash"] == tiny_ds.content_hash()
    assert meta["dataset_sizes"] == {"train": 18, "val": 6, "test": 6}
    assert 1 <= meta["best_epoch"] <= 6 and len(meta["history"]) == 6


def test_pretrained_core_is_loaded_and_a_mismatched_one_refused(tiny_ds, features, tmp_path):
    torch.manual_seed(5)
    model, _ = build_model(SPEC.core_encoder, SPEC.ligand_encoder, SPEC.core_args, SPEC.ligand_args)
    path = tmp_path / "core.pt"
    save_encoder_checkpoint(model.core_encoder, path, {"target": "e_form"})
    loaded, info = build_model(SPEC.core_encoder, SPEC.ligand_encoder, pretrained_core=str(path))
    assert info["metadata"]["target"] == "e_form"
    for key, value in model.core_encoder.state_dict().items():
        assert torch.equal(loaded.core_encoder.state_dict()[key], value)
    spec = ModelSpec(SPEC.core_encoder, SPEC.ligand_encoder, {}, SPEC.ligand_args, str(path))
    result, meta = fit(tiny_ds, spec, TrainConfig(epochs=1, batch_size=8, hidden_dims=(16,)), seed=0)
    assert meta["pretrained_core"]["metadata"]["target"] == "e_form" and len(result.history) == 1
    with pytest.raises(CheckpointError) as err:
        build_model("gin", "fingerprint", pretrained_core=str(path))
    assert str(err.value) == "checkpoint was trained with core encoder 'cgcnn' but 'gin' was requested"


def test_one_class_training_split_is_refused(tiny_ds, features):
    positives = replace(tiny_ds, pairs=[p for p in tiny_ds.pairs if p.label == 1])
    with pytest.raises(TrainingError) as err:
        fit(positives, SPEC, CONFIG, seed=0, features=features)
    assert str(err.value) == "the training split holds only one class; a classifier needs positives and negatives"


def test_batches_never_leave_a_single_sample():
    chunks = batch_order(9, 4, torch.Generator().manual_seed(0))
    assert [len(c) for c in chunks] == [4, 5]
    assert sorted(np.concatenate(chunks).tolist()) == list(range(9))
