"""Cores: the inorganic heart of a nanocluster as a non-periodic ``ase.Atoms`` with an id.

A core holds the metal atoms (Au, Ag, Cu and dopants) and the inorganic non-metal atoms bonded only
to metals (a central Cl⁻, S²⁻, Se²⁻, hydrides...). Its id lives in ``atoms.info['id']``.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols

from colim.errors import StructureError
from colim.io.structure_readers import read_structure, validate_atoms

#: metals colim treats as core atoms (coinage metals and their usual dopants).
CORE_METALS = frozenset(
    "Au Ag Cu Pd Pt Cd Hg Ni Zn Co Fe Ir Rh Ru Os Re Mo W Al Ga In Tl Sn Pb Bi Sb Li Na K Rb Cs Mg Ca Sr Ba Ti V Cr Mn Zr Nb Y La Ce".split()
)


#: ``core.info`` key of a core's (mean formal) metal oxidation state: MetaLig's for a complex's metal atom,
#: counted from the stated cluster charge for a cluster (:mod:`colim.structures.oxidation`), absent where
#: unknown (see :func:`oxidation_state`).
OXIDATION_STATE = "oxidation_state"
#: ``core.info`` keys of the whole cluster's total charge (core + ligands) where a source states it
#: (:mod:`colim.io.cluster_charges`), and of that source.
CLUSTER_CHARGE = "cluster_charge"
CHARGE_SOURCE = "charge_source"


def oxidation_state(core: Atoms) -> float | None:
    """The core's metal oxidation state from ``core.info``, or None when it is unknown (or not a finite number)."""
    value = core.info.get(OXIDATION_STATE)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def is_metal(symbol: str) -> bool:
    """True for the metals colim treats as core atoms."""
    return symbol in CORE_METALS


def core_id(core: Atoms) -> str:
    """The id of a core (``atoms.info['id']``), or a content hash when it has none."""
    return str(core.info.get("id") or structure_hash(core)[:12])


def structure_hash(atoms: Atoms, decimals: int = 4) -> str:
    """sha256 of elements and coordinates rounded to ``decimals`` Å: a stable content id."""
    h = hashlib.sha256()
    h.update(np.asarray(atoms.numbers, dtype=np.int64).tobytes())
    h.update(np.round(atoms.get_positions(), decimals).astype(np.float64).tobytes())
    return h.hexdigest()


def make_core(atoms: Atoms, core_id: str | None = None) -> Atoms:
    """Validate ``atoms`` as a core and return a non-periodic copy carrying an id.

    Raises :class:`StructureError` for periodic structures, cores without a metal atom, unknown
    elements, NaN or overlapping coordinates.
    """
    source = _label(atoms, core_id)
    if atoms.pbc.any():
        raise StructureError(f"{source}: the structure is periodic; a core must be a finite cluster")
    validate_atoms(atoms, source)
    symbols = atoms.get_chemical_symbols()
    if not any(is_metal(s) for s in symbols):
        raise StructureError(f"{source}: a core needs at least one metal atom, got {atoms.get_chemical_formula()}")
    core = atoms.copy()
    core.info = dict(atoms.info)
    core.info["id"] = core_id or atoms.info.get("id") or structure_hash(atoms)[:12]
    return core


def _label(atoms: Atoms, core_id: str | None) -> str:
    """How errors name a core: its file (``atoms.info['source']``, plus the id when it is not the file stem), else its id."""
    ident, source = core_id or atoms.info.get("id"), atoms.info.get("source")
    if source:
        stem = os.path.splitext(os.path.basename(str(source)))[0]
        return str(source) if ident in (None, stem) else f"{source} ({ident})"
    return str(ident or atoms.get_chemical_formula())


def read_core(path: str | os.PathLike, core_id: str | None = None) -> Atoms:
    """Read a core file (XYZ/extXYZ/CIF/PDB/GRO/mol2) and validate it as a core."""
    return make_core(read_structure(path), core_id)


def composition(core: Atoms) -> dict[str, int]:
    """Element counts of a core, in the Hill order ASE uses."""
    counts: dict[str, int] = {}
    for z in core.numbers:
        s = chemical_symbols[z]
        counts[s] = counts.get(s, 0) + 1
    return counts
