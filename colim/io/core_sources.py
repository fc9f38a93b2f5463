"""``read_cores``: the one way cores come in, whatever holds them.

A core source is a structure file (every frame of a multi-frame file, any format in
:data:`colim.io.structure_readers.FORMATS`), a core library (``.h5`` from ``colim library cores`` or
``colim edit enumerate``), a dataset file (``.h5`` from ``colim dataset build``: its cores), or
``ase.Atoms`` already in memory. The HDF5 kinds are rows of :data:`CORE_SOURCES`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Union

from ase import Atoms

from colim.dataset.records import is_dataset_file, load_dataset
from colim.errors import StructureError
from colim.io.file_table import FileTable
from colim.io.structure_readers import read_frames
from colim.libraries.core_library import read_core_library
from colim.structures.core import is_metal, make_core
from colim.validation import show

CoreSource = Union[str, os.PathLike, Atoms]


def _read_h5(path: Path) -> list[Atoms]:
    """The cores of a dataset file, or of a core library."""
    return load_dataset(path).cores if is_dataset_file(path) else read_core_library(path)


#: files that hold cores other than structure files: suffix -> function of the path returning the cores.
CORE_SOURCES: FileTable[Callable[[Path], list[Atoms]]] = FileTable("core source", StructureError)
CORE_SOURCES.add((".h5", ".hdf5"), _read_h5)


def metal_atoms(atoms: Atoms) -> Atoms:
    """Only the metal atoms of a structure (a whole cluster → its metal core), keeping ``info``."""
    keep = [i for i, s in enumerate(atoms.get_chemical_symbols()) if is_metal(s)]
    if not keep:
        raise StructureError(f"{atoms.info.get('id', atoms.get_chemical_formula())}: no metal atoms to keep")
    core = atoms[keep]
    core.info = dict(atoms.info)
    return core


def read_cores(sources: CoreSource | Iterable[CoreSource], core_only: bool = False) -> list[Atoms]:
    """Validated cores (``ase.Atoms`` with ``info['id']``) from one source or several, in order.

    ``core_only`` keeps only the metal atoms of each structure (a whole cluster → its metal core; a
    central Cl⁻ goes too). Raises :class:`colim.errors.StructureError` or
    :class:`colim.errors.LibraryError` with one line naming the bad source.
    """
    items = [sources] if isinstance(sources, (str, os.PathLike, Atoms)) or not isinstance(sources, Iterable) else list(sources)
    cores: list[Atoms] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike, Atoms)):
            raise StructureError(f"a core source must be a structure file, a core library or dataset (.h5) path, or ase.Atoms; got {show(item)}")
        if isinstance(item, Atoms):
            frames = [item]
        else:
            reader = CORE_SOURCES.find(item)
            frames = reader(Path(item)) if reader is not None else read_frames(item)
        cores.extend(make_core(metal_atoms(a) if core_only else a) for a in frames)
    return cores


def read_one_core(source: CoreSource, core_only: bool = False) -> Atoms:
    """The single core of ``source``; refuses a source holding several (say which one to take instead)."""
    cores = read_cores(source, core_only)
    if len(cores) != 1:
        raise StructureError(f"{source}: holds {len(cores)} cores; give a file with one core")
    return cores[0]
