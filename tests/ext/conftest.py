"""Fixtures for the Uni-Mol adapter and encoder tests: one thread for torch, isolated weight folders."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Uni-Mol's transformer is much faster on one thread on a shared 2-core machine; restore after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def isolated_weights(tmp_path, monkeypatch):
    """An empty colim weights cache and no UNIMOL_WEIGHT_DIR, so nothing is found by accident."""
    folder = tmp_path / "weights-cache"
    monkeypatch.setenv("COLIM_WEIGHTS_DIR", str(folder))
    monkeypatch.delenv("UNIMOL_WEIGHT_DIR", raising=False)
    return folder
