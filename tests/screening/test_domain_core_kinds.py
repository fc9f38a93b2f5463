"""The applicability domain tells an element seen in clusters from one seen only in mononuclear complexes
(single-metal cores): a reference built from the shipped Au clusters plus real Cu, Ag and Au complexes
marks an ASE Cu55 icosahedron "complexes only" with one warning line naming Cu, in the hit columns, the
summary, ``colim screen`` and ``colim explain``; a reference saved without the record keeps today's behaviour."""

from __future__ import annotations

import json

import pytest
from ase import Atoms
from ase.cluster import Icosahedron
from click.testing import CliRunner

from colim.cli import cli
from colim.dataset.records import MatchingDataset, PairRecord
from colim.defaults import DEFAULT_DEMO_CORE, shipped
from colim.io.hit_tables import read_hits, summary_path
from colim.libraries.core_library import build_core_library
from colim.libraries.ligand_library import Ligand, build_ligand_library
from colim.model.checkpoint import load_checkpoint, save_checkpoint
from colim.model.domain import DomainReference, build_reference, core_kinds
from colim.model.members import ModelMember
from colim.screening.screen import screen
from colim.structures.core import make_core, read_core
from colim.structures.families import ligand_family
from colim.structures.ligands import LigandSet, canonical_smiles
from tests.screening.conftest import LIGAND_SMILES, make_model
from tests.screening.test_domain import small_au_dataset

PPH3, CL = "c1ccc(P(c2ccccc2)c2ccccc2)cc1", "[Cl]"
#: real mononuclear complexes: [CuCl(PPh3)3], [Ag(PPh3)4]+, [AuCl(PPh3)] (metal centre → ligand set).
COMPLEXES = (("Cu", f"{CL}.{PPH3}"), ("Ag", PPH3), ("Au", f"{CL}.{PPH3}"))
CU_LINE = "Cu (in 1 of 4 cores): seen only in mononuclear complexes, never in a cluster: scores transfer from coordination chemistry"


def with_complexes(clusters: MatchingDataset) -> MatchingDataset:
    """The cluster dataset plus one single-metal-atom core per complex, its ligand set a training positive."""
    cores, pairs = list(clusters.cores), list(clusters.pairs)
    for metal, smiles in COMPLEXES:
        cores.append(make_core(Atoms(metal, positions=[[0.0, 0.0, 0.0]]), f"{metal}-complex-centre"))
        pairs.append(PairRecord(len(cores) - 1, LigandSet.parse(smiles), 1, "train", f"{metal}-complex", "reported"))
    return MatchingDataset(cores, pairs, {"subset": "Au clusters + complexes"}, {})


@pytest.fixture(scope="module")
def kinds_setup(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("kinds")
    model = make_model(3)
    model.domain_reference = build_reference(model, with_complexes(small_au_dataset())).to_payload()
    ckpt = root / "model.pt"
    save_checkpoint(model, ckpt, {"seed": 3})
    au25 = read_core(shipped(DEFAULT_DEMO_CORE))
    cores = [au25, Icosahedron("Cu", 3), Icosahedron("Ag", 2), Icosahedron("Pt", 2)]
    for core, name in zip(cores[1:], ("cu55", "ag13", "pt13")):
        core.info["id"] = name
    core_lib = root / "cores.h5"
    build_core_library(core_lib, cores, [model.core_encoder])
    ligands = [Ligand(canonical_smiles(s), name, ligand_family(canonical_smiles(s))) for name, s in LIGAND_SMILES.items()]
    ligand_lib = root / "ligands.h5"
    build_ligand_library(ligand_lib, ligands, [model.ligand_encoder], max_kinds=1)
    return {"root": root, "ckpt": ckpt, "core_lib": core_lib, "ligand_lib": ligand_lib, "au25": au25.info["id"]}


def test_core_kinds_count_one_metal_atom_as_a_complex():
    clusters = small_au_dataset()
    assert core_kinds(clusters.cores) == (("Au",), ())
    assert core_kinds(with_complexes(clusters).cores) == (("Au",), ("Ag", "Au", "Cu"))
    assert core_kinds([Icosahedron("Cu", 2), make_core(Atoms("AuCl", positions=[[0, 0, 0], [2.3, 0, 0]]), "aucl")]) == (("Cu",), ("Au", "Cl"))


def test_checkpoint_reference_records_cluster_and_complex_elements(kinds_setup):
    model, _ = load_checkpoint(kinds_setup["ckpt"])
    ref = DomainReference.from_payload(model.domain_reference)
    assert ref.elements == ("Ag", "Au", "Cu")
    assert (ref.cluster_elements, ref.complex_elements, ref.complex_only) == (("Au",), ("Ag", "Au", "Cu"), frozenset({"Ag", "Cu"}))
    assert ref.summary()["complex_only_elements"] == ["Ag", "Cu"]
    assert [ref.core_seen_in(e) for e in ({"Au"}, {"Au", "Cu"}, {"Cu"}, {"Pt"})] == ["clusters", "complexes only", "complexes only", "never"]


def test_screen_marks_cu55_complexes_only_with_one_line_per_element(kinds_setup, tmp_path):
    model, _ = load_checkpoint(kinds_setup["ckpt"])
    out = tmp_path / "hits.parquet"
    result = screen(kinds_setup["core_lib"], kinds_setup["ligand_lib"], [ModelMember("m", model, {})], out)
    seen = result.hits.groupby("core_id")["core_seen_in"].unique().map(list).to_dict()
    assert seen == {kinds_setup["au25"]: ["clusters"], "cu55": ["complexes only"], "ag13": ["complexes only"], "pt13": ["never"]}
    warnings = result.summary["warnings"]
    assert CU_LINE in warnings and CU_LINE.replace("Cu", "Ag") in warnings
    assert "1 of 4 cores contains Pt, which the model never saw: its scores are extrapolations" in warnings
    assert not any("never saw" in w and "Cu" in w for w in warnings)  # Cu was seen: in complexes
    assert result.summary["domain"]["complex_only_elements"] == ["Ag", "Cu"]
    assert read_hits(out)["core_seen_in"].tolist() == result.hits["core_seen_in"].tolist()
    assert json.loads(summary_path(out).read_text())["warnings"] == warnings


def test_cli_screen_and_explain_print_the_complexes_only_line(kinds_setup, tmp_path):
    res = CliRunner().invoke(cli, ["screen", "--core-lib", str(kinds_setup["core_lib"]), "--ligand-lib", str(kinds_setup["ligand_lib"]),
                                   "--model", str(kinds_setup["ckpt"]), "-o", str(tmp_path / "hits.csv"), "--silent"])
    assert res.exit_code == 0, res.output
    assert f"Warning: {CU_LINE}" in res.stderr.splitlines()
    assert set(read_hits(tmp_path / "hits.csv")["core_seen_in"]) == {"clusters", "complexes only", "never"}
    core = tmp_path / "cu55.xyz"
    Icosahedron("Cu", 3).write(core)
    res = CliRunner().invoke(cli, ["explain", "--model", str(kinds_setup["ckpt"]), "--core", str(core), "--ligands", PPH3,
                                   "-o", str(tmp_path / "x"), "--steps", "4"])
    assert res.exit_code == 0, res.output
    line = "Cu (in 1 of 1 core): seen only in mononuclear complexes, never in a cluster: scores transfer from coordination chemistry"
    assert f"Warning: {line}" in res.stderr.splitlines()
    body = json.loads((tmp_path / "x" / "explanation.json").read_text())
    assert body["domain"]["core_seen_in"] == "complexes only"


def test_reference_saved_without_core_kinds_keeps_todays_behaviour(kinds_setup):
    model, _ = load_checkpoint(kinds_setup["ckpt"])
    payload = dict(model.domain_reference)
    del payload["cluster_elements"], payload["complex_elements"]
    ref = DomainReference.from_payload(payload)
    assert ref.cluster_elements is None and not ref.records_core_kinds and "complex_only_elements" not in ref.summary()
    model.domain_reference = payload
    result = screen(kinds_setup["core_lib"], kinds_setup["ligand_lib"], [ModelMember("old", model, {})])
    seen = result.hits.groupby("core_id")["core_seen_in"].first().to_dict()
    assert seen == {kinds_setup["au25"]: "unknown", "cu55": "unknown", "ag13": "unknown", "pt13": "never"}
    assert not any("mononuclear complexes" in w for w in result.summary["warnings"])
    assert "1 of 4 cores contains Pt, which the model never saw: its scores are extrapolations" in result.summary["warnings"]
