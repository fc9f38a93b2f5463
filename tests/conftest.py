"""Shared fixtures: paths to the real structures shipped in tests/data and isolated plugin state."""

from __future__ import annotations

from pathlib import Path

import pytest

from colim.plugins.manager import reset_plugins

DATA = Path(__file__).parent / "data"
STRUCTURES = DATA / "structures"


@pytest.fixture
def structures_dir() -> Path:
    return STRUCTURES


@pytest.fixture
def fresh_plugins():
    """Reload plugins before and after the test, so registrations made in it do not leak."""
    reset_plugins()
    yield
    reset_plugins()
