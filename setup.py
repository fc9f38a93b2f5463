"""Build hook: a wheel (or a non-editable ``pip install .``) carries the shipped defaults.

``libraries/`` stays the single copy in git (rebuilt by ``libraries/build.sh``); at build time the
folders the defaults need are copied into the built package as ``colim/_shipped/``, where
:mod:`colim.defaults` looks first. An editable install reads ``libraries/`` beside the source instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
LIBRARIES = ROOT / "libraries"
#: package-data folder inside ``colim`` (keep in step with ``colim.defaults.PACKAGE_DATA``).
PACKAGE_DATA = "_shipped"
#: what the wheel carries of ``libraries/``: the defaults' folders and the notes beside them.
SHIPPED = ("README.md", "models", "cores", "ligands", "dataset")
#: the shipped dataset (and what is built from it) derives from NC_Database (GPL-3.0), the models from MetaLig
#: (MIT) too: their licences travel along.
NOTICES = {ROOT / "tests" / "data" / "structures" / "nc_database" / "LICENSE": "dataset/NC_Database-LICENSE",
           LIBRARIES / "metalig" / "LICENSE": "models/MetaLig-LICENSE"}


def shipped_files(libraries: Path = LIBRARIES) -> dict[Path, str]:
    """Source file under ``libraries/`` → its path inside the wheel (``colim/_shipped/...``)."""
    mapping: dict[Path, str] = {}
    for name in SHIPPED:
        top = libraries / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            mapping[path] = f"colim/{PACKAGE_DATA}/{path.relative_to(libraries).as_posix()}"
    for path, name in NOTICES.items():
        mapping[path] = f"colim/{PACKAGE_DATA}/{name}"
    return mapping


class BuildWithDefaults(build_py):
    """``build_py`` that also copies the shipped defaults into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, target in shipped_files().items():
            destination = Path(self.build_lib) / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildWithDefaults})
