"""The fused CPU kernels score exactly what the full head scores (one and several hidden layers, softplus's
large-input branch, out-of-range fallback), and the engine takes them on CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from colim.model.dual_encoder import PairHead
from colim.screening import fused
from colim.screening.engine import EngineOptions, Member, ScreenEngine
from colim.screening.folded import FoldedHead
from colim.screening.fused import FusedScorer


def _head(hidden: tuple[int, ...], dim: int = 256, seed: int = 0) -> PairHead:
    """A head with non-trivial BatchNorm statistics, in eval mode."""
    torch.manual_seed(seed)
    head = PairHead(dim, dim, hidden)
    with torch.no_grad():
        head.norm.running_mean.normal_(0.0, 0.5)
        head.norm.running_var.uniform_(0.3, 3.0)
        head.norm.weight.normal_(1.0, 0.3)
        head.norm.bias.normal_(0.0, 0.3)
    return head.eval()


def _full(head: PairHead, cores: torch.Tensor, sets: torch.Tensor) -> torch.Tensor:
    """Logits of every core × set through the unfolded head, ``[C, S]``."""
    with torch.no_grad():
        return head(cores.repeat_interleave(len(sets), 0), sets.repeat(len(cores), 1)).view(len(cores), len(sets))


def _fused_logits(head: PairHead, cores: torch.Tensor, sets: torch.Tensor) -> tuple[torch.Tensor, FusedScorer]:
    folded = FoldedHead(head)
    with torch.no_grad():
        scorer = FusedScorer(folded, folded.project_sets(sets))
        return scorer.logits(folded.project_cores(cores), 0, len(sets)), scorer


def test_fused_equals_full_head_for_one_and_two_hidden_layers():
    for hidden in ((256,), (256, 128), (64, 48, 32)):
        head = _head(hidden)
        # scale 12: first-layer pre-activations reach beyond ±20, softplus's linear branch in torch
        cores, sets = 12 * torch.randn(13, 256), 12 * torch.randn(77, 256)
        got, scorer = _fused_logits(head, cores, sets)
        first = FoldedHead(head).project_cores(cores)[:, None] + FoldedHead(head).project_sets(sets)[None]
        assert first.abs().max() > 20
        assert scorer.fallback_tiles == 0
        full = _full(head, cores, sets)
        assert full.std() > 0.1
        torch.testing.assert_close(got, full, atol=1e-5, rtol=0)


@pytest.mark.parametrize("hidden", [(256,), (128, 64)])
def test_out_of_range_columns_are_exact_for_any_magnitude(hidden):
    head = _head(hidden)
    cores, sets = torch.randn(5, 256), torch.randn(40, 256)
    cores[2] *= 400  # pre-activations of hundreds: e^x would overflow float32
    sets[7] *= 1e4
    got, scorer = _fused_logits(head, cores, sets)
    assert scorer.fallback_tiles == 1
    torch.testing.assert_close(got, _full(head, cores, sets), atol=1e-4, rtol=1e-5)  # logits of hundreds: float32 sums
    cores[1, 3] = float("nan")  # NaN stays NaN where torch gives NaN, and nowhere else
    got, _ = _fused_logits(head, cores, sets)
    torch.testing.assert_close(got, _full(head, cores, sets), atol=1e-4, rtol=1e-5, equal_nan=True)


def test_softplus_kernel_matches_torch_over_the_float_range():
    x = torch.linspace(-120, 120, 200_001)
    out = torch.empty(len(x))
    fused._softplus_dot(x[:, None].numpy(), np.ones(1, np.float32), np.float32(0.0), out.numpy())
    torch.testing.assert_close(out, torch.nn.functional.softplus(x.double()).float(), atol=2e-6, rtol=2e-7)


def test_engine_uses_fused_kernels_on_cpu_and_ranks_like_brute_force_as_the_torch_path_does():
    head = _head((256,), seed=3)
    torch.manual_seed(3)
    cores, sets = torch.randn(11, 256), torch.randn(300, 256)
    engine = ScreenEngine([Member(FoldedHead(head), cores, sets)], EngineOptions(top_k=5, block_pairs=1000, core_block=4), "cpu")
    assert engine.fused
    blocks = engine.run()
    expect = torch.topk(_full(head, cores, sets), 5, dim=1)
    np.testing.assert_array_equal(np.concatenate([b.top_index for b in blocks]), expect.indices.numpy())
    np.testing.assert_allclose(np.concatenate([b.top_score for b in blocks]), expect.values.numpy(), atol=1e-5)
    assert engine.fallback_tiles == 0
    plain = ScreenEngine([Member(FoldedHead(head), cores, sets)], EngineOptions(top_k=5, block_pairs=1000, core_block=4, fused=False), "cpu")
    assert not plain.fused
    np.testing.assert_array_equal(np.concatenate([b.top_index for b in plain.run()]), expect.indices.numpy())
