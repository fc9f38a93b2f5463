"""The DScribe encoders meet colim's core-encoder contract and register through the entry point."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from colim.cli import cli
from colim.errors import StructureError
from colim.plugins.manager import core_encoders, create_core_encoder
from colim.plugins.testing import check_core_encoder
from colim.structures.core import read_core
from tests.conftest import STRUCTURES

NAMES = ("soap", "acsf", "mbtr")


@pytest.fixture(scope="module")
def cores():
    # Au10S10 and Au11 S-framework cores of different sizes (real CIFs)
    return [read_core(STRUCTURES / "au_thiolate_cifs" / name) for name in ("au10.cif", "11_9.cif", "15_12.cif")]


@pytest.mark.parametrize("name", NAMES)
def test_descriptor_encoder_passes_the_contract(name, cores):
    check_core_encoder(core_encoders().get(name), cores)


@pytest.mark.parametrize("name", NAMES)
def test_descriptor_is_fixed_and_tells_cores_apart(name, cores):
    enc = create_core_encoder(name)
    assert enc.trainable is False and not list(enc.parameters())
    out = enc.encode(cores)
    assert out.shape == (3, enc.embedding_dim)
    assert not (out[0] == out[1]).all()


def test_species_are_configurable_and_unknown_elements_refused(cores):
    enc = create_core_encoder("soap", species=["Au"])
    assert enc.init_args()["species"] == ["Au"]
    with pytest.raises(StructureError) as err:
        enc.featurize(cores[0])
    assert str(err.value) == (f"core {cores[0].info['id']} has element(s) S that the soap descriptor does not cover; "
                              "pass species=[...] including them")


def test_plugins_command_lists_them_from_the_colim_dscribe_package():
    rows = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)
    found = {r["name"]: r["package"] for r in rows if r["name"] in NAMES}
    assert found == {"soap": "colim-dscribe", "acsf": "colim-dscribe", "mbtr": "colim-dscribe"}
