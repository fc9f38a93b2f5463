"""Where the shipped defaults live: the reference libraries and the default model under ``libraries/``.

``COLIM_LIBRARIES`` points at another copy of that folder; otherwise the one beside the package (a
clone or editable install) is used.
"""

from __future__ import annotations

import os
from pathlib import Path

from colim.errors import LibraryError

LIBRARIES_ENV = "COLIM_LIBRARIES"

DEFAULT_MODEL = Path("models") / "default"
DEFAULT_CORE_LIBRARY = Path("cores") / "cores.h5"
DEFAULT_LIGAND_LIBRARY = Path("ligands") / "ligands.h5"
DEFAULT_LIGAND_LIST = Path("ligands") / "ligands.csv"
DEFAULT_DEMO_CORE = Path("cores") / "au25_core.xyz"


def libraries_dir() -> Path:
    """The folder of shipped libraries; a one-line LibraryError when it cannot be found."""
    env = os.environ.get(LIBRARIES_ENV)
    folder = Path(env) if env else Path(__file__).resolve().parent.parent / "libraries"
    if not folder.is_dir():
        raise LibraryError(f"shipped libraries not found at {folder}; set {LIBRARIES_ENV} to the libraries/ folder of a colim checkout")
    return folder


def shipped(relative: Path) -> Path:
    """The path of one shipped file or folder; a one-line LibraryError when it is missing."""
    path = libraries_dir() / relative
    if not path.exists():
        raise LibraryError(f"shipped default {path} is missing; rebuild it with 'bash libraries/build.sh' (see libraries/README.md)")
    return path
