"""Library files: round trips, append skips what is embedded, families, one-line errors on bad files."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from colim.errors import LibraryError
from colim.libraries.core_library import append_core_library, load_core_library, read_core_library, write_core_library
from colim.libraries.encoder_info import EncoderInfo
from colim.libraries.ligand_library import build_ligand_library, load_ligand_library, read_ligand_file
from colim.plugins.manager import create_ligand_encoder
from colim.structures.core import read_core
from colim.structures.families import ligand_family
from tests.conftest import DATA, STRUCTURES

SHIPPED = DATA.parents[1] / "libraries" / "ligands"


def _cores(n):
    return [read_core(p) for p in sorted((STRUCTURES / "au_sch3_dft").glob("*.xyz"))[:n]]


def test_core_library_round_trip_keeps_coordinates_and_provenance(tmp_path):
    cores = _cores(3)
    cores[2].info.update(parent="au18_opt", operator="substitute", site="4", element="Ag", depth=2)
    write_core_library(tmp_path / "c.h5", cores)
    back = read_core_library(tmp_path / "c.h5")
    for a, b in zip(cores, back):
        assert np.array_equal(a.numbers, b.numbers) and np.allclose(a.positions, b.positions, atol=0)
    assert {k: back[2].info[k] for k in ("id", "parent", "operator", "site", "element", "depth")} == {
        "id": cores[2].info["id"], "parent": "au18_opt", "operator": "substitute", "site": "4", "element": "Ag", "depth": 2}


def test_core_append_embeds_only_new_cores(tmp_path):
    info = EncoderInfo("toy", "1", {}, "ab" * 32)
    embedded = []

    def embed(items):
        embedded.append(len(items))
        return np.array([[len(c)] for c in items], dtype=np.float32)

    cores = _cores(4)
    write_core_library(tmp_path / "c.h5", cores[:2], embeddings=embed(cores[:2]), encoder_info=info)
    assert append_core_library(tmp_path / "c.h5", cores, [(info, embed)]) == (2, 2)
    assert embedded == [2, 2]
    lib = load_core_library(tmp_path / "c.h5")
    assert lib.ids == [c.info["id"] for c in cores]
    assert lib.embeddings_for(info)[:, 0].tolist() == [len(c) for c in cores]


def test_ligand_append_embeds_only_new_ligands(tmp_path):
    encoder = create_ligand_encoder("fingerprint", embedding_dim=16)
    ligands = read_ligand_file(SHIPPED / "ligands.csv")
    first = build_ligand_library(tmp_path / "l.h5", ligands[:6], [encoder], max_kinds=2)
    assert first == {"ligands": 6, "new_ligands": 6, "sets": 21, "embedded": 6}
    second = build_ligand_library(tmp_path / "l.h5", ligands[:8], [encoder], max_kinds=2, append=True)
    assert second == {"ligands": 8, "new_ligands": 2, "sets": 36, "embedded": 2}
    lib = load_ligand_library(tmp_path / "l.h5")
    set_emb = lib.embeddings[0][2]
    np.testing.assert_allclose(set_emb, encoder.encode(lib.sets).numpy(), atol=1e-5)


def test_family_classifier_agrees_with_shipped_list():
    with (SHIPPED / "ligands.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [ligand_family(r["smiles"]) for r in rows] == [r["family"] for r in rows]


@pytest.mark.parametrize("content, reason", [(None, "no such core library file"), (b"not hdf5 at all", "not a readable HDF5 core library (truncated or corrupt file)")])
def test_bad_core_library_is_one_line_error(tmp_path, content, reason):
    path = tmp_path / "bad.h5"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LibraryError, match=f"^{path}: {reason.replace('(', '[(]').replace(')', '[)]')}$"):
        read_core_library(path)


def test_ligand_library_is_not_a_core_library(tmp_path):
    encoder = create_ligand_encoder("fingerprint", embedding_dim=8)
    build_ligand_library(tmp_path / "l.h5", read_ligand_file(SHIPPED / "ligands.smi")[:3], [encoder], max_kinds=1)
    with pytest.raises(LibraryError, match=f"^{tmp_path / 'l.h5'}: is a colim-ligand-library file, expected a colim-core-library file$"):
        load_core_library(tmp_path / "l.h5")
