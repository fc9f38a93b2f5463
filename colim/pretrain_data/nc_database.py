"""Pretraining frames from the NC_Database Ag-doped Au thiolate frameworks (GPL-3.0 data, see below).

``shared/data/structures/nc_database`` (mpourmpakis/NC_Database, GPL-3.0) holds 360 PBE-optimised
hypothetical Au(36|102|246|279)-xAgx(SCH3)m frameworks in ``AuAg_NCs/`` and their energies in
``NC_Database.sqlite`` (table ``NC_Data``: ``E_q_eV`` total energy in eV; HOMO/LUMO/GAP are ``none``
for every AuAg row, so these frames carry no gap). Rows whose file is absent are skipped with a note.

**The core.** A frame keeps the metal atoms only (Au, Ag): what :func:`colim.dataset.perception.perceive`
returns as the core of an SCH3-protected framework (its S atoms are bonded to C, so they belong to the
ligands), i.e. what the fine-tuning dataset's cores of the same frameworks look like.

**E_form.** The energies include the ligands and the set has no isolated-atom or bulk references, so
the per-source references are least-squares chemical potentials fitted over all usable rows, one per
Au, Ag and SCH3 unit (S, C and H counts are collinear in these frameworks; the four framework sizes
have different ligand-to-metal ratios, so mu_SCH3 is identifiable):

    E_form = (E_total - n_Au mu_Au - n_Ag mu_Ag - n_SCH3 mu_SCH3) / (n_Au + n_Ag)

per core (metal) atom. These references are specific to this source (``e_form_reference`` =
:data:`NC_REFERENCE_NAME`), never mixed with the ML-Au or EMT zeros: multi-source pretraining gives every
reference its own head (see :mod:`colim.training.pretraining`).
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np
from ase import Atoms

from colim.io.structure_readers import read_structure
from colim.pretrain_data.reader import PretrainDataError
from colim.structures.core import is_metal

#: name of the fitted references, recorded in every frame as ``info['e_form_reference']``.
NC_REFERENCE_NAME = "nc-database-auag-pbe-lsq"
#: ligand unit whose count is the number of S atoms in these frameworks.
LIGAND_UNIT = "SCH3"


def _rows(database: Path) -> list[tuple[str, float, str]]:
    """(name, E_q_eV, path) of every AuAg_NCs row with a numeric energy."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as con:
        raw = con.execute("SELECT NC, E_q_eV, path FROM NC_Data WHERE path LIKE 'AuAg_NCs/%'").fetchall()
    out = []
    for name, energy, path in raw:
        try:
            out.append((str(name), float(energy), str(path)))
        except (TypeError, ValueError):
            continue
    return out


def read_nc_database(root: str | os.PathLike) -> tuple[list[Atoms], list[str]]:
    """Metal cores of the AuAg_NCs frameworks with ``e_form`` (fitted references) and provenance.

    Returns ``(frames, notes)``; a note names every row skipped (file missing, not Au/Ag + SCH3).
    """
    base = Path(root)
    database = base / "NC_Database.sqlite"
    if not database.is_file():
        raise PretrainDataError(f"{database}: no NC_Database.sqlite here")
    notes: list[str] = []
    records = []
    for name, energy, rel in _rows(database):
        file = base / rel
        if not file.is_file():
            notes.append(f"{rel}: named in NC_Database.sqlite but missing, skipped")
            continue
        atoms = read_structure(file)
        counts = Counter(atoms.get_chemical_symbols())
        if set(counts) - {"Au", "Ag", "S", "C", "H"} or counts["C"] != counts["S"] or counts["H"] != 3 * counts["S"]:
            notes.append(f"{rel}: not an Au/Ag framework with whole SCH3 ligands ({atoms.get_chemical_formula()}), skipped")
            continue
        records.append((name, energy, rel, atoms, counts))
    if not records:
        raise PretrainDataError(f"{base}: no usable AuAg_NCs frame")
    design = np.array([[c["Au"], c["Ag"], c["S"]] for *_, c in records], dtype=float)
    energies = np.array([r[1] for r in records])
    mu, *_ = np.linalg.lstsq(design, energies, rcond=None)
    frames = []
    for (name, energy, rel, atoms, counts), row in zip(records, design):
        metal = [i for i, s in enumerate(atoms.get_chemical_symbols()) if is_metal(s)]
        core = Atoms(symbols=[atoms[i].symbol for i in metal], positions=atoms.get_positions()[metal], pbc=False)
        core.info.update({
            "id": f"nc_database/{Path(rel).stem}", "name": name, "energy": energy, "n_ligands": int(counts["S"]),
            "e_form": float((energy - row @ mu) / len(core)), "e_form_reference": NC_REFERENCE_NAME,
            "mu_au": float(mu[0]), "mu_ag": float(mu[1]), "mu_sch3": float(mu[2]),
            "provenance": "mpourmpakis/NC_Database d9656e3 (GPL-3.0), AuAg_NCs metal atoms",
        })
        frames.append(core)
    return frames, notes


def write_nc_database_set(root: str | os.PathLike, output: str | os.PathLike, overwrite: bool = False) -> tuple[int, list[str]]:
    """Write :func:`read_nc_database`'s frames to an extended-XYZ pretraining set; returns (count, notes)."""
    from ase.io import write

    from colim.io.output_files import atomic_output

    frames, notes = read_nc_database(root)
    gz = str(output).endswith(".gz")
    with atomic_output(output, overwrite=overwrite) as tmp:
        if gz:
            import gzip

            with gzip.open(tmp, "wt") as fh:
                write(fh, frames, format="extxyz")
        else:
            write(str(tmp), frames, format="extxyz")
    return len(frames), notes
