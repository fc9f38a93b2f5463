"""Real cores and ligand sets for encoder plugin tests."""

from __future__ import annotations

import pytest
from ase import Atoms

from colim.io.structure_readers import read_structure
from colim.structures.core import is_metal, make_core
from colim.structures.ligands import LigandSet
from tests.conftest import STRUCTURES

PET = "[S]CCc1ccccc1"
PPH3 = "c1ccc(P(c2ccccc2)c2ccccc2)cc1"
FORMATE = "O=C[O]"
MESH = "C[S]"
PMBA = "O=C(O)c1ccc([S])cc1"


def metal_core(relative: str) -> Atoms:
    """The metal atoms of a shipped whole-cluster structure, as a core."""
    atoms = read_structure(STRUCTURES / relative)
    keep = [i for i, s in enumerate(atoms.get_chemical_symbols()) if is_metal(s)]
    return make_core(atoms[keep], atoms.info["id"])


def real_cores() -> list[Atoms]:
    """Au25 (DFT), an Au24Ag alloy made from it, Au10S10 (a core with its S atoms) and Au38 (DFT)."""
    au25 = metal_core("au_sch3_dft/au25_opt.xyz")
    alloy = au25.copy()
    centre = int(((alloy.positions - alloy.positions.mean(axis=0)) ** 2).sum(axis=1).argmin())
    alloy[centre].symbol = "Ag"
    alloy.info["id"] = "au24ag"
    au10s10 = make_core(read_structure(STRUCTURES / "au_thiolate_cifs" / "au10.cif"))
    return [au25, alloy, au10s10, metal_core("au_sch3_dft/au38_opt.xyz")]


@pytest.fixture(scope="session")
def cores() -> list[Atoms]:
    return real_cores()


@pytest.fixture(scope="session")
def ligand_sets() -> list[LigandSet]:
    """Single ligands, a two-ligand set and the Cu19 case's PET:PPh3:HCOO = 12:3:6 set."""
    return [
        LigandSet.of([PET]),
        LigandSet.of([MESH, PPH3]),
        LigandSet.parse(f"{PET}.{PPH3}.{FORMATE} 12:3:6"),
        LigandSet.of([PMBA]),
        LigandSet.of([FORMATE, MESH]),
    ]
