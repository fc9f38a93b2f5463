"""The applicability domain on by default: a model trained on Au cores (the shipped dataset's small cores)
marks the shipped Au25 demo core in domain and an ASE Cu55 icosahedron out of domain, with one warning
naming Cu, in the Python API, ``colim screen`` and ``colim explain``; an old checkpoint says "unknown"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from ase.cluster import Icosahedron
from click.testing import CliRunner

from colim.model.members import ModelMember
from colim.cli import cli as main
from colim.dataset.records import MatchingDataset, load_dataset, save_dataset
from colim.defaults import DEFAULT_DEMO_CORE, shipped
from colim.io.hit_tables import read_hits, summary_path
from colim.libraries.core_library import build_core_library
from colim.libraries.ligand_library import Ligand, build_ligand_library
from colim.model.checkpoint import load_checkpoint, save_checkpoint
from colim.model.domain import DomainReference, build_reference, calibrated_threshold
from colim.screening.domain import UNKNOWN_WARNING, score_warnings
from colim.screening.screen import screen
from colim.structures.core import read_core
from colim.structures.families import ligand_family
from colim.structures.ligands import canonical_smiles
from colim.training.trainer import ModelSpec, TrainConfig, fit
from tests.screening.conftest import LIGAND_SMILES

SHIPPED_DATASET = Path("dataset") / "shared_structures.h5"


def small_au_dataset(max_atoms: int = 30) -> MatchingDataset:
    """The shipped dataset restricted to its pure-Au cores of at most ``max_atoms`` atoms (splits kept)."""
    full = load_dataset(shipped(SHIPPED_DATASET))
    keep = [i for i, c in enumerate(full.cores) if len(c) <= max_atoms and set(c.get_chemical_symbols()) == {"Au"}]
    new = {old: new for new, old in enumerate(keep)}
    pairs = [p.__class__(new[p.core_index], p.ligand_set, p.label, p.split, p.group, p.origin) for p in full.pairs if p.core_index in new]
    return MatchingDataset([full.cores[i] for i in keep], pairs, {"subset": f"<= {max_atoms} atoms"}, {})


@pytest.fixture(scope="module")
def domain_setup(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("domain")
    ds = small_au_dataset()
    spec = ModelSpec("cgcnn", "fingerprint", {"embedding_dim": 16, "num_layers": 1}, {"embedding_dim": 16, "n_bits": 256})
    result, metadata = fit(ds, spec, TrainConfig(epochs=3, hidden_dims=(16,)), seed=0)
    model = result.model
    model.domain_reference = build_reference(model, ds).to_payload()
    ckpt = root / "model.pt"
    save_checkpoint(model, ckpt, metadata)
    cu55 = Icosahedron("Cu", 3)
    cu55.info["id"] = "cu55_icosahedron"
    au25 = read_core(shipped(DEFAULT_DEMO_CORE))
    core_lib = root / "cores.h5"
    build_core_library(core_lib, [au25, cu55], [model.core_encoder])
    ligands = [Ligand(canonical_smiles(s), name, ligand_family(canonical_smiles(s))) for name, s in LIGAND_SMILES.items()]
    ligand_lib = root / "ligands.h5"
    build_ligand_library(ligand_lib, ligands, [model.ligand_encoder], max_kinds=1)
    ds_path = root / "small.h5"
    save_dataset(ds, ds_path)
    return {"root": root, "model": model, "ckpt": ckpt, "core_lib": core_lib, "ligand_lib": ligand_lib, "dataset": ds_path,
            "au25_id": au25.info["id"]}


def test_checkpoint_carries_reference_of_training_split(domain_setup):
    model, _ = load_checkpoint(domain_setup["ckpt"])
    ref = DomainReference.from_payload(model.domain_reference)
    assert ref.elements == ("Au",)
    assert "thiolate" in ref.families and ref.calibration == "val"
    assert ref.core_embeddings.shape[1] == 16 and ref.core_threshold > 0 and ref.set_threshold > 0


def test_screen_marks_au25_in_and_cu55_out_with_one_cu_warning(domain_setup, tmp_path):
    model, _ = load_checkpoint(domain_setup["ckpt"])
    out = tmp_path / "hits.csv"
    result = screen(domain_setup["core_lib"], domain_setup["ligand_lib"], [ModelMember("m", model, {})], out)
    hits = result.hits
    assert hits.core_in_domain.dtype == "boolean" and hits.set_in_domain.dtype == "boolean"
    assert hits[hits.core_id == domain_setup["au25_id"]].core_in_domain.all()
    assert not hits[hits.core_id == "cu55_icosahedron"].core_in_domain.any()
    cu_lines = [w for w in result.summary["warnings"] if "Cu" in w]
    assert cu_lines == ["1 of 2 cores contains Cu, which the model never saw: its scores are extrapolations"]
    assert json.loads(summary_path(out).read_text())["warnings"] == result.summary["warnings"]
    back = read_hits(out)
    assert back.core_in_domain.tolist() == hits.core_in_domain.tolist()


def test_cli_screen_prints_warning_lines_on_stderr(domain_setup, tmp_path):
    out = tmp_path / "hits.parquet"
    res = CliRunner().invoke(main, ["screen", "--core-lib", str(domain_setup["core_lib"]), "--ligand-lib", str(domain_setup["ligand_lib"]),
                                    "--model", str(domain_setup["ckpt"]), "-o", str(out), "--silent"])
    assert res.exit_code == 0, res.output
    assert "Warning: 1 of 2 cores contains Cu, which the model never saw: its scores are extrapolations" in res.stderr.splitlines()
    assert "Warning" not in res.stdout
    assert pd.read_parquet(out).core_in_domain.dtype == "boolean"


def test_old_checkpoint_says_domain_unknown_and_train_dataset_overrides(domain_setup, tmp_path):
    model, _ = load_checkpoint(domain_setup["ckpt"])
    payload = torch.load(domain_setup["ckpt"], weights_only=True)
    del payload["domain"]
    old = tmp_path / "old.pt"
    torch.save(payload, old)
    old_model, info = load_checkpoint(old)
    assert old_model.domain_reference is None and "domain" not in info
    result = screen(domain_setup["core_lib"], domain_setup["ligand_lib"], [ModelMember("old", old_model, {})])
    assert result.hits.core_in_domain.isna().all() and result.hits.set_in_domain.isna().all()
    assert result.summary["warnings"].count(UNKNOWN_WARNING) == 1
    res = CliRunner().invoke(main, ["screen", "--core-lib", str(domain_setup["core_lib"]), "--ligand-lib", str(domain_setup["ligand_lib"]),
                                    "--model", str(old), "--train-dataset", str(domain_setup["dataset"]), "-o", str(tmp_path / "h.csv"), "--silent"])
    assert res.exit_code == 0, res.output
    hits = read_hits(tmp_path / "h.csv")
    assert hits[hits.core_id == "cu55_icosahedron"].core_in_domain.eq(False).all()
    assert "contains Cu, which the model never saw" in res.stderr


def test_cli_explain_reports_domain_of_cu55(domain_setup, tmp_path):
    core = tmp_path / "cu55.xyz"
    Icosahedron("Cu", 3).write(core)
    res = CliRunner().invoke(main, ["explain", "--model", str(domain_setup["ckpt"]), "--core", str(core), "--ligands", "[S]CCc1ccccc1",
                                    "-o", str(tmp_path / "x"), "--steps", "8"])
    assert res.exit_code == 0, res.output
    assert "core_in_domain False" in res.stdout
    assert "Warning: 1 of 1 core contains Cu, which the model never saw: its scores are extrapolations" in res.stderr.splitlines()
    body = json.loads((tmp_path / "x" / "explanation.json").read_text())
    assert body["domain"]["core_in_domain"] is False and any("Cu" in w for w in body["warnings"])


def test_saturated_and_tied_cores_are_warned_and_varied_ones_not():
    varied = np.array([[[0.2, 0.5, 0.7]], [[0.3, 0.4, 0.8]]])  # [M, C, k]
    assert score_warnings(varied, ["a"]) == []
    saturated = np.array([[[1.0, 0.999, 0.995]], [[0.0, 0.001, 0.002]]])
    tied = np.full((2, 1, 3), 0.6)
    both = score_warnings(np.concatenate([varied, saturated, tied], axis=1), ["a", "b", "c"])
    assert both == ["2 of 3 cores (b, c) have saturated or tied scores across ligand sets (1 saturated within 0.01 of 0 or 1, 1 tied): "
                    "their rankings carry no information"]


def test_threshold_is_the_calibration_quantile_floored_by_training_spread():
    train = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    far_val = np.array([[0.0, 10.0]])  # 10 from the nearest training point
    assert calibrated_threshold(train, far_val, 0.95) == pytest.approx(10.0)
    near_val = np.array([[0.0, 0.0]])  # a duplicate: the training leave-one-out spread (1, 1, 2) sets the floor
    assert calibrated_threshold(train, near_val, 0.5) == pytest.approx(1.0)
