"""docs/api.md runs: its Python examples, executed in order in one namespace (as a notebook would) in a
temporary folder holding the files the page names; and ``colim.<name>`` is the documented API."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pandas as pd

import colim

ROOT = Path(__file__).resolve().parents[1]
API_DOC = ROOT / "docs" / "api.md"
STRUCTURES = ROOT / "tests" / "data" / "structures"


def python_blocks(text: str) -> list[str]:
    """The bodies of the ```python fenced blocks of a markdown page, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_api_doc_examples_run(tmp_path, monkeypatch):
    shutil.copy(STRUCTURES / "au_sch3_dft" / "au25_opt.xyz", tmp_path / "au25_opt.xyz")
    shutil.copytree(STRUCTURES / "au_sch3_dft", tmp_path / "au_sch3_dft")
    shutil.copy(ROOT / "libraries" / "dataset" / "shared_structures.h5", tmp_path / "dataset.h5")
    shutil.copy(ROOT / "tests" / "data" / "pretrain" / "ml_au_dft_subset.extxyz.gz", tmp_path / "ml_au_subset.extxyz.gz")
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(API_DOC.read_text())
    assert len(blocks) >= 7
    namespace: dict = {}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/api.md block {number}", "exec"), namespace)  # noqa: S102 - the docs' own examples
    assert isinstance(namespace["hits"], pd.DataFrame) and len(namespace["hits"]) == 5 * 169  # top 5 of every shipped reference core
    assert (tmp_path / "hits.csv").is_file() and (tmp_path / "my-model" / "ensemble.json").is_file()
    assert (tmp_path / "evaluation" / "evaluation.json").is_file() and (tmp_path / "why" / "explanation.json").is_file()


def test_every_api_function_is_documented_on_the_api_page():
    text = API_DOC.read_text()
    functions = [name for name in colim.API if name[0].islower()]
    assert [name for name in functions if f"colim.{name}(" not in text] == []
    for name in functions:
        func = getattr(colim, name)
        # offered by colim.api (load_model is defined with ModelMember in colim.model.members, the one place that loads models)
        assert func is getattr(importlib.import_module("colim.api"), name) and len(func.__doc__.strip()) > 40, name


def test_import_colim_stays_light():
    import subprocess
    import sys

    code = "import sys, colim; print(sorted(m for m in ('torch', 'pandas', 'h5py', 'colim.api') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_unknown_screen_option_lists_the_choices():
    import pytest

    from colim.api import ApiError

    with pytest.raises(ApiError, match=r"^unknown screen option\(s\) topk; choose from: .*\btop_k\b"):
        colim.screen(topk=3)
