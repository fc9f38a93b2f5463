"""Pretraining on several sources at once: one task per target and E_form reference, masked targets,
per-metal test errors beside a mean predictor, and a checkpoint that fine-tunes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase.cluster import Icosahedron
from click.testing import CliRunner

from colim.cli import cli
from colim.model.checkpoint import load_encoder_checkpoint
from colim.plugins.manager import create_core_encoder
from colim.pretrain_data import load_pretraining_set
from colim.pretrain_data.nc_database import write_nc_database_set
from colim.training.pretraining import PretrainConfig, _masked_loss, metal_groups, pretrain_encoder, task_of
from tests.conftest import DATA

ML_AU = DATA / "pretrain" / "ml_au_dft_subset.extxyz.gz"
NC = DATA / "pretrain" / "nc_database_subset"


def test_masked_loss_averages_tasks_over_observed_entries_only():
    pred = torch.tensor([[1.0, 5.0], [3.0, 0.0], [0.0, 0.0]])
    y = torch.tensor([[0.0, 1.0], [1.0, 99.0], [0.0, 99.0]])
    mask = torch.tensor([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    # task 0: (1 + 4 + 0) / 3; task 1: 16 / 1 (the 99s are masked)
    assert float(_masked_loss(pred, y, mask)) == pytest.approx((5 / 3 + 16) / 2)


def test_tasks_are_keyed_by_reference_and_groups_by_metal():
    cu = Icosahedron("Cu", noshells=2)
    cu.info.update({"e_form": -3.0, "e_form_reference": "emt-isolated-atoms"})
    assert task_of(cu, "e_form") == "e_form@emt-isolated-atoms" and task_of(cu, "gap") is None
    alloy = Icosahedron("Au", noshells=2)
    alloy[0].symbol = "Ag"
    assert metal_groups(cu) == ["Cu-containing"] and metal_groups(alloy) == ["Ag-containing"]
    assert metal_groups(Icosahedron("Au", noshells=2)) == ["Au only"]


@pytest.fixture(scope="module")
def three_sources(tmp_path_factory):
    """30 ML-Au DFT frames, 5 NC_Database AuAg frameworks and 12 EMT Cu/Ag clusters (one with a gap)."""
    au = load_pretraining_set(ML_AU)[::50][:30]
    nc_file = tmp_path_factory.mktemp("nc") / "nc.extxyz"
    write_nc_database_set(NC, nc_file)
    nc = load_pretraining_set(nc_file)
    rng = np.random.default_rng(0)
    emt = []
    for i in range(12):
        atoms = Icosahedron("Cu" if i % 2 else "Ag", noshells=2)
        atoms.rattle(0.05, seed=i)
        atoms.info.update({"e_form": float(-3.0 + 0.1 * rng.standard_normal()), "e_form_reference": "emt-isolated-atoms"})
        emt.append(atoms)
    emt[0].info["gap"] = 0.5
    return au + nc + emt


def test_three_sources_pretrain_with_one_head_each_and_per_metal_errors(three_sources):
    torch.manual_seed(0)
    encoder = create_core_encoder("cgcnn", embedding_dim=8, num_layers=1)
    result = pretrain_encoder(encoder, three_sources, ["e_form", "gap"], PretrainConfig(epochs=2, batch_size=8), seed=0)
    assert list(result.tasks) == ["e_form@emt-isolated-atoms", "e_form@ml-au-vasp-pbe-lsq", "e_form@nc-database-auag-pbe-lsq",
                                  "gap@emt-isolated-atoms"]
    assert result.tasks["gap@emt-isolated-atoms"]["count"] == 1
    au = result.tasks["e_form@ml-au-vasp-pbe-lsq"]
    assert au["count"] == 30 and set(au["groups"]) == {"Au only"}
    emt = result.tasks["e_form@emt-isolated-atoms"]
    assert emt["train_mean"] == pytest.approx(-3.0, abs=0.2)  # its own offset, not ML-Au's ~0.06
    assert set(emt["groups"]) <= {"Ag-containing", "Cu-containing"}
    for task in result.tasks.values():
        for group in task["groups"].values():
            assert group["n"] >= 1 and group["mae"] >= 0 and group["mean_predictor_mae"] >= 0
    assert result.split_sizes["test"] == 5 and result.test_metrics["mae"] > 0


def test_cli_takes_several_data_files_and_saves_the_tasks(tmp_path):
    nc = tmp_path / "nc.extxyz"
    write_nc_database_set(NC, nc)
    out = tmp_path / "enc.pt"
    result = CliRunner().invoke(cli, ["pretrain", "--data", str(ML_AU), "--data", str(nc), "--limit", "40", "--epochs", "1",
                                      "--batch-size", "16", "--core-args", '{"embedding_dim": 8, "num_layers": 1}', "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "e_form: 45 clusters (train 37, val 4, test 4)" in result.output
    encoder, info = load_encoder_checkpoint(out, expect="cgcnn")
    meta = info["metadata"]
    assert meta["data"] == [str(ML_AU), str(nc)]
    assert meta["e_form_reference"] == ["ml-au-vasp-pbe-lsq", "nc-database-auag-pbe-lsq"]
    assert set(meta["tasks"]) == {"e_form@ml-au-vasp-pbe-lsq", "e_form@nc-database-auag-pbe-lsq"}
    assert encoder.init_args()["atom_features"] == "physics"
