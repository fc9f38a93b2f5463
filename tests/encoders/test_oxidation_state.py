"""The oxidation state as an optional core-encoder input; checkpoints from before it load with the same numbers."""

from __future__ import annotations

import json

import torch
from ase import Atoms
from ase.cluster import Icosahedron

from colim.dataset.metalig import metal_core
from colim.model.checkpoint import load_checkpoint, load_encoder_checkpoint, save_checkpoint
from colim.plugins.manager import create_core_encoder
from colim.structures.core import make_core, read_core
from colim.structures.ligands import LigandSet
from colim.training.trainer import TrainConfig, build_model
from tests.conftest import DATA, STRUCTURES

OLD_MODEL = DATA / "checkpoints" / "cgcnn_fingerprint_1196a10.pt"


def _randomised(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    enc = create_core_encoder(name, embedding_dim=8, num_layers=1, oxidation_state=True)
    with torch.no_grad():
        enc.oxidation.weight.normal_()
        enc.oxidation.bias.normal_()
    return enc


def test_the_oxidation_state_changes_the_core_vector_and_unknown_differs_from_zero():
    for name in ("cgcnn", "gin"):
        enc = _randomised(name)
        cu1, cu2, unknown = metal_core("Cu", 1), metal_core("Cu", 2), metal_core("Cu", None)
        zero = metal_core("Cu", 0)
        v = enc.encode([cu1, cu2, unknown, zero])
        assert not torch.allclose(v[0], v[1]) and not torch.allclose(v[2], v[3])
        assert torch.allclose(enc.encode([metal_core("Cu", 1)])[0], v[0])


def test_a_new_oxidation_input_starts_at_zero_so_a_pretrained_vector_is_kept():
    torch.manual_seed(3)
    plain = create_core_encoder("cgcnn", embedding_dim=8, num_layers=1)
    with_state = create_core_encoder("cgcnn", embedding_dim=8, num_layers=1, oxidation_state=True)
    missing = with_state.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert sorted(missing) == ["oxidation.bias", "oxidation.weight"]
    core = Icosahedron("Au", 2)
    core.info["oxidation_state"] = 1.0
    assert torch.allclose(plain.encode([core]), with_state.encode([core]))


def test_the_option_round_trips_through_a_checkpoint(tmp_path):
    torch.manual_seed(0)
    model, _ = build_model("cgcnn", "fingerprint", {"embedding_dim": 8, "num_layers": 1, "oxidation_state": True},
                           {"embedding_dim": 8, "n_bits": 128}, None, TrainConfig(hidden_dims=(8,)))
    with torch.no_grad():
        model.core_encoder.oxidation.weight.normal_()
    save_checkpoint(model, tmp_path / "m.pt", {})
    again, _ = load_checkpoint(tmp_path / "m.pt")
    assert again.core_encoder.init_args()["oxidation_state"] is True
    cores = [metal_core("Au", 1), metal_core("Au", 3)]
    assert torch.allclose(again.core_encoder.encode(cores), model.core_encoder.encode(cores))


def test_a_model_written_before_oxidation_states_gives_the_same_probabilities():
    """tests/data/checkpoints/cgcnn_fingerprint_1196a10.pt and its .json were written by colim 1196a10."""
    expected = json.loads(OLD_MODEL.with_suffix(".json").read_text())
    model, info = load_checkpoint(OLD_MODEL)
    assert "oxidation_state" not in info["core_encoder"]["init_args"]
    assert model.core_encoder.init_args()["oxidation_state"] is False and not hasattr(model.core_encoder, "oxidation")
    framework = read_structure_core()
    for with_state in (False, True):
        core = framework.copy()
        if with_state:  # an encoder without the input ignores a stored oxidation state
            core.info["oxidation_state"] = 1.0
        enc = model.core_encoder
        batch = enc.collate([enc.featurize(core)] * len(expected["sets"]))
        with torch.no_grad():
            p = torch.sigmoid(model(batch, [LigandSet.parse(s) for s in expected["sets"]])).tolist()
        assert p == expected["probabilities"]


def read_structure_core() -> Atoms:
    atoms = read_core(STRUCTURES / "nanomodeler_au_sr" / "au25SR18_NM.pdb")
    return make_core(atoms[[s == "Au" for s in atoms.get_chemical_symbols()]], "au25")


def test_an_old_encoder_checkpoint_still_rebuilds_without_the_input():
    encoder, _ = load_encoder_checkpoint(DATA / "checkpoints" / "cgcnn_v1_learned.pt", expect="cgcnn")
    assert encoder.init_args()["oxidation_state"] is False


def test_with_composition_a_cluster_starts_where_a_single_atom_of_its_metal_is():
    """The message-passing part enters through a gate that starts at zero (a one-atom graph has none at all):
    a pair model trained on complexes' metal atoms scores an untrained-geometry Cu55 as it scores a Cu atom."""
    torch.manual_seed(0)
    enc = create_core_encoder("cgcnn", embedding_dim=8, num_layers=2, oxidation_state=True, composition=True)
    with torch.no_grad():
        enc.composition_map.weight.normal_()
    cu55, au55 = Icosahedron("Cu", 3), Icosahedron("Au", 3)
    v = enc.encode([cu55, metal_core("Cu", None), au55, metal_core("Au", None)])
    assert torch.allclose(v[0], v[1], atol=1e-6) and torch.allclose(v[2], v[3], atol=1e-6)
    assert not torch.allclose(v[0], v[2])
    with torch.no_grad():
        enc.geometry_gate.fill_(1.0)
    w = enc.encode([cu55, metal_core("Cu", None)])
    assert not torch.allclose(w[0], w[1]) and torch.allclose(w[1], v[1], atol=1e-6)  # one atom: no geometry term
