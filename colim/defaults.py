"""Where the shipped defaults live: the reference libraries and the default model under ``libraries/``.

``COLIM_LIBRARIES`` points at another copy of that folder; otherwise an installed wheel's copy
(``colim/_shipped/``, package data that ``setup.py`` copies from ``libraries/`` at build time) is
used, and failing that the ``libraries/`` folder beside the package (a clone or editable install).
"""

from __future__ import annotations

import os
from pathlib import Path

from colim.errors import LibraryError

LIBRARIES_ENV = "COLIM_LIBRARIES"
#: package-data folder of a built wheel (keep in step with ``PACKAGE_DATA`` in setup.py).
PACKAGE_DATA = "_shipped"

DEFAULT_MODEL = Path("models") / "default"
DEFAULT_CORE_LIBRARY = Path("cores") / "cores.h5"
DEFAULT_LIGAND_LIBRARY = Path("ligands") / "ligands.h5"
DEFAULT_LIGAND_LIST = Path("ligands") / "ligands.csv"
DEFAULT_DEMO_CORE = Path("cores") / "au25_core.xyz"


def libraries_dir() -> Path:
    """The folder of shipped libraries; a one-line LibraryError when it cannot be found."""
    env = os.environ.get(LIBRARIES_ENV)
    package = Path(__file__).resolve().parent
    if env:
        folder = Path(env)
    elif (package / PACKAGE_DATA).is_dir():
        folder = package / PACKAGE_DATA
    else:
        folder = package.parent / "libraries"
    if not folder.is_dir():
        raise LibraryError(f"shipped libraries not found at {folder}; set {LIBRARIES_ENV} to the libraries/ folder of a colim checkout")
    return folder


def shipped(relative: Path) -> Path:
    """The path of one shipped file or folder; a one-line LibraryError when it is missing."""
    path = libraries_dir() / relative
    if not path.exists():
        raise LibraryError(f"shipped default {path} is missing; rebuild it with 'bash libraries/build.sh' (see libraries/README.md)")
    return path
