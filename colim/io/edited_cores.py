"""Reading the core to edit and writing edited cores: one table of edited-core writers by suffix."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import ase.io
from ase import Atoms

from colim.errors import EditError
from colim.io.core_sources import metal_atoms, read_one_core
from colim.io.file_table import FileTable
from colim.io.output_files import atomic_output
from colim.libraries.core_library import write_core_library

__all__ = ["CORE_WRITERS", "CoreWriter", "check_output_suffix", "load_core", "metal_atoms", "write_cores"]


@dataclass(frozen=True)
class CoreWriter:
    """How one kind of file takes edited cores: ``write(path, cores, overwrite)``; ``many``: more than one core per file."""

    write: Callable[[str | os.PathLike, Sequence[Atoms], bool], None]
    many: bool


def _ase_writer(fmt: str) -> Callable[[str | os.PathLike, Sequence[Atoms], bool], None]:
    """A writer of ``cores`` in the ASE format ``fmt``, atomically (temp file + rename)."""

    def write(path: str | os.PathLike, cores: Sequence[Atoms], overwrite: bool) -> None:
        with atomic_output(path, overwrite=overwrite) as tmp:
            ase.io.write(tmp, list(cores), format=fmt)

    write.__name__ = f"write_{fmt}"
    return write


def _write_library(path: str | os.PathLike, cores: Sequence[Atoms], overwrite: bool) -> None:
    write_core_library(path, cores, overwrite=overwrite)


#: edited-core writers by output suffix; the core library keeps provenance, extXYZ and ASE
#: trajectories keep it in each frame's info, CIF/PDB take one core.
CORE_WRITERS: FileTable[CoreWriter] = FileTable("edited-core format", EditError)
CORE_WRITERS.add((".h5", ".hdf5"), CoreWriter(_write_library, many=True))
CORE_WRITERS.add((".xyz", ".extxyz"), CoreWriter(_ase_writer("extxyz"), many=True))
CORE_WRITERS.add(".traj", CoreWriter(_ase_writer("traj"), many=True))
CORE_WRITERS.add(".cif", CoreWriter(_ase_writer("cif"), many=False))
CORE_WRITERS.add(".pdb", CoreWriter(_ase_writer("proteindatabank"), many=False))


def load_core(path: str | os.PathLike, core_only: bool = False) -> Atoms:
    """Read the one core of a file (see :func:`colim.io.core_sources.read_cores`); ``core_only`` strips every non-metal atom."""
    return read_one_core(path, core_only)


def check_output_suffix(path: str | os.PathLike, many: bool) -> str:
    """The lower-case suffix of an output path, refused unless colim can write it (``many``: several cores)."""
    suffix = Path(path).suffix.lower()
    writer = CORE_WRITERS.find(path) if suffix else None
    if writer is None or (many and not writer.many):
        allowed = [key for key in CORE_WRITERS if CORE_WRITERS.find(f"x{key}").many or not many]
        raise EditError(f"cannot write edited cores to '{path}'; use one of: {', '.join(allowed)}")
    return suffix


def write_cores(path: str | os.PathLike, cores: Sequence[Atoms], overwrite: bool = False) -> None:
    """Write cores with provenance in the format of ``path``'s suffix (a core library for ``.h5``/``.hdf5``)."""
    check_output_suffix(path, many=len(cores) != 1)
    CORE_WRITERS.lookup(path).write(path, cores, overwrite)
