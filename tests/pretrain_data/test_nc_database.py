"""NC_Database Ag-doped frameworks as a pretraining source: metal cores, fitted references, skipped rows."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from colim.cli import cli
from colim.pretrain_data import load_pretraining_set
from colim.pretrain_data.nc_database import NC_REFERENCE_NAME, read_nc_database
from colim.pretrain_data.reader import PretrainDataError
from tests.conftest import DATA

NC = DATA / "pretrain" / "nc_database_subset"


@pytest.fixture(scope="module")
def frames_and_notes():
    return read_nc_database(NC)


def test_cores_are_the_metal_atoms_with_energies_from_the_sqlite(frames_and_notes):
    frames, _ = frames_and_notes
    assert sorted(a.get_chemical_formula() for a in frames) == ["Ag10Au92", "Ag18Au18", "Ag4Au32", "Ag4Au32", "Ag51Au51"]
    first = next(a for a in frames if a.info["id"].endswith("36_24-Ag-11_1-000001-PBE_opt"))
    assert first.info["name"] == "Au32Ag4(sch3)24" and first.info["n_ligands"] == 24
    assert first.info["e_form_reference"] == NC_REFERENCE_NAME and "GPL-3.0" in first.info["provenance"]
    assert set(first.get_chemical_symbols()) == {"Au", "Ag"} and not first.pbc.any()


def test_formation_energies_are_least_squares_residuals_per_metal_atom(frames_and_notes):
    frames, _ = frames_and_notes
    mu = np.array([frames[0].info[k] for k in ("mu_au", "mu_ag", "mu_sch3")])
    design = np.array([[a.get_chemical_symbols().count("Au"), a.get_chemical_symbols().count("Ag"), a.info["n_ligands"]] for a in frames])
    energy = np.array([a.info["energy"] for a in frames])
    residual = energy - design @ mu
    np.testing.assert_allclose([a.info["e_form"] for a in frames], residual / design[:, :2].sum(axis=1))
    assert np.abs(design.T @ residual).max() < 1e-3 * np.abs(energy).max()  # the normal equations hold
    assert all(abs(a.info["e_form"]) < 0.1 for a in frames)


def test_rows_whose_file_is_missing_are_skipped_with_a_note(frames_and_notes):
    _, notes = frames_and_notes
    assert len(notes) == 355 and all(n.endswith("named in NC_Database.sqlite but missing, skipped") for n in notes)


def test_cli_writes_a_pretraining_set_the_reader_loads(tmp_path):
    out = tmp_path / "nc.extxyz.gz"
    result = CliRunner().invoke(cli, ["pretrain-data", "nc-database", str(NC), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 5 NC_Database frames" in result.output and "GPL-3.0" in result.output
    frames = load_pretraining_set(out)
    assert len(frames) == 5 and {a.info["e_form_reference"] for a in frames} == {NC_REFERENCE_NAME}


def test_a_folder_without_the_database_is_a_one_line_error(tmp_path):
    with pytest.raises(PretrainDataError, match="no NC_Database.sqlite here"):
        read_nc_database(tmp_path)
