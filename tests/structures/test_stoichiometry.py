"""Stoichiometry end to end (the Cu19 case, PET:PPh3:HCOO = 12:3:6): parsed order-free, and ratios
change a set's embedding only through their normalised values, for every pooling mode."""

from __future__ import annotations

import pytest
import torch

from colim.errors import LigandError
from colim.plugins.manager import create_ligand_encoder
from colim.structures.ligands import LigandSet

PET = "[S]CCc1ccccc1"
PPH3 = "c1ccc(P(c2ccccc2)c2ccccc2)cc1"
HCOO = "O=C[O]"
CU19 = f"{PET}.{PPH3}.{HCOO} 12:3:6"


@pytest.fixture(scope="module")
def unimol_random():
    return create_ligand_encoder("unimol", random_init=True).eval()


def test_ratios_follow_their_ligand_whatever_the_order():
    a = LigandSet.parse(CU19)
    b = LigandSet.parse(f"{HCOO}.{PET}.{PPH3} 6:12:3")
    c = LigandSet.from_mapping({PPH3: 3, HCOO: 6, PET: 12})
    assert a == b == c
    ratios = dict(zip(a.smiles, a.ratios))
    assert ratios == {LigandSet.parse(PET).smiles[0]: 12.0, PPH3: 3.0, LigandSet.parse(HCOO).smiles[0]: 6.0}
    assert str(a) == f"[O]C=O.[S]CCc1ccccc1.{PPH3} 6:12:3"  # canonical order, ratios alongside
    assert sum(a.weights) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{PET}.{PPH3} 12:3:6", "2 ligands but 3 ratios"),
        (f"{PET}.{PPH3} 12:-3", "ligand ratios must be positive, got (12.0, -3.0)"),
        (f"{PET}.{PPH3} 12:x", f"cannot parse ratios '12:x' of ligand set '{PET}.{PPH3}'"),
    ],
)
def test_bad_ratios_are_refused(text, message):
    with pytest.raises(LigandError) as info:
        LigandSet.parse(text)
    assert str(info.value) == message


def check_ratio_semantics(encoder) -> None:
    """Weighted pooling of the set's own per-ligand embeddings, invariant to scale and order."""
    cu19 = LigandSet.parse(CU19)
    plain = LigandSet.of(cu19.smiles)
    per_ligand = encoder.embed_ligands(list(cu19.smiles))
    with torch.no_grad():
        out = encoder([cu19, plain, LigandSet.parse(f"{PET}.{PPH3}.{HCOO} 24:6:12"), LigandSet.parse(f"{PET}.{PPH3}.{HCOO} 1:1:1")])
        alone = encoder([cu19])
    torch.testing.assert_close(out[2], out[0], atol=1e-5, rtol=1e-5)  # only normalised ratios count
    torch.testing.assert_close(out[3], out[1], atol=1e-5, rtol=1e-5)  # equal ratios == no ratios
    torch.testing.assert_close(alone[0], out[0], atol=1e-4, rtol=1e-4)  # a batch mixing sets with and without ratios
    assert (out[0] - out[1]).abs().max() > 1e-4  # 12:3:6 is not 1:1:1
    if encoder.pooling.mode == "mean":
        weights = torch.tensor(cu19.weights)[:, None]
        torch.testing.assert_close(out[0], (weights * per_ligand).sum(0), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("pooling", ["mean", "sum", "attention"])
def test_fingerprint_sets_weight_ligands_by_ratio(pooling):
    torch.manual_seed(0)
    encoder = create_ligand_encoder("fingerprint", pooling=pooling).eval()
    check_ratio_semantics(encoder)


def test_sum_pooling_scales_the_weighted_mean_by_the_number_of_kinds():
    torch.manual_seed(0)
    mean = create_ligand_encoder("fingerprint", pooling="mean").eval()
    summed = create_ligand_encoder("fingerprint", pooling="sum")
    summed.load_state_dict(mean.state_dict())
    cu19 = LigandSet.parse(CU19)
    with torch.no_grad():
        torch.testing.assert_close(summed.eval()([cu19]), 3 * mean([cu19]))


def test_unimol_random_init_sets_weight_ligands_by_ratio(unimol_random):
    check_ratio_semantics(unimol_random)
