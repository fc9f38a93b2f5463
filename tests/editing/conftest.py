"""Real cores for the editing tests: Au13 icosahedra (ASE's and the Au25 heart) and the Au25 metal core."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.cluster import Icosahedron

from colim.io.edited_cores import load_core

from ..conftest import STRUCTURES

AU25_DFT = STRUCTURES / "au_sch3_dft" / "au25_opt.xyz"
AU25_NM = STRUCTURES / "nanomodeler_au_sr" / "au25SR18_NM.pdb"
#: the DFT-relaxed Au25 core is Th-symmetric to 0.13 Å (exactly symmetric only to a lower group).
AU25_TOL = 0.2


@pytest.fixture(scope="session")
def au25() -> Atoms:
    return load_core(AU25_DFT, core_only=True)


@pytest.fixture(scope="session")
def au13_heart(au25) -> Atoms:
    """The 13 atoms of the Au25 core nearest its centre: a centred icosahedron."""
    x = au25.get_positions() - au25.get_positions().mean(axis=0)
    core = au25[np.argsort(np.linalg.norm(x, axis=1))[:13]]
    core.info = {"id": "au25_heart"}
    return core


@pytest.fixture(scope="session")
def ico13() -> Atoms:
    core = Icosahedron("Au", 2)
    core.info = {"id": "Au13"}
    return core
