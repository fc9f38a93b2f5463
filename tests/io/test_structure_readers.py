"""Reading real structures: every shared file yields Atoms or one clear error line."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from colim.errors import StructureError
from colim.io.structure_readers import read_structure
from colim.structures.core import make_core, read_core

from tests.conftest import STRUCTURES

#: the licence and provenance notes and the charge table kept beside a copied database (nc_database/), not structures.
DOCUMENTS = {"LICENSE", "README.md", "README.upstream.md", "NC_Database.sqlite"}
ALL_FILES = sorted(p for p in STRUCTURES.rglob("*") if p.is_file() and p.name not in DOCUMENTS)
UNREADABLE = {
    "atom_init.json": "unknown structure format '.json'",
    "Au133SR52.txt": "unknown structure format '.txt'",
    "au144SR60_NM.xyz": "unknown element 'St'",
    "au314SR96_NM.xyz": "unknown element 'St'",
}


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_shared_file_reads_or_fails_in_one_line(path):
    if path.name in UNREADABLE:
        with pytest.raises(StructureError) as info:
            read_structure(path)
        assert UNREADABLE[path.name] in str(info.value)
        assert "\n" not in str(info.value)
        return
    atoms = read_structure(path)
    assert isinstance(atoms, Atoms) and len(atoms) > 0
    assert not atoms.pbc.any()
    assert "Au" in atoms.get_chemical_symbols()
    assert atoms.info["id"] == path.stem


def test_gro_cluster_in_a_box_is_unwrapped_whole():
    atoms = read_structure(STRUCTURES / "nanomodeler_au_sr" / "au25_pet18.gro")
    assert atoms.get_chemical_formula() == "C144H162Au25S18"
    # A whole Au25(PET)18 is ~2 nm across; a wrapped one would span its 4.9 nm box.
    assert np.ptp(atoms.positions, axis=0).max() < 25.0


def test_headerless_xyz_rows_are_read():
    atoms = read_structure(STRUCTURES / "au_sch3_dft" / "au25_opt.xyz")
    assert atoms.get_chemical_formula() == "C18H54Au25S18"


def test_wrong_atom_count_is_one_line(tmp_path):
    bad = tmp_path / "bad.xyz"
    bad.write_text("5\ncomment\nAu 0 0 0\nAu 2.8 0 0\n")
    with pytest.raises(StructureError) as info:
        read_structure(bad)
    assert str(info.value).startswith(f"{bad}: cannot read as extxyz")


def test_core_without_metal_is_refused(tmp_path):
    path = tmp_path / "s8.xyz"
    path.write_text("2\n\nS 0 0 0\nS 2.0 0 0\n")
    with pytest.raises(StructureError, match="a core needs at least one metal atom, got S2"):
        read_core(path)


def test_periodic_core_is_refused():
    bulk = Atoms("Au", cell=[2.9, 2.9, 2.9], pbc=True)
    with pytest.raises(StructureError, match="periodic"):
        make_core(bulk, "bulk")
