"""Where a structure file's total cluster charge is stated: NC_Database's table, or the file itself.

* NC_Database (`NC_Database.sqlite`, table ``NC_Data``): column ``q`` is the cluster's charge ("the base
  charge of the cluster", upstream README), column ``path`` the structure file relative to the database's
  folder. A structure file lying under a folder that holds ``NC_Database.sqlite`` (at any depth) takes the
  ``q`` of its row; a file the table does not list has no stated charge.
* extXYZ files may state an integer ``charge=...`` on their comment line (ASE reads it into ``atoms.info``).

Anything else (CIF, plain XYZ, mol2 ...) states no charge: it stays unknown, never guessed.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms

from colim.errors import StructureError

#: the NC_Database table file colim looks for in a structure file's parent folders.
NC_DATABASE_FILE = "NC_Database.sqlite"


@functools.lru_cache(maxsize=16)
def _nc_database_charges(database: Path) -> dict[str, int]:
    """``{relative structure path: q}`` of one NC_Database table (paths with ``/``)."""
    try:
        conn = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute('SELECT "path", "q" FROM NC_Data').fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StructureError(f"{database}: cannot read NC_Database's table NC_Data ({exc})") from None
    return {str(path).replace("\\", "/"): int(q) for path, q in rows if path is not None and q is not None}


@dataclass(frozen=True)
class StatedCharge:
    """A cluster's total charge, where it is stated (``where``: the table and row, or the file and key) and the
    file that states it (for the dataset's input hashes)."""

    charge: int
    where: str
    file: Path


def nc_database_charge(path: str | Path) -> StatedCharge | None:
    """The charge NC_Database's table states for a structure file, or None: no ``NC_Database.sqlite`` above
    the file, or no row for it."""
    file = Path(os.path.abspath(path))
    for folder in file.parents:
        database = folder / NC_DATABASE_FILE
        if database.is_file():
            relative = file.relative_to(folder).as_posix()
            charge = _nc_database_charges(database).get(relative)
            named = database if Path(path).is_absolute() else Path(os.path.relpath(database))
            return None if charge is None else StatedCharge(charge, f"{NC_DATABASE_FILE}:{relative}", named)
    return None


def stated_charge(path: str | Path, atoms: Atoms) -> StatedCharge | None:
    """The total charge of the whole cluster in ``path`` (read as ``atoms``) where a source states it:
    NC_Database's table first, else an integer ``charge`` in ``atoms.info`` (extXYZ); None when unknown."""
    found = nc_database_charge(path)
    if found is not None:
        return found
    value = atoms.info.get("charge")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and float(value).is_integer():
        return StatedCharge(int(value), f"{Path(path).name}: charge={int(value)}", Path(path))
    return None
