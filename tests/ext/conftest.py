"""Fixtures for the Uni-Mol adapter and encoder tests: isolated weight folders."""

from __future__ import annotations

import pytest


@pytest.fixture
def isolated_weights(tmp_path, monkeypatch):
    """An empty colim weights cache and no UNIMOL_WEIGHT_DIR, so nothing is found by accident."""
    folder = tmp_path / "weights-cache"
    monkeypatch.setenv("COLIM_WEIGHTS_DIR", str(folder))
    monkeypatch.delenv("UNIMOL_WEIGHT_DIR", raising=False)
    return folder
