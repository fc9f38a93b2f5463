"""The plugin contract checks in colim.plugins.testing fail, naming the rule, on deliberately broken encoders."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from colim.plugins.builtin.cgcnn import CGCNNEncoder
from colim.plugins.builtin.fingerprint import FingerprintLigandEncoder
from colim.plugins.testing import check_core_encoder, check_ligand_encoder
from colim.structures.ligands import LigandSet
from tests.plugins.conftest import FORMATE, MESH, PET, PPH3, real_cores


@pytest.fixture(scope="module")
def cores():
    return real_cores()[:3]


SETS = [LigandSet.of([PET]), LigandSet.parse(f"{PET}.{PPH3}.{FORMATE} 12:3:6"), LigandSet.of([MESH, PPH3])]


class SmallCGCNN(CGCNNEncoder):
    """A correct small encoder that the broken ones below modify one rule at a time."""

    name = "small-cgcnn"

    def __init__(self, embedding_dim: int = 16, num_layers: int = 1, **kwargs: Any):
        super().__init__(embedding_dim=embedding_dim, num_layers=num_layers, **kwargs)


class BatchCentred(SmallCGCNN):
    """Subtracts the batch mean: a core's embedding depends on the other cores in the batch."""

    def forward(self, batch: Any) -> Tensor:
        out = super().forward(batch)
        return out - out.mean(dim=0, keepdim=True)


class Noisy(SmallCGCNN):
    """Dropout that stays on in eval mode."""

    def forward(self, batch: Any) -> Tensor:
        return nn.functional.dropout(super().forward(batch), 0.5, training=True)


class WrongDim(SmallCGCNN):
    def forward(self, batch: Any) -> Tensor:
        return super().forward(batch)[:, :8]


class Double(SmallCGCNN):
    def forward(self, batch: Any) -> Tensor:
        return super().forward(batch).double()


class WiderCGCNN(SmallCGCNN):
    """Adds a constructor argument and passes nothing of it to the base class."""

    name = "wider"

    def __init__(self, width: int = 16, **kwargs: Any):
        super().__init__(**kwargs)
        self.extra = nn.Linear(16, width)


class ForgetsInitArgs(WiderCGCNN):
    """Reports init_args without one of its constructor's arguments."""

    name = "forgets"

    def init_args(self) -> dict[str, Any]:
        return {k: v for k, v in super().init_args().items() if k != "width"}


class RenamesInitArgs(SmallCGCNN):
    """Reports its parent's argument names, which its own constructor does not accept."""

    name = "renames"

    def __init__(self, size: int = 16):
        super().__init__(embedding_dim=size)

    def init_args(self) -> dict[str, Any]:
        return {"embedding_dim": super().init_args()["size"]}


class MutatesCore(SmallCGCNN):
    def featurize(self, core):
        core.positions += 1.0
        return super().featurize(core)


class Detached(SmallCGCNN):
    def forward(self, batch: Any) -> Tensor:
        return super().forward(batch).detach()


class FirstMember(FingerprintLigandEncoder):
    """Pools a set by taking its first member: depends on member order."""

    name = "first-member"

    def pool(self, ligand_embeddings, set_index, weights, num_sets):
        out = torch.zeros(num_sets, ligand_embeddings.shape[1])
        for row in range(len(set_index) - 1, -1, -1):
            out[set_index[row]] = ligand_embeddings[row]
        return out


class BatchNormalisedLigands(FingerprintLigandEncoder):
    """Standardises per-ligand embeddings over the ligands it is given: depends on the batch."""

    name = "batch-normalised"

    def embed_ligands(self, smiles):
        out = super().embed_ligands(smiles)
        return out - out.mean(dim=0, keepdim=True)


class RawRatios(FingerprintLigandEncoder):
    """Scales the set embedding by the raw ratio total instead of using normalised weights."""

    name = "raw-ratios"

    def pool_sets(self, per_ligand, smiles, ligand_sets):
        scale = torch.tensor([sum(ls.ratios or (1.0,)) for ls in ligand_sets])[:, None]
        return super().pool_sets(per_ligand, smiles, ligand_sets) * scale


def test_a_correct_encoder_passes(cores):
    torch.manual_seed(0)
    check_core_encoder(SmallCGCNN, cores)
    check_ligand_encoder(FingerprintLigandEncoder(embedding_dim=16), SETS)


@pytest.mark.parametrize(
    "broken, message",
    [
        (BatchCentred, "small-cgcnn: core 0 embedded alone differs from the same core in a batch (batch invariance: padding, masking, BatchNorm): max difference"),
        (Noisy, "small-cgcnn: the same cores embedded twice in eval mode differ (not deterministic): max difference"),
        (WrongDim, "small-cgcnn: forward returned shape (3, 8), expected (3, 16) = [B, embedding_dim]"),
        (Double, "small-cgcnn: forward returned torch.float64, expected torch.float32"),
        (RenamesInitArgs, "renames: type(enc)(**enc.init_args()) failed; pass every constructor argument to super().__init__(**init_args): "),
        (MutatesCore, "small-cgcnn: featurize modified its input core"),
        (Detached, "small-cgcnn: no parameter receives a gradient from the embeddings (detached output?)"),
    ],
)
def test_core_contract_fails_on_a_broken_encoder(broken, message, cores):
    torch.manual_seed(0)
    copies = [c.copy() for c in cores]
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_core_encoder(broken, copies)


def test_encoder_arguments_are_recorded_without_being_passed_on(cores):
    encoder = WiderCGCNN(width=4, num_layers=2)
    recorded = encoder.init_args()
    assert {k: recorded[k] for k in ("width", "embedding_dim", "num_layers", "cutoff")} == {"width": 4, "embedding_dim": 16, "num_layers": 2, "cutoff": 4.0}
    torch.manual_seed(0)
    check_core_encoder(encoder, cores)


def test_forgotten_init_args_fail_the_round_trip(cores):
    torch.manual_seed(0)
    with pytest.raises(AssertionError, match=re.escape("forgets: the state_dict does not fit an encoder rebuilt from init_args()")):
        check_core_encoder(ForgetsInitArgs(width=4), cores)


@pytest.mark.parametrize(
    "broken, message",
    [
        (FirstMember, "first-member: pool depends on the order of the members of a set: max difference"),
        (BatchNormalisedLigands, "batch-normalised: ligand set 0 ([S]CCc1ccccc1) embedded alone differs from the same set in a batch (batch invariance): max difference"),
        (RawRatios, f"raw-ratios: ligand set {SETS[1]} with ratios scaled by 3 differs (use normalised weights): max difference"),
    ],
)
def test_ligand_contract_fails_on_a_broken_encoder(broken, message):
    torch.manual_seed(0)
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_ligand_encoder(broken(embedding_dim=16), SETS)


def test_the_check_needs_two_items_and_an_encoder_of_the_right_kind(cores):
    with pytest.raises(AssertionError, match=re.escape("check_core_encoder needs at least 2 cores to compare batches with single items")):
        check_core_encoder(SmallCGCNN, cores[:1])
    with pytest.raises(AssertionError, match="is not a CoreEncoder"):
        check_core_encoder(FingerprintLigandEncoder, cores)


def test_the_check_leaves_an_instance_as_it_was(cores):
    encoder = SmallCGCNN().train()
    state = {k: v.clone() for k, v in encoder.state_dict().items()}
    check_core_encoder(encoder, cores)
    assert encoder.training
    assert all(torch.equal(state[k], v) for k, v in encoder.state_dict().items())
