"""GROMACS ``.gro`` files, with elements read from atom names the way GROMACS tools do for ions and metals.

ASE takes the first two letters of an atom name and, failing an element, single letters: ``AU``
becomes uranium and ``AG`` silver only by luck. Here an atom name names a two-letter element when it
is one of the metals colim's clusters hold (``AU``, ``Au1``, ``AG``, ``CU``, ...) or when it equals its
residue name (ion residues: ``NA``/``NA``); otherwise its first letter is the element (``CA``, ``CD``,
``HG`` in ligands are carbon and hydrogen, as force fields name them).
"""

from __future__ import annotations

from pathlib import Path

from ase import Atoms
from ase.data import atomic_numbers
from ase.io import read as ase_read

from colim.errors import StructureError

#: two-letter elements an atom name is read as whenever its first two letters spell one (case-insensitive).
METAL_NAMES = frozenset({"Au", "Ag", "Cu", "Pt", "Pd", "Ni", "Zn", "Ir", "Rh", "Fe", "Ru", "Os"})


def gro_element(atom_name: str, residue_name: str = "") -> str:
    """The element of a GROMACS atom name (``AU`` → Au, ``CA`` → C, ``NA`` in residue ``NA`` → Na)."""
    name = atom_name.strip().lstrip("0123456789")
    if not name:
        raise StructureError(f"empty atom name '{atom_name}'")
    two = name[:2].capitalize()
    residue = residue_name.strip().lstrip("0123456789")
    if len(name) >= 2 and two in atomic_numbers and (two in METAL_NAMES or residue.capitalize() == name.capitalize()):
        return two
    one = name[0].upper()
    if one in atomic_numbers:
        return one
    raise StructureError(f"unknown element for GROMACS atom name '{atom_name}'")


def read_gro(path: Path, index: int | str) -> Atoms | list[Atoms]:
    """Read a .gro file (first frame) with GROMACS element names; ``index`` ':' gives a one-frame list."""
    atoms = ase_read(path, format="gromacs")
    lines = Path(path).read_text(errors="replace").splitlines()
    rows = lines[2 : 2 + len(atoms)]
    try:
        symbols = [gro_element(row[10:15], row[5:10]) for row in rows]
    except StructureError as exc:
        raise StructureError(f"{path}: {exc}") from None
    atoms.set_chemical_symbols(symbols)
    return [atoms] if index == ":" else atoms
