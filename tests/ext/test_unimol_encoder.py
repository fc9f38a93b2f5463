"""The ``unimol`` ligand encoder: weights only from where the user put them, refusal without them,
an explicitly labelled random init, frozen cached embeddings and refusal of metal-bearing ligands.

Real Uni-Mol weights are not available here, so weights files are made the way Uni-Core saves them
(``{"model": state_dict}`` of a Uni-Mol v1 molecule model, plus its ``dict.txt``) from random inits.
"""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

from colim.cli import cli
from colim.errors import LigandError, WeightsError
from colim.ext import unimol as ext
from colim.ext.weights import import_weights
from colim.hashing import file_sha256
from colim.model.checkpoint import load_checkpoint, save_checkpoint
from colim.model.dual_encoder import CoLiMModel
from colim.plugins.builtin.unimol import RANDOM_INIT, WEIGHTS_NOT_FOUND
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.plugins.testing import check_ligand_encoder
from colim.structures.ligands import LigandSet

PET = "[S]CCc1ccccc1"
PPH3 = "c1ccc(P(c2ccccc2)c2ccccc2)cc1"
FORMATE = "O=C[O]"
MESH = "C[S]"
SETS = [f"{PET}.{PPH3}.{FORMATE} 12:3:6", f"{MESH}.{FORMATE}"]
#: batching pads Uni-Mol's attention; float32 sums then differ in the last digits.
TOL = {"atol": 1e-4, "rtol": 1e-4}


def reference_embeddings(model: torch.nn.Module, smiles: list[str]) -> torch.Tensor:
    """CLS embeddings straight from a Uni-Mol model, one molecule at a time."""
    with torch.no_grad():
        return torch.cat([ext.cls_embeddings(model.eval(), ext.collate([ext.featurize(s, model.dictionary)], model.padding_idx)) for s in smiles])


@pytest.fixture(scope="module")
def weight_files(tmp_path_factory):
    """Two Uni-Mol weights files (different random inits) each with its dictionary, and their models."""
    files = {}
    for label, seed in (("a", 1), ("b", 2)):
        folder = tmp_path_factory.mktemp(f"unimol_{label}")
        torch.manual_seed(seed)
        model = ext.build_model(None, None)
        torch.save({"model": model.state_dict()}, folder / "mol_pre_all_h_220816.pt")
        (folder / "mol.dict.txt").write_text("\n".join(ext.MOLECULE_VOCABULARY) + "\n")
        files[label] = (folder / "mol_pre_all_h_220816.pt", model)
    return files


@pytest.fixture(scope="module")
def random_encoder():
    return create_ligand_encoder("unimol", random_init=True)


def test_without_weights_the_encoder_refuses_in_one_line(isolated_weights):
    with pytest.raises(WeightsError) as info:
        create_ligand_encoder("unimol")
    assert str(info.value) == WEIGHTS_NOT_FOUND
    assert str(info.value).startswith("Uni-Mol weights not found: run `colim weights import PATH` or set UNIMOL_WEIGHT_DIR")


def test_a_user_pointed_file_is_loaded_verified_and_used(weight_files, isolated_weights):
    path_a, model_a = weight_files["a"]
    path_b, _ = weight_files["b"]
    enc_a = create_ligand_encoder("unimol", weights_path=str(path_a))
    enc_b = create_ligand_encoder("unimol", weights_path=str(path_b))
    smiles = [PET, PPH3]
    emb_a = enc_a.embed_ligands(smiles)
    torch.testing.assert_close(emb_a, reference_embeddings(model_a, smiles), **TOL)
    assert (emb_a - enc_b.embed_ligands(smiles)).abs().max() > 1e-2
    assert enc_a.init_args()["weights_sha256"] == file_sha256(path_a)
    assert enc_a.metadata() == {"weights": str(path_a), "weights_sha256": file_sha256(path_a), "source": "weights_path",
                                "random_init": False, "frozen": True}
    # frozen: no Uni-Mol tensor in the state_dict (checkpoints record the sha256 instead), no gradients
    assert not enc_a.trainable and enc_a.state_dict() == {}
    assert not any(p.requires_grad for p in enc_a.model.parameters())
    assert set(enc_a._cache) == set(smiles)


def test_a_checkpointed_sha256_refuses_other_weights(weight_files, isolated_weights):
    path_a, _ = weight_files["a"]
    path_b, _ = weight_files["b"]
    sha_a, sha_b = file_sha256(path_a), file_sha256(path_b)
    with pytest.raises(WeightsError) as info:
        create_ligand_encoder("unimol", weights_path=str(path_b), weights_sha256=sha_a)
    assert str(info.value) == (
        f"unimol: the Uni-Mol weights found (weights_path: {path_b}) have sha256 {sha_b[:12]}, but this model was built with {sha_a[:12]}"
    )


def test_weights_come_from_the_cache_then_unimol_weight_dir(weight_files, isolated_weights, monkeypatch):
    path_a, model_a = weight_files["a"]
    path_b, _ = weight_files["b"]
    monkeypatch.setenv("UNIMOL_WEIGHT_DIR", str(path_b.parent))
    from_env = create_ligand_encoder("unimol")
    assert from_env.metadata()["source"] == "UNIMOL_WEIGHT_DIR"
    assert from_env.init_args()["weights_sha256"] == file_sha256(path_b)

    import_weights(path_a)  # picks up mol.dict.txt beside it
    from_cache = create_ligand_encoder("unimol")
    assert from_cache.metadata()["source"] == "colim weights cache (unimol_mol)"
    torch.testing.assert_close(from_cache.embed_ligands([MESH]), reference_embeddings(model_a, [MESH]), **TOL)

    cached = isolated_weights / "unimol_mol" / path_a.name
    with open(cached, "r+b") as handle:  # corrupt one byte in the middle
        handle.seek(cached.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(WeightsError, match=r"^weights 'unimol_mol' fail verification: sha256 of .* is [0-9a-f]{12}, the manifest records [0-9a-f]{12}$"):
        create_ligand_encoder("unimol")


def test_pretrained_encoder_meets_the_plugin_contract(weight_files, isolated_weights):
    path_a, _ = weight_files["a"]
    check_ligand_encoder(create_ligand_encoder("unimol", weights_path=str(path_a)), SETS, **TOL)


def test_random_init_is_trainable_and_labelled_everywhere(random_encoder):
    assert random_encoder.trainable
    assert random_encoder.init_args()["random_init"] is True
    assert random_encoder.metadata()["weights"] == RANDOM_INIT == "random-init (untrained)"
    assert "random-init (untrained)" in repr(random_encoder)
    assert len(random_encoder.state_dict()) == 195
    rows = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)
    (row,) = [r for r in rows if r["name"] == "unimol"]
    assert "random_init=True gives an UNTRAINED Uni-Mol" in row["summary"]


def test_random_init_meets_the_plugin_contract(random_encoder):
    check_ligand_encoder(random_encoder, SETS, **TOL)


def test_random_init_refuses_weights_at_the_same_time(weight_files):
    with pytest.raises(WeightsError) as info:
        create_ligand_encoder("unimol", random_init=True, weights_path=str(weight_files["a"][0]))
    assert str(info.value) == "unimol: random_init=True cannot be combined with weights_path or weights_sha256"


@pytest.mark.parametrize(
    ("smiles", "message"),
    [
        ("C[S][Cu]", "ligand 'C[S][Cu]' contains Cu, which is not in Uni-Mol's vocabulary; ligand SMILES must not carry metal atoms (the core holds them)"),
        ("[Ag][S]Cc1ccccc1", "ligand '[Ag][S]Cc1ccccc1' contains Ag, which is not in Uni-Mol's vocabulary; ligand SMILES must not carry metal atoms (the core holds them)"),
        ("C[S][Au]", "ligand 'C[S][Au]' contains the metal Au; ligand SMILES must not carry metal atoms (the core holds them)"),
        ("C[Te]", "ligand 'C[Te]' contains Te, which is not in Uni-Mol's vocabulary; ligand SMILES must not carry metal atoms (the core holds them)"),
    ],
)
def test_ligands_with_metals_or_unknown_elements_are_refused(random_encoder, smiles, message):
    ligand_set = LigandSet.parse(f"{smiles}.{PPH3}")
    assert smiles in ligand_set.smiles
    with pytest.raises(LigandError) as info:
        random_encoder([ligand_set])
    assert str(info.value) == message


def test_a_checkpoint_records_the_weights_hash_not_the_weights(weight_files, isolated_weights, tmp_path):
    path_a, _ = weight_files["a"]
    model = CoLiMModel(create_core_encoder("cgcnn"), create_ligand_encoder("unimol", weights_path=str(path_a)))
    save_checkpoint(model, tmp_path / "model.pt", metadata={})
    assert (tmp_path / "model.pt").stat().st_size < 5_000_000  # no 180 MiB of frozen Uni-Mol inside
    loaded, info = load_checkpoint(tmp_path / "model.pt")
    assert info["ligand_encoder"]["init_args"]["weights_sha256"] == file_sha256(path_a)
    sets = [LigandSet.parse(SETS[0])]
    torch.testing.assert_close(loaded.ligand_encoder.encode(sets), model.ligand_encoder.encode(sets), **TOL)
