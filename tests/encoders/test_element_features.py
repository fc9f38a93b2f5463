"""Physical atom features: the shipped element table, the physics/learned option, bounded embeddings of
unseen metals, and old checkpoints that still load as the learned variant."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from ase.cluster import Icosahedron, Octahedron

from colim.encoders.element_table import CONTINUOUS, MAX_Z, element_table, physics_features
from colim.errors import PluginError
from colim.model.checkpoint import load_encoder_checkpoint, save_encoder_checkpoint
from colim.plugins.manager import create_core_encoder
from colim.structures.core import CORE_METALS, read_core
from tests.conftest import DATA, STRUCTURES

OLD = DATA / "checkpoints" / "cgcnn_v1_learned.pt"
SYMBOLS = [row["symbol"] for row in element_table()]


@pytest.fixture(scope="module")
def cores():
    """The Au25 core of a real structure, a Cu55 icosahedron and an Ag38 truncated octahedron (ASE)."""
    framework = read_core(STRUCTURES / "nanomodeler_au_sr" / "au25SR18_NM.pdb")
    au25 = framework[[s == "Au" for s in framework.get_chemical_symbols()]]
    cu55 = Icosahedron("Cu", noshells=3)
    ag38 = Octahedron("Ag", length=4, cutoff=1)
    assert (au25.get_chemical_formula(), cu55.get_chemical_formula(), ag38.get_chemical_formula()) == ("Au25", "Cu55", "Ag38")
    return au25, cu55, ag38


def test_table_has_every_element_with_finite_values_and_says_which_were_filled():
    rows = element_table()
    assert [r["z"] for r in rows] == list(range(1, MAX_Z + 1))
    assert all(np.isfinite([float(r[c]) for c in CONTINUOUS]).all() for r in rows)
    au = rows[78]
    assert (au["symbol"], au["group"], au["period"], au["block"], au["valence_electrons"]) == ("Au", 11, 6, "d", 11)
    assert au["en_pauling"] == pytest.approx(2.4) and au["filled"] == ()
    assert "en_pauling" in rows[1]["filled"]  # He has no Pauling electronegativity
    chemistry = set(CORE_METALS) | {"H", "C", "N", "O", "P", "S", "Cl", "Se", "Br", "I"}
    measured = {r["symbol"] for r in rows if not set(r["filled"]) - {"metallic_radius"}}
    assert {"Au", "Ag", "Cu", "Pd", "Pt", "S", "Cl"} <= measured
    assert chemistry <= set(SYMBOLS)


def test_cu_and_ag_are_among_the_nearest_elements_to_au():
    feats = physics_features()
    au = SYMBOLS.index("Au") + 1
    dist = (feats[1:] - feats[au]).norm(dim=1)
    nearest = [SYMBOLS[i] for i in dist.argsort()[1:6]]
    assert "Ag" in nearest and "Cu" in nearest, nearest
    # and the group-11 pair is closer than any halogen, chalcogen or alkali metal is to Au
    assert max(dist[SYMBOLS.index("Ag")], dist[SYMBOLS.index("Cu")]) < min(dist[SYMBOLS.index(s)] for s in ("S", "Cl", "Na", "H"))


def test_training_on_au_alone_moves_cu_and_ag_with_physics_features_but_not_learned_rows():
    """The symptom: a learned row for an element absent from training stays random. With physics features
    a gradient step on Au cores changes Cu's and Ag's embeddings too, through the shared linear map."""
    z = torch.tensor([79, 47, 29])
    for kind in ("physics", "learned"):
        torch.manual_seed(0)
        enc = create_core_encoder("cgcnn", embedding_dim=16, num_layers=1, atom_features=kind)
        before = enc.embedding(z).detach().clone()
        opt = torch.optim.SGD(enc.parameters(), lr=0.1)
        batch = enc.collate([enc.featurize(Icosahedron("Au", noshells=2)), enc.featurize(Octahedron("Au", length=3))])
        enc(batch)[:, 0].sum().backward()
        opt.step()
        moved = (enc.embedding(z).detach() - before).norm(dim=1)
        if kind == "physics":
            assert bool((moved > 1e-4).all()), moved
            assert torch.allclose(enc.embedding(z), enc.embedding.linear(physics_features()[z]))
        else:
            assert moved[0] > 1e-4 and moved[1:].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("name", ["cgcnn", "gin"])
@pytest.mark.parametrize("atom_features", ["physics", "learned"])
def test_unseen_metals_have_bounded_embeddings(cores, name, atom_features):
    """With the LayerNorm readout every core's embedding has norm at most sqrt(D)·max|γ| + |β| (exactly
    sqrt(D) for an untrained norm): Cu55 and Ag38 stay within a distance 2·sqrt(D) of Au25."""
    torch.manual_seed(0)
    dim = 32
    enc = create_core_encoder(name, embedding_dim=dim, atom_features=atom_features)
    emb = enc.encode(list(cores))
    bound = dim**0.5 * float(enc.readout_norm.weight.detach().abs().max()) + float(enc.readout_norm.bias.detach().norm())
    assert bool((emb.norm(dim=1) <= bound + 1e-4).all()) and bound == pytest.approx(dim**0.5)
    assert float((emb[1:] - emb[0]).norm(dim=1).max()) <= 2 * dim**0.5 + 1e-4


def test_without_the_readout_norm_nothing_bounds_a_core_embedding(cores):
    """The old behaviour, kept selectable: the plain mean grows with the layers' outputs."""
    torch.manual_seed(0)
    enc = create_core_encoder("cgcnn", embedding_dim=32, atom_features="learned", readout_norm="none")
    with torch.no_grad():
        enc.embedding.weight[29] *= 1e4  # an untrained row may be anything
    emb = enc.encode(list(cores))
    assert float(emb[1].norm()) > 1e3 and float(emb[1].norm()) > 100 * float(emb[0].norm())


def test_relative_distances_make_cu_and_au_icosahedra_look_alike():
    """Edge lengths over the summed covalent radii: Cu55 and Au55 icosahedra (same shape, lattice constants
    3.61 and 4.08 Å) give nearly the same edge features, unlike absolute lengths."""
    torch.manual_seed(0)
    rel = create_core_encoder("cgcnn", embedding_dim=16, num_layers=1, relative_distances=True)
    cu, au = Icosahedron("Cu", noshells=3), Icosahedron("Au", noshells=3)
    feats = [rel.edge_features(rel.collate([rel.featurize(c)])).mean(0) for c in (cu, au)]
    absolute = create_core_encoder("cgcnn", embedding_dim=16, num_layers=1)
    plain = [absolute.edge_features(absolute.collate([absolute.featurize(c)])).mean(0) for c in (cu, au)]
    assert (feats[0] - feats[1]).norm() < 0.5 * (plain[0] - plain[1]).norm()


def test_defaults_are_physics_features_and_a_layernorm_readout():
    args = create_core_encoder("gin", embedding_dim=8).init_args()
    assert (args["atom_features"], args["readout_norm"], args["relative_distances"]) == ("physics", "layernorm", False)


def test_bad_options_are_one_line_errors():
    with pytest.raises(PluginError, match="atom_features must be one of physics, learned"):
        create_core_encoder("cgcnn", atom_features="onehot")
    with pytest.raises(PluginError, match="readout_norm must be one of layernorm, none"):
        create_core_encoder("gin", readout_norm="batch")


def test_a_checkpoint_from_before_the_options_loads_as_learned_without_norm():
    """tests/data/checkpoints/cgcnn_v1_learned.pt was written by colim 2be0529, whose cgcnn had neither option."""
    raw = torch.load(OLD, weights_only=True)
    assert "atom_features" not in raw["encoder"]["init_args"]
    encoder, _ = load_encoder_checkpoint(OLD, expect="cgcnn")
    assert encoder.init_args()["atom_features"] == "learned" and encoder.init_args()["readout_norm"] == "none"
    expected = json.loads(OLD.with_suffix(".json").read_text())
    emb = encoder.encode([read_core(STRUCTURES / expected["core"])])[0]
    np.testing.assert_allclose(emb.numpy(), expected["embedding"], rtol=1e-5, atol=1e-6)


def test_a_physics_checkpoint_round_trips_with_its_feature_table(tmp_path, cores):
    torch.manual_seed(1)
    enc = create_core_encoder("cgcnn", embedding_dim=8, num_layers=1, relative_distances=True)
    path = tmp_path / "enc.pt"
    save_encoder_checkpoint(enc, path, {})
    again, _ = load_encoder_checkpoint(path)
    assert torch.equal(again.embedding.features, physics_features())
    assert torch.allclose(again.encode(list(cores)), enc.encode(list(cores)))
