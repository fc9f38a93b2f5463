"""The streaming scorer: every core × every ligand set through the folded head(s), in tiles sized to
memory, keeping a running top-k per core; the full score matrix never exists.

Cores are processed in *core blocks* (the unit of resumption): for each block every set is scored
tile by tile and merged into the block's top-k with ``torch.topk``. With an ensemble the ranking
score is the members' mean probability; each member also keeps its own top-``depth`` list, which
gives the per-member ranks used for top-k stability.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from colim.screening.folded import FoldedHead

#: default memory for one tile's intermediate activations.
DEFAULT_MEMORY_MB = {"cpu": 128, "cuda": 4096}


def resolve_device(device: str | None) -> torch.device:
    """``auto``/None → cuda when available, else cpu."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass
class Member:
    """One model of the ensemble with its library embeddings: ``cores [C, Dc]``, ``sets [S, Dl]``."""

    head: FoldedHead
    cores: Tensor
    sets: Tensor


@dataclass
class BlockResult:
    """Top lists of cores ``start:stop``: ensemble ``top_index/top_score [B, k]`` (score = logit for one
    model, mean probability for several) and per-member ``member_index/member_score [M, B, depth]`` (logits)."""

    start: int
    stop: int
    top_index: np.ndarray
    top_score: np.ndarray
    member_index: np.ndarray
    member_score: np.ndarray
    num_sets: int = 0

    @property
    def pairs(self) -> int:
        """Pairs scored for this block."""
        return (self.stop - self.start) * self.num_sets


def tile_shape(num_sets: int, hidden_dims: Sequence[int], memory_mb: float, block_pairs: int | None = None,
               bytes_per_pair: int | None = None) -> tuple[int, int]:
    """``(cores_per_tile, sets_per_tile)`` whose per-pair work memory (default ``4 B × 2 × sum(hidden)``,
    the torch path's) fits ``memory_mb``."""
    if block_pairs is None:
        per_pair = bytes_per_pair or 8 * (sum(hidden_dims) + 1)
        block_pairs = max(1, int(memory_mb * 2**20 / per_pair))
    sets_per_tile = max(1, min(num_sets, block_pairs))
    return max(1, block_pairs // sets_per_tile), sets_per_tile


class ScreenEngine:
    """Scores ``C × S`` pairs of precomputed embeddings for one model or an ensemble.

    Args:
        members: the models (folded heads on ``device``) with their core and set embeddings.
        top_k: hits kept per core. depth: per-member list length (for rank stability).
        memory_mb / block_pairs: tile size, by memory budget or as pairs per tile.
        core_block: cores per resumable block (default: about 4 million pairs per block).
        fused: on CPU, score with the fused numba kernels (False: the plain torch path, the reference).
    """

    def __init__(self, members: Sequence[Member], top_k: int, depth: int | None = None, device: str | torch.device | None = None,
                 memory_mb: float | None = None, block_pairs: int | None = None, core_block: int | None = None,
                 fused: bool = True):
        self.device = resolve_device(device) if not isinstance(device, torch.device) else device
        self.members = [Member(m.head.to(self.device), m.cores, m.sets) for m in members]
        first = self.members[0]
        self.num_cores, self.num_sets = first.cores.shape[0], first.sets.shape[0]
        for m in self.members:
            if m.cores.shape[0] != self.num_cores or m.sets.shape[0] != self.num_sets:
                raise ValueError("every ensemble member must embed the same cores and sets")
        self.top_k = max(1, min(int(top_k), self.num_sets))
        self.depth = max(self.top_k, min(int(depth or 2 * top_k), self.num_sets))
        with torch.no_grad():
            self._set_proj = [m.head.project_sets(m.sets) for m in self.members]
            self._fused = _fused_scorers(self.members, self._set_proj) if fused and self.device.type == "cpu" else None
        budget = memory_mb if memory_mb is not None else DEFAULT_MEMORY_MB["cuda" if self.device.type == "cuda" else "cpu"]
        # fused kernels need little memory per pair: big tiles, few kernel launches (each costs a thread wake-up)
        per_pair = self._fused[0].bytes_per_pair() + 24 * len(self.members) if self._fused else None
        self.cores_per_tile, self.sets_per_tile = tile_shape(self.num_sets, first.head.hidden_dims, budget, block_pairs, per_pair)
        if core_block is None:
            core_block = max(1, int(4e6 // max(1, self.num_sets)))
        self.core_block = max(1, int(core_block))

    @property
    def ensemble(self) -> bool:
        return len(self.members) > 1

    def blocks(self, start: int = 0) -> list[tuple[int, int]]:
        """The ``(start, stop)`` core ranges from core ``start`` on."""
        return [(a, min(a + self.core_block, self.num_cores)) for a in range(start, self.num_cores, self.core_block)]

    @torch.no_grad()
    def score_block(self, start: int, stop: int) -> BlockResult:
        """Top lists of cores ``start:stop`` against every set."""
        n, k, depth, dev = stop - start, self.top_k, self.depth, self.device
        m_count = len(self.members)
        core_proj = [m.head.project_cores(m.cores[start:stop]) for m in self.members]
        top_s = torch.empty((n, k), device=dev)
        top_i = torch.empty((n, k), dtype=torch.long, device=dev)
        mem_s = torch.empty((m_count, n, depth), device=dev)
        mem_i = torch.empty((m_count, n, depth), dtype=torch.long, device=dev)
        for c0 in range(0, n, self.cores_per_tile):
            c1 = min(c0 + self.cores_per_tile, n)
            empty = (torch.empty((c1 - c0, 0), device=dev), torch.empty((c1 - c0, 0), dtype=torch.long, device=dev))
            best = empty
            member_best = [empty] * m_count
            for s0 in range(0, self.num_sets, self.sets_per_tile):
                s1 = min(s0 + self.sets_per_tile, self.num_sets)
                total = None
                for m, member in enumerate(self.members):
                    if self._fused is not None:
                        logits = self._fused[m].logits(core_proj[m][c0:c1], s0, s1)
                    else:
                        logits = member.head.logits(core_proj[m][c0:c1], self._set_proj[m][s0:s1])
                    if self.ensemble:
                        member_best[m] = _merge(member_best[m], logits, s0, depth)
                        prob = logits.sigmoid_()  # logits are the scorer's fresh tile: reuse its memory
                        total = prob if total is None else total.add_(prob)
                    else:
                        total = logits
                best = _merge(best, total, s0, k)  # the sum ranks like the mean; divide only the kept top-k
            top_s[c0:c1], top_i[c0:c1] = (best[0] / m_count if self.ensemble else best[0]), best[1]
            if self.ensemble:
                for m in range(m_count):
                    mem_s[m, c0:c1], mem_i[m, c0:c1] = member_best[m]
        if not self.ensemble:
            mem_s, mem_i = top_s[None], top_i[None]
        return BlockResult(start, stop, top_i.cpu().numpy(), top_s.float().cpu().numpy(), mem_i.cpu().numpy(), mem_s.float().cpu().numpy(), self.num_sets)

    def run(self, start: int = 0, on_block: Callable[[BlockResult], None] | None = None) -> list[BlockResult]:
        """Score every core block from ``start``; ``on_block`` sees each finished block (to save or report it)."""
        out = []
        for a, b in self.blocks(start):
            result = self.score_block(a, b)
            if on_block is not None:
                on_block(result)
            out.append(result)
        return out

    @torch.no_grad()
    def pair_probabilities(self, core_rows: np.ndarray, set_rows: np.ndarray) -> np.ndarray:
        """Each member's probability for explicit pairs. Shapes: ``[N], [N] -> [M, N]``."""
        ci = torch.as_tensor(core_rows, dtype=torch.long)
        si = torch.as_tensor(set_rows, dtype=torch.long)
        rows = []
        for m, member in enumerate(self.members):
            pc = member.head.project_cores(member.cores[ci])
            ps = self._set_proj[m][si.to(self.device)]
            x = pc + ps
            for w, b in zip(member.head.rest_weights, member.head.rest_biases):
                x = torch.addmm(b, torch.nn.functional.softplus(x), w)
            rows.append(torch.sigmoid(x.squeeze(-1)).cpu())
        return torch.stack(rows).numpy() if rows else np.zeros((0, len(ci)), np.float32)


def _fused_scorers(members: Sequence[Member], set_proj: Sequence[Tensor]) -> list | None:
    """CPU fused-kernel scorers (numba), or None when numba is missing (the torch path then runs)."""
    try:  # optional heavy dependency, imported only when a CPU engine is built (keeps CLI start-up fast)
        from colim.screening.fused import FusedScorer
    except ImportError:
        return None
    return [FusedScorer(m.head, p) for m, p in zip(members, set_proj)]


def _merge(current: tuple[Tensor, Tensor], scores: Tensor, offset: int, k: int) -> tuple[Tensor, Tensor]:
    """Running top-k: the tile's own top-k (set ids = column + ``offset``) merged with ``current`` [B, ≤k]."""
    best, pos = _topk(scores, min(k, scores.shape[1]))
    pos += offset
    if current[0].shape[1] == 0:
        return best, pos
    values = torch.cat([current[0], best], dim=1)
    index = torch.cat([current[1], pos], dim=1)
    best, where = torch.topk(values, min(k, values.shape[1]), dim=1, sorted=True)
    return best, torch.gather(index, 1, where)


def _topk(scores: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Row-wise sorted top-k. On CPU via numpy's argpartition: one thread, so no torch thread-pool wake-up
    right after the numba kernels (which cost ~15 ms a tile on a loaded box)."""
    if scores.device.type != "cpu":
        return torch.topk(scores, k, dim=1, sorted=True)
    values = scores.numpy()
    neg = -values  # NaN stays NaN and sorts last, as torch.topk ranks NaN first
    part = np.argpartition(neg, k - 1, axis=1)[:, :k] if k < values.shape[1] else np.broadcast_to(np.arange(values.shape[1]), values.shape)
    order = np.argsort(np.take_along_axis(neg, part, 1), axis=1, kind="stable")
    index = np.take_along_axis(part, order, 1)
    return torch.from_numpy(np.take_along_axis(values, index, 1)), torch.from_numpy(index.astype(np.int64))
