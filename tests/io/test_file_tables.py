"""One table per kind of file (colim/io/file_table.py): structure readers, edited-core writers, hit
readers/writers and core sources; a suffix is claimed once; one read_cores behind every source."""

from __future__ import annotations

import ase.io
import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from colim.dataset.records import load_dataset
from colim.errors import StructureError
from colim.io.core_sources import CORE_SOURCES, read_cores
from colim.io.edited_cores import CORE_WRITERS, write_cores
from colim.io.file_table import FileTable
from colim.io.hit_tables import HIT_FORMATS, OUTPUT_FORMATS, read_hits, write_hits
from colim.io.structure_readers import FORMATS, read_frames, read_structure
from colim.libraries.core_library import read_core_library
from tests.conftest import STRUCTURES

AU25 = STRUCTURES / "au_sch3_dft" / "au25_opt.xyz"
SHIPPED_DATASET = STRUCTURES.parents[2] / "libraries" / "dataset" / "shared_structures.h5"


@pytest.fixture(scope="module")
def au25():
    return read_structure(AU25)


@pytest.mark.parametrize("name, fmt", [("au25.traj", "traj"), ("POSCAR", "vasp"), ("au25.vasp", "vasp"), ("au25.xsf", "xsf"), ("au25.cube", "cube")])
def test_ase_formats_a_chemist_uses_read_back_the_same_cluster(tmp_path, au25, name, fmt):
    boxed = au25.copy()
    boxed.center(vacuum=6.0)
    if fmt == "vasp":
        boxed.pbc = True  # a cluster in a periodic VASP box is unwrapped to a finite cluster
    path = tmp_path / name
    if fmt == "cube":
        ase.io.write(path, boxed, format="cube", data=np.zeros((4, 4, 4)))
    else:
        ase.io.write(path, boxed, format=fmt)
    atoms = read_structure(path)
    assert atoms.get_chemical_formula() == au25.get_chemical_formula() and not atoms.pbc.any()
    assert np.allclose(atoms.get_all_distances(), au25.get_all_distances(), atol=1e-3)


def test_sdf_records_are_frames_read_through_rdkit(tmp_path):
    writer = Chem.SDWriter(str(tmp_path / "thiols.sdf"))
    for smiles in ("CS", "CCS"):
        mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
        AllChem.EmbedMolecule(mol, randomSeed=0)
        writer.write(mol)
    writer.close()
    frames = read_frames(tmp_path / "thiols.sdf")
    assert [f.get_chemical_formula() for f in frames] == ["CH4S", "C2H6S"]
    assert [f.info["id"] for f in frames] == ["thiols#0", "thiols#1"]


def test_a_suffix_is_claimed_once():
    table: FileTable[str] = FileTable("thing")
    table.add((".a", ".B"), "first")
    with pytest.raises(ValueError, match=r"thing '\.b' is already registered \('first'\); cannot add 'second'"):
        table.add(".b", "second")
    for registry in (FORMATS, CORE_WRITERS, HIT_FORMATS, CORE_SOURCES):
        with pytest.raises(ValueError, match="already registered"):
            registry.add(registry.keys()[0], registry.find("x" + registry.keys()[0]))


def test_unknown_suffix_lists_what_colim_reads(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("hello")
    with pytest.raises(StructureError, match=r"x\.txt: unknown structure format '\.txt'; colim handles \.xyz, \.extxyz, .*\.traj, .*POSCAR"):
        read_structure(path)


def test_edited_core_writers_keep_provenance_in_every_multi_core_format(tmp_path, au25):
    parent = read_cores(AU25, core_only=True)[0]
    child = parent[:-1]
    child.info.update(id="au25_opt~remove:24", parent="au25_opt", operator="remove", site="24", depth=1)
    for suffix in (".h5", ".xyz", ".traj"):
        write_cores(tmp_path / f"c{suffix}", [parent, child])
        back = read_cores(tmp_path / f"c{suffix}")
        assert [c.info["id"] for c in back] == ["au25_opt", "au25_opt~remove:24"], suffix
        assert (back[1].info["parent"], back[1].info["operator"], str(back[1].info["site"]), back[1].info["depth"]) == ("au25_opt", "remove", "24", 1), suffix
    assert [k for k in CORE_WRITERS if not CORE_WRITERS.find("x" + k).many] == [".cif", ".pdb"]


def test_hit_formats_round_trip_the_table(tmp_path):
    hits = pd.DataFrame({"core_id": ["a", "b"], "rank": [1, 1], "ligand_set": ["[S]C", "3"], "probability": [0.9, 0.1]})
    for suffix in (".csv", ".parquet", ".h5"):
        write_hits(hits, tmp_path / f"hits{suffix}", {"cores": 2})
        pd.testing.assert_frame_equal(read_hits(tmp_path / f"hits{suffix}")[hits.columns], hits, check_dtype=False)
    assert OUTPUT_FORMATS == ("csv", "parquet", "h5")


def test_read_cores_takes_every_source(tmp_path):
    write_cores(tmp_path / "lib.h5", read_cores(AU25, core_only=True))
    dataset_cores = load_dataset(SHIPPED_DATASET).cores
    cores = read_cores([AU25, tmp_path / "lib.h5", SHIPPED_DATASET, read_structure(AU25)], core_only=True)
    assert len(cores) == 3 + len(dataset_cores)
    assert [c.get_chemical_formula() for c in cores[:2]] == ["Au25", "Au25"] and len(cores[-1]) == 25
    assert [c.info["id"] for c in read_core_library(tmp_path / "lib.h5")] == ["au25_opt"]
