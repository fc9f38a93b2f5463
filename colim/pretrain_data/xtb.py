"""Optional GFN1-xTB backend (tblite): the HOMO–LUMO gap of an EMT-relaxed cluster.

GFN2-xTB fails to converge on Au/Ag clusters, so GFN1-xTB is used, always on an even-electron
charge state (charge 0 or +1) with Fermi smearing (electronic temperature 300 K, retried at 1000 K),
so that HOMO and LUMO are well defined.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.units import Bohr, Hartree, kB

from colim.errors import ColimError

#: electronic temperatures tried in turn (K).
TEMPERATURES: tuple[float, ...] = (300.0, 1000.0)

#: Hartree per kelvin (tblite takes the electronic temperature in Hartree).
_HARTREE_PER_K = kB / Hartree


class BackendUnavailableError(ColimError):
    """An optional energy backend is not installed."""


def require_tblite() -> None:
    """Raise one clear line naming the package to install if tblite is missing."""
    try:
        import tblite.interface  # noqa: F401
    except ImportError as exc:
        raise BackendUnavailableError(
            "backend 'xtb' needs the tblite package: pip install tblite==0.8.0"
        ) from exc


def even_electron_charge(atoms: Atoms) -> int:
    """Charge (0 or +1) that leaves an even number of electrons (valence and total have the same parity)."""
    return int(np.sum(atoms.numbers)) % 2


def xtb_gap(atoms: Atoms) -> dict:
    """GFN1-xTB single point: ``gap`` (eV), ``xtb_energy`` (eV), ``xtb_charge``; empty dict if SCF fails."""
    from tblite.interface import Calculator

    charge = even_electron_charge(atoms)
    for temperature in TEMPERATURES:
        calc = Calculator("GFN1-xTB", atoms.numbers, atoms.positions / Bohr, charge=float(charge), uhf=0)
        calc.set("verbosity", 0)
        calc.set("temperature", temperature * _HARTREE_PER_K)
        calc.set("max-iter", 250)
        try:
            res = calc.singlepoint()
        except RuntimeError:
            continue
        levels = np.sort(res.get("orbital-energies")) * Hartree
        n_occupied = int(round(float(np.sum(res.get("orbital-occupations"))))) // 2  # valence electrons / 2
        return {
            "gap": float(levels[n_occupied] - levels[n_occupied - 1]),
            "xtb_energy": float(res.get("energy")) * Hartree,
            "xtb_charge": charge,
            "xtb_temperature": temperature,
        }
    return {}
