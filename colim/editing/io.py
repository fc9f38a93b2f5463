"""Reading the core to edit and writing edited cores (core library HDF5 or extXYZ/CIF/PDB files)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import ase.io
from ase import Atoms

from colim.output_files import atomic_output
from colim.structures.core import is_metal, make_core
from colim.editing.operator import EditError
from colim.errors import StructureError
from colim.libraries.core_library import write_core_library
from colim.structures.readers import read_structure

#: output suffix → ASE format (``.h5``/``.hdf5`` go to the core library instead).
STRUCTURE_FORMATS = {".xyz": "extxyz", ".extxyz": "extxyz", ".cif": "cif", ".pdb": "proteindatabank"}
LIBRARY_SUFFIXES = (".h5", ".hdf5")


def metal_atoms(atoms: Atoms) -> Atoms:
    """Only the metal atoms of a structure (a whole cluster → its metal core), keeping ``info``."""
    keep = [i for i, s in enumerate(atoms.get_chemical_symbols()) if is_metal(s)]
    if not keep:
        raise StructureError(f"{atoms.info.get('id', atoms.get_chemical_formula())}: no metal atoms to keep")
    core = atoms[keep]
    core.info = dict(atoms.info)
    return core


def load_core(path: str | os.PathLike, core_only: bool = False) -> Atoms:
    """Read a core file; ``core_only`` strips every non-metal atom (ligands, but also a central Cl⁻)."""
    atoms = read_structure(path)
    return make_core(metal_atoms(atoms) if core_only else atoms)


def check_output_suffix(path: str | os.PathLike, many: bool) -> str:
    """The lower-case suffix of an output path, refused unless colim can write it."""
    suffix = Path(path).suffix.lower()
    allowed = LIBRARY_SUFFIXES + (tuple(k for k, v in STRUCTURE_FORMATS.items() if v == "extxyz") if many else tuple(STRUCTURE_FORMATS))
    if suffix not in allowed:
        raise EditError(f"cannot write edited cores to '{path}'; use one of: {', '.join(allowed)}")
    return suffix


def write_cores(path: str | os.PathLike, cores: Sequence[Atoms], overwrite: bool = False) -> None:
    """Write cores with provenance: a core library for ``.h5``/``.hdf5``, else a structure file."""
    suffix = check_output_suffix(path, many=len(cores) != 1)
    if suffix in LIBRARY_SUFFIXES:
        write_core_library(path, cores, overwrite=overwrite)
        return
    fmt = STRUCTURE_FORMATS[suffix]
    with atomic_output(path, overwrite=overwrite) as tmp:
        ase.io.write(tmp, list(cores), format=fmt)
