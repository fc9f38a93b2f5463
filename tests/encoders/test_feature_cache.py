"""Ligand features are cached on disk per canonical SMILES and computed by a process pool: a rebuild or an
--append featurises no ligand twice, and pooled, cached and in-process features are the same numbers."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from colim.cli import cli
from colim.encoders.feature_cache import FeatureStats, cache_dir, cached_rows, feature_workers
from colim.libraries.ligand_library import read_ligand_file
from colim.model.checkpoint import save_checkpoint
from colim.plugins.builtin.ligand_chemistry import CACHE_NAMESPACE, chemistry_features
from colim.training.trainer import build_model
from tests.conftest import DATA

LIGANDS60 = DATA / "ligands" / "ligands60.smi"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COLIM_CACHE_DIR", str(tmp_path / "cache"))
    chemistry_features.cache_clear()
    FeatureStats.computed = FeatureStats.cached = 0
    yield tmp_path / "cache"
    chemistry_features.cache_clear()


def test_pool_features_equal_in_process_ones_and_are_read_back(cache):
    smiles = [lig.smiles for lig in read_ligand_file(LIGANDS60)][:24]
    with feature_workers(2):
        pooled = cached_rows(CACHE_NAMESPACE, chemistry_features, smiles)
    assert FeatureStats.computed == 24 and len(list((cache / CACHE_NAMESPACE).rglob("*.npy"))) == 24
    chemistry_features.cache_clear()
    again = cached_rows(CACHE_NAMESPACE, chemistry_features, smiles)
    assert FeatureStats.computed == 24 and FeatureStats.cached == 24
    np.testing.assert_array_equal(np.stack(pooled), np.stack(again))
    np.testing.assert_allclose(np.stack(again), np.stack([chemistry_features(s) for s in smiles]), rtol=0, atol=0)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COLIM_CACHE_DIR", "off")
    assert cache_dir() is None
    monkeypatch.delenv("COLIM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "colim"


@pytest.fixture
def ligchem_model(tmp_path):
    """An untrained cgcnn + ligchem checkpoint: the shipped default embeds ligands with ``fingerprint``, which
    is cheap and not cached, so the cache is exercised through the encoder that featurises slowly."""
    model, _ = build_model("cgcnn", "ligchem", {"embedding_dim": 8})
    path = tmp_path / "ligchem.pt"
    save_checkpoint(model, path, {})
    return path


def test_library_rebuild_and_append_never_featurise_a_ligand_twice(cache, tmp_path, ligchem_model):
    lines = LIGANDS60.read_text().splitlines()
    first, more = tmp_path / "first.smi", tmp_path / "more.smi"
    first.write_text("\n".join(lines[:12]) + "\n")
    more.write_text("\n".join(lines[:18]) + "\n")
    out = tmp_path / "ligands.h5"
    runner = CliRunner()
    assert runner.invoke(cli, ["library", "ligands", str(first), "--model", str(ligchem_model), "-o", str(out), "--workers", "2"]).exit_code == 0
    n_first, n_more = len(read_ligand_file(first)), len(read_ligand_file(more))
    assert n_more > n_first and FeatureStats.computed == n_first
    chemistry_features.cache_clear()
    assert runner.invoke(cli, ["library", "ligands", str(first), "--model", str(ligchem_model), "-o", str(out), "--overwrite"]).exit_code == 0
    assert FeatureStats.computed == n_first  # the rebuild read every row from the cache
    chemistry_features.cache_clear()
    result = runner.invoke(cli, ["library", "ligands", str(more), "--model", str(ligchem_model), "-o", str(out), "--append"])
    assert result.exit_code == 0, result.output
    assert FeatureStats.computed == n_more  # only the new ligands
