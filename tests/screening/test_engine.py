"""The folded engine scores exactly what the full model scores, and its streamed top-k is the brute-force top-k."""

from __future__ import annotations

import numpy as np
import torch

from colim.structures.ligands import LigandSet
from colim.screening.engine import EngineOptions, Member, ScreenEngine
from colim.screening.folded import FoldedHead


def _full_scores(model, cores, sets) -> torch.Tensor:
    """Logits of every core × set through the full model (re-encoding both), ``[C, S]``."""
    enc = model.core_encoder
    batch = enc.collate([enc.featurize(c) for c in cores for _ in sets])
    with torch.no_grad():
        return model(batch, [s for _ in cores for s in sets]).view(len(cores), len(sets))


def test_folded_head_equals_full_model_forward(screen_setup):
    model, cores = screen_setup["models"][0], screen_setup["cores"]
    sets = [LigandSet.parse("[S]CCc1ccccc1.c1ccc(P(c2ccccc2)c2ccccc2)cc1.[O]C=O 12:3:6"), LigandSet.parse("[S]C"),
            LigandSet.parse("[C]#Cc1ccccc1.[Cl]")]
    full = _full_scores(model, cores, sets)
    head = FoldedHead(model.head)
    with torch.no_grad():
        folded = head.logits(head.project_cores(model.core_encoder.encode(cores)), head.project_sets(model.ligand_encoder.encode(sets)))
    assert torch.allclose(folded, full, atol=1e-5, rtol=0)
    assert full.std() > 1e-3  # the comparison is not between constants


def _engine(members, k, **kw) -> tuple[np.ndarray, np.ndarray]:
    engine = ScreenEngine(members, EngineOptions(top_k=k, **kw), "cpu")
    blocks = engine.run()
    return np.concatenate([b.top_index for b in blocks]), np.concatenate([b.top_score for b in blocks])


def test_streamed_topk_equals_brute_force_over_tiles_and_blocks(screen_setup):
    torch.manual_seed(0)
    model = screen_setup["models"][0]
    head = FoldedHead(model.head)
    cores, sets = torch.randn(23, model.head.core_dim), torch.randn(131, model.head.ligand_dim)
    with torch.no_grad():
        brute = model.head(cores.repeat_interleave(len(sets), 0), sets.repeat(len(cores), 1)).view(len(cores), len(sets))
    expect = torch.topk(brute, 7, dim=1)
    for kw in ({"block_pairs": 50, "core_block": 4}, {"block_pairs": 10_000}, {"block_pairs": 1, "core_block": 23}):
        index, score = _engine([Member(head, cores, sets)], 7, **kw)
        np.testing.assert_array_equal(index, expect.indices.numpy())
        np.testing.assert_allclose(score, expect.values.numpy(), atol=1e-5)


def test_ensemble_ranks_by_mean_probability(screen_setup):
    torch.manual_seed(1)
    models = screen_setup["models"]
    cores, sets = torch.randn(9, 32), torch.randn(40, 32)
    members = [Member(FoldedHead(m.head), cores, sets) for m in models]
    with torch.no_grad():
        probs = torch.stack([torch.sigmoid(m.head(cores.repeat_interleave(40, 0), sets.repeat(9, 1)).view(9, 40)) for m in models])
    expect = torch.topk(probs.mean(0), 5, dim=1)
    index, score = _engine(members, 5, block_pairs=64, core_block=2)
    np.testing.assert_array_equal(index, expect.indices.numpy())
    np.testing.assert_allclose(score, expect.values.numpy(), atol=1e-6)
    engine = ScreenEngine(members, EngineOptions(top_k=5), "cpu")
    np.testing.assert_allclose(engine.pair_probabilities(np.arange(9), index[:, 0]), probs[:, torch.arange(9), torch.as_tensor(index[:, 0])].numpy(), atol=1e-6)
