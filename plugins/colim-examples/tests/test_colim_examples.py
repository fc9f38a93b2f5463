"""The tutorial plugins of docs/plugins.md, installed as the colim-examples package and used through colim.

Runs after ``pip install -e plugins/colim-examples`` (the README's set-up command and .ci/run do it).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.io import read
from click.testing import CliRunner

from colim.cli import cli
from colim.editing import EditError
from colim.editing.enumerate import enumerate_edits
from colim.editing.spec import parse_operators
from colim.io.structure_readers import read_structure
from colim.model.dual_encoder import CoLiMModel
from colim.plugins.manager import create_core_encoder, create_ligand_encoder, edit_operators, reset_plugins
from colim.plugins.testing import check_core_encoder
from colim.structures.core import make_core
from colim.structures.ligands import LigandSet

STRUCTURES = Path(__file__).resolve().parents[3] / "tests" / "data" / "structures"


def gold_core(path: str) -> Atoms:
    """The Au atoms of a real DFT-optimised Au_n(SCH3)_m cluster, as a core."""
    cluster = read_structure(STRUCTURES / path)
    return make_core(cluster[[s == "Au" for s in cluster.get_chemical_symbols()]], core_id=Path(path).stem)


@pytest.fixture(scope="module")
def cores() -> list[Atoms]:
    return [gold_core("au_sch3_dft/au25_opt.xyz"), gold_core("au_sch3_dft/au18_opt.xyz"), gold_core("au_sch3_dft/au38_opt.xyz")]


@pytest.fixture
def plugins():
    reset_plugins()
    yield
    reset_plugins()


def test_colim_plugins_lists_both_examples_from_their_package(plugins):
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {(r["kind"], r["name"]): r for r in json.loads(result.output)}
    assert rows[("core encoder", "coulomb-eigen")]["package"] == "colim-examples"
    assert rows[("edit operator", "breathe")]["package"] == "colim-examples"
    assert rows[("edit operator", "breathe")]["class"] == "colim_examples.BreatheOperator"


def test_coulomb_eigen_meets_the_core_encoder_contract(plugins, cores):
    encoder = create_core_encoder("coulomb-eigen", size=32)
    check_core_encoder(encoder, cores)
    assert encoder.trainable is False


def test_coulomb_eigen_is_invariant_to_rotation_and_atom_order(plugins, cores):
    encoder = create_core_encoder("coulomb-eigen", size=30)
    core = cores[0]
    moved = core.copy()
    moved.rotate(37, "x", center="COM")
    moved.rotate(71, (1, 1, 0))
    moved.translate((3.0, -2.0, 5.0))
    shuffled = moved[np.random.default_rng(0).permutation(len(moved))]
    out = encoder.encode([core, shuffled])
    assert out.shape == (2, 30)
    torch.testing.assert_close(out[0], out[1], atol=1e-4, rtol=1e-5)
    # 25 atoms padded to 30: the tail is zero, the head is sorted, largest first
    assert torch.all(out[0, 25:] == 0)
    assert torch.all(out[0, :24] >= out[0, 1:25])
    # a different core gives a different vector
    assert not torch.allclose(out[0], encoder.encode([cores[1]])[0])


def test_coulomb_eigen_plugs_into_the_colim_model(plugins, cores):
    model = CoLiMModel(create_core_encoder("coulomb-eigen", size=16), create_ligand_encoder("fingerprint", embedding_dim=8), hidden_dims=(8,))
    model.eval()
    encoder = model.core_encoder
    batch = encoder.collate([encoder.featurize(c) for c in cores])
    sets = [LigandSet.parse("[S]CCc1ccccc1"), LigandSet.parse("[S]C.P(c1ccccc1)(c1ccccc1)c1ccccc1 12:3"), LigandSet.parse("[Cl]")]
    logits = model(batch, sets)
    assert logits.shape == (3,) and bool(torch.isfinite(logits).all())


def radii(core: Atoms) -> np.ndarray:
    return np.linalg.norm(core.get_positions() - core.get_positions().mean(axis=0), axis=1)


def test_breathe_sites_are_the_radial_shells_of_au25(plugins, cores):
    operator = edit_operators().get("breathe")(["1.05"])
    core = cores[0]
    sites = operator.sites(core)
    shells = [site.indices for site in sites]
    # the centre atom is in no shell, every other atom in exactly one
    assert sorted(i for shell in shells for i in shell) == sorted(set(range(len(core))) - {int(np.argmin(radii(core)))})
    # Au25: 12 icosahedral-surface atoms first (about 2.8 Å out), then the 12 staple Au atoms
    assert len(shells[0]) == 12
    assert [site.label for site in sites] == ["shell1*1.05", "shell2*1.05"]


def test_breathe_is_pure_and_scales_only_its_shell(plugins, cores):
    operator = edit_operators().get("breathe")(["1.05"])
    core = cores[0]
    before_positions, before_info = core.get_positions().copy(), dict(core.info)
    site = operator.sites(core)[0]
    edited = operator.apply(core, site)
    again = operator.apply(core, site)
    assert np.array_equal(core.get_positions(), before_positions) and core.info == before_info
    assert np.array_equal(edited.get_positions(), again.get_positions())
    assert edited is not core and edited.get_chemical_symbols() == core.get_chemical_symbols()
    moved = list(site.indices)
    still = [i for i in range(len(core)) if i not in site.indices]
    np.testing.assert_allclose(radii(edited)[moved], 1.05 * radii(core)[moved], rtol=1e-9)
    np.testing.assert_array_equal(edited.get_positions()[still], core.get_positions()[still])
    make_core(edited)  # still a valid core: finite, no overlapping atoms, has a metal
    assert (edited.info["parent"], edited.info["operator"], edited.info["depth"]) == ("au25_opt", "breathe", 1)


@pytest.mark.parametrize("path", ["au_sch3_dft/au25_opt.xyz", "au_sch3_dft/au38_opt.xyz", "au_sch3_dft/au44_opt.xyz"])
def test_every_breathe_edit_of_a_real_core_is_a_valid_core(plugins, path):
    core = gold_core(path)
    for factor in ("0.97", "1.08"):
        operator = edit_operators().get("breathe")([factor])
        for site in operator.sites(core):
            edited = make_core(operator.apply(core, site))
            assert len(edited) == len(core)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["huge"], "breathe: the scale factor must be a number between 0.5 and 2, got 'huge'"),
        (["3"], "breathe: the scale factor must be a number between 0.5 and 2, got '3'"),
        (["1.1", "1.2"], "breathe needs exactly one argument, the scale factor (e.g. breathe:1.05), got 2"),
        ([], "breathe needs exactly one argument, the scale factor (e.g. breathe:1.05), got 0"),
    ],
)
def test_breathe_refuses_a_bad_factor_with_one_line(plugins, args, message):
    with pytest.raises(EditError) as info:
        edit_operators().get("breathe")(args)
    assert str(info.value) == message


def test_colim_enumerates_breathe_edits_from_the_command_line_spec(plugins, cores):
    operators = parse_operators("breathe:0.97,breathe:1.05")
    assert [op.spec for op in operators] == ["breathe:0.97", "breathe:1.05"]
    result = enumerate_edits(cores[0], operators, tol=0.1)  # a 3 % breathe moves atoms by less than the 0.2 Å default
    shells = len(operators[0].sites(cores[0]))
    # each shell is its own symmetry class; every kept core is one breathed shell of the parent
    assert 0 < len(result.cores) <= 2 * shells
    assert sum(s.unique + s.duplicates + sum(s.rejected.values()) for s in result.stats) == 2 * shells
    for core in result.cores:
        assert core.info["operator"] == "breathe" and core.info["parent"] == "au25_opt"
        assert len(core) == len(cores[0])
    assert len({core.info["id"] for core in result.cores}) == len(result.cores)


def test_colim_edit_enumerate_runs_breathe_from_the_command_line(plugins, tmp_path):
    out = tmp_path / "breathed.xyz"
    args = ["edit", "enumerate", str(STRUCTURES / "au_sch3_dft" / "au38_opt.xyz"), "--core-only", "--ops", "breathe:0.9,breathe:1.1", "--no-parent", "-o", str(out), "--silent"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    edited = read(str(out), index=":")
    assert edited and all(atoms.info["operator"] == "breathe" for atoms in edited)
    assert {atoms.info["site"].split(":")[0].split("*")[1] for atoms in edited} == {"0.9", "1.1"}
