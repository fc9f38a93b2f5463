"""A built wheel carries the shipped defaults (setup.py copies libraries/ into colim/_shipped/), so that a
non-editable install finds the default model, libraries and demo core without the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import colim.defaults as defaults

ROOT = Path(__file__).resolve().parents[1]
#: what a wheel build reads from the checkout.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "colim", "libraries", "tests/data/structures/nc_database/LICENSE")


def build_wheel(tmp_path: Path) -> Path:
    """Build colim's wheel from a copy of the checkout (no build files left in the source tree)."""
    source = tmp_path / "src"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "_shipped"))
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")],
                   check=True, capture_output=True, text=True)
    return next((tmp_path / "dist").glob("colim-*.whl"))


def test_wheel_carries_every_shipped_default(tmp_path):
    archive = zipfile.ZipFile(build_wheel(tmp_path))
    names = set(archive.namelist())
    data = f"colim/{defaults.PACKAGE_DATA}"
    for relative in (defaults.DEFAULT_CORE_LIBRARY, defaults.DEFAULT_LIGAND_LIBRARY, defaults.DEFAULT_LIGAND_LIST, defaults.DEFAULT_DEMO_CORE):
        assert f"{data}/{relative.as_posix()}" in names
    model = ROOT / "libraries" / defaults.DEFAULT_MODEL
    members = sorted(p.name for p in model.iterdir())
    assert "ensemble.json" in members and any(m.endswith(".pt") for m in members)
    assert {f"{data}/{defaults.DEFAULT_MODEL.as_posix()}/{m}" for m in members} <= names
    assert f"{data}/models/MODEL_CARD.md" in names and f"{data}/README.md" in names
    shipped = {n for n in names if n.startswith(data + "/")}
    in_git = {f"{data}/{p.relative_to(ROOT / 'libraries').as_posix()}" for p in (ROOT / "libraries").rglob("*")
              if p.is_file() and p.parts[len(ROOT.parts) + 1] in ("models", "cores", "ligands", "dataset")}
    # the shipped dataset derives from NC_Database (GPL-3.0), the models from MetaLig (MIT): their licences come along
    assert shipped == in_git | {f"{data}/README.md", f"{data}/dataset/NC_Database-LICENSE", f"{data}/models/MetaLig-LICENSE"}
    assert "GNU GENERAL PUBLIC LICENSE" in archive.read(f"{data}/dataset/NC_Database-LICENSE").decode()
    assert "MIT License" in archive.read(f"{data}/models/MetaLig-LICENSE").decode()
    assert "colim/cli/__init__.py" in names and "colim/api.py" in names


def test_installed_package_data_is_found_before_the_source_tree(tmp_path, monkeypatch):
    package = tmp_path / "colim"
    (package / defaults.PACKAGE_DATA / "models").mkdir(parents=True)
    monkeypatch.delenv(defaults.LIBRARIES_ENV, raising=False)
    monkeypatch.setattr(defaults, "__file__", str(package / "defaults.py"))
    assert defaults.libraries_dir() == package / defaults.PACKAGE_DATA
    shutil.rmtree(package / defaults.PACKAGE_DATA)
    (tmp_path / "libraries").mkdir()
    assert defaults.libraries_dir() == tmp_path / "libraries"
