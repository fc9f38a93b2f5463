"""Shared fixtures: paths to the real structures shipped in tests/data and isolated plugin state."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from colim.plugins.manager import reset_plugins

DATA = Path(__file__).parent / "data"
STRUCTURES = DATA / "structures"

_CACHE_DIR: str | None = None


def pytest_configure(config) -> None:
    """The ligand feature cache (COLIM_CACHE_DIR) in a temporary folder for the whole session, subprocesses
    included: the suite never writes ~/.cache/colim, and no test reads features an earlier run left there."""
    global _CACHE_DIR
    _CACHE_DIR = tempfile.mkdtemp(prefix="colim-test-cache-")
    os.environ["COLIM_CACHE_DIR"] = _CACHE_DIR


def pytest_unconfigure(config) -> None:
    if _CACHE_DIR is not None:
        shutil.rmtree(_CACHE_DIR, ignore_errors=True)


@pytest.fixture
def structures_dir() -> Path:
    return STRUCTURES


@pytest.fixture
def fresh_plugins():
    """Reload plugins before and after the test, so registrations made in it do not leak."""
    reset_plugins()
    yield
    reset_plugins()
