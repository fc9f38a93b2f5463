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
from colim.screening.sources import as_rows, as_set_source
from colim.validation import OptionError, device_name

#: default memory for one tile's intermediate activations.
DEFAULT_MEMORY_MB = {"cpu": 128, "cuda": 4096}


def resolve_device(device: str | None, name: str = "device") -> torch.device:
    """``auto``/None → cuda when available, else cpu; ``cuda`` on a machine without a CUDA GPU is refused in one line."""
    device = device_name(device, name)
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise OptionError(f"{name} {device}: no CUDA GPU is available on this machine (or torch was built without CUDA); use cpu or auto")
    return torch.device(device)


@dataclass
class Member:
    """One model of the ensemble with its library embeddings: ``cores [C, Dc]``, ``sets [S, Dl]`` (tensors,
    arrays, or the block sources of :mod:`colim.screening.sources`)."""

    head: FoldedHead
    cores: object
    sets: object


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
    set_start: int = 0
    set_stop: int = -1

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

    The work is a grid of *tasks*: core blocks (``core_block`` cores) × set blocks (``set_block`` sets);
    each task returns its own top lists and tasks merge exactly (:func:`merge_results`: score, then set
    id, so the merge order never matters). A single process and a Dask cluster run the same tasks and
    give the same hits. Embeddings are read block by block from their sources (see
    :mod:`colim.screening.sources`), so memory is bounded by ``memory_mb``, not by the libraries.

    Args:
        members: the models (folded heads) with their core and set embeddings (arrays or sources).
        top_k: hits kept per core. depth: per-member list length (for rank stability).
        memory_mb / block_pairs: working memory (set block + tiles), or pairs per tile.
        core_block: cores per block (default: about 4 million pairs per task).
        fused: on CPU, score with the fused numba kernels (False: the plain torch path, the reference).
        set_block: sets per task (default: what half of ``memory_mb`` holds).
        threads: numba/torch threads per task (Dask workers); None leaves the defaults.
    """

    def __init__(self, members: Sequence[Member], top_k: int, depth: int | None = None, device: str | torch.device | None = None,
                 memory_mb: float | None = None, block_pairs: int | None = None, core_block: int | None = None,
                 fused: bool = True, set_block: int | None = None, threads: int | None = None):
        self._args = (top_k, depth, memory_mb, block_pairs, core_block, fused, set_block, threads)
        self.device = resolve_device(device) if not isinstance(device, torch.device) else device
        self.members = [Member(m.head.to(self.device), as_rows(m.cores), as_set_source(m.sets)) for m in members]
        first = self.members[0]
        self.num_cores, self.num_sets = len(first.cores), len(first.sets)
        for m in self.members:
            if len(m.cores) != self.num_cores or len(m.sets) != self.num_sets:
                raise ValueError("every ensemble member must embed the same cores and sets")
        self.top_k = max(1, min(int(top_k), self.num_sets))
        self.depth = max(self.top_k, min(int(depth or 2 * top_k), self.num_sets))
        self.threads = threads
        self.fallback_tiles = 0  # fused tiles that went through the torch path (out of the fast path's range)
        self.fused = fused and self.device.type == "cpu" and _numba_available()
        budget = memory_mb if memory_mb is not None else DEFAULT_MEMORY_MB["cuda" if self.device.type == "cuda" else "cpu"]
        self.memory_mb = budget
        hidden = first.head.b_first.shape[0]
        if set_block is None:  # half the budget: the block's set projections (+ their exp) for every member
            per_set = 4 * hidden * 2 * len(self.members) + 4 * first.sets.dim + 96
            set_block = max(1, int(budget * 2**20 / 2 / per_set))
        self.set_block = max(1, min(int(set_block), self.num_sets))
        # fused kernels need little memory per pair: big tiles, few kernel launches (each costs a thread wake-up)
        per_pair = (_fused_bytes_per_pair(first.head) + 24 * len(self.members)) if self.fused else None
        tile_budget = budget / 2 if block_pairs is None else budget
        self.cores_per_tile, self.sets_per_tile = tile_shape(self.set_block, first.head.hidden_dims, tile_budget, block_pairs, per_pair)
        if core_block is None:
            core_block = max(1, int(4e6 // max(1, self.set_block)))
        self.core_block = max(1, int(core_block))

    def __reduce__(self):
        """Pickle as the engine's description (heads + sources), so Dask workers rebuild it on the CPU."""
        top_k, depth, memory_mb, block_pairs, _, fused, _, _ = self._args
        args = (top_k, depth, memory_mb, block_pairs, self.core_block, fused, self.set_block, self.threads)
        return (_rebuild_engine, ([Member(m.head.cpu(), m.cores, m.sets) for m in self.members], args))

    @property
    def ensemble(self) -> bool:
        return len(self.members) > 1

    def blocks(self, start: int = 0) -> list[tuple[int, int]]:
        """The ``(start, stop)`` core ranges from core ``start`` on."""
        return [(a, min(a + self.core_block, self.num_cores)) for a in range(start, self.num_cores, self.core_block)]

    def set_blocks(self) -> list[tuple[int, int]]:
        """The ``(s0, s1)`` set ranges of every task."""
        return [(s, min(s + self.set_block, self.num_sets)) for s in range(0, self.num_sets, self.set_block)]

    def tasks(self, start: int = 0) -> list[tuple[int, int, int, int]]:
        """Every ``(core start, core stop, set start, set stop)`` task from core ``start`` on, block by block."""
        return [(a, b, s0, s1) for a, b in self.blocks(start) for s0, s1 in self.set_blocks()]

    @torch.no_grad()
    def score_task(self, start: int, stop: int, s0: int, s1: int) -> BlockResult:
        """Top lists of cores ``start:stop`` against sets ``s0:s1`` (set ids are global)."""
        if self.threads:
            _set_threads(self.threads)
        n, dev, m_count = stop - start, self.device, len(self.members)
        k, depth = min(self.top_k, s1 - s0), min(self.depth, s1 - s0)
        core_proj = [m.head.project_cores(torch.from_numpy(m.cores.block(start, stop))) for m in self.members]
        set_proj = [m.sets.projections(m.head, s0, s1).to(dev) for m in self.members]
        scorers = _fused_scorers(self.members, set_proj) if self.fused else None
        top_s = torch.empty((n, k), device=dev)
        top_i = torch.empty((n, k), dtype=torch.long, device=dev)
        mem_s = torch.empty((m_count, n, depth), device=dev)
        mem_i = torch.empty((m_count, n, depth), dtype=torch.long, device=dev)
        width = s1 - s0
        for c0 in range(0, n, self.cores_per_tile):
            c1 = min(c0 + self.cores_per_tile, n)
            empty = (torch.empty((c1 - c0, 0), device=dev), torch.empty((c1 - c0, 0), dtype=torch.long, device=dev))
            best = empty
            member_best = [empty] * m_count
            for t0 in range(0, width, self.sets_per_tile):
                t1 = min(t0 + self.sets_per_tile, width)
                total = None
                for m, member in enumerate(self.members):
                    if scorers is not None:
                        logits = scorers[m].logits(core_proj[m][c0:c1], t0, t1)
                    else:
                        logits = member.head.logits(core_proj[m][c0:c1], set_proj[m][t0:t1])
                    if self.ensemble:
                        member_best[m] = _merge(member_best[m], logits, s0 + t0, depth)
                        prob = logits.sigmoid_()  # logits are the scorer's fresh tile: reuse its memory
                        total = prob if total is None else total.add_(prob)
                    else:
                        total = logits
                best = _merge(best, total, s0 + t0, k)  # the sum ranks like the mean; divide only the kept top-k
            top_s[c0:c1], top_i[c0:c1] = (best[0] / m_count if self.ensemble else best[0]), best[1]
            if self.ensemble:
                for m in range(m_count):
                    mem_s[m, c0:c1], mem_i[m, c0:c1] = member_best[m]
        if not self.ensemble:
            mem_s, mem_i = top_s[None], top_i[None]
        if scorers is not None:
            self.fallback_tiles += sum(sc.fallback_tiles for sc in scorers)
        return BlockResult(start, stop, top_i.cpu().numpy(), top_s.float().cpu().numpy(), mem_i.cpu().numpy(),
                           mem_s.float().cpu().numpy(), s1 - s0, s0, s1)

    def merge(self, results: Sequence[BlockResult]) -> BlockResult:
        """Exact merge of task results over the same cores into one block result."""
        return merge_results(results, self.top_k, self.depth)

    def score_block(self, start: int, stop: int) -> BlockResult:
        """Top lists of cores ``start:stop`` against every set (its tasks, merged)."""
        return self.merge([self.score_task(start, stop, s0, s1) for s0, s1 in self.set_blocks()])

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
        core_rows, set_rows = np.asarray(core_rows, dtype=np.int64), np.asarray(set_rows, dtype=np.int64)
        rows = []
        for member in self.members:
            pc = member.head.project_cores(torch.from_numpy(member.cores.rows(core_rows)))
            ps = member.sets.projections_of(member.head, set_rows).to(self.device)
            x = pc + ps
            for w, b in zip(member.head.rest_weights, member.head.rest_biases):
                x = torch.addmm(b, torch.nn.functional.softplus(x), w)
            rows.append(torch.sigmoid(x.squeeze(-1)).cpu())
        return torch.stack(rows).numpy() if rows else np.zeros((0, len(core_rows)), np.float32)


def merge_results(results: Sequence[BlockResult], top_k: int, depth: int) -> BlockResult:
    """Merge task results of the same cores: keep the best ``top_k`` (ensemble) and ``depth`` (per member)
    by score, ties broken by the smaller set id, so the result never depends on the order of ``results``."""
    results = sorted(results, key=lambda r: r.set_start)
    if len(results) == 1 and results[0].top_index.shape[1] == top_k:
        return results[0]
    first = results[0]
    top_i, top_s = _select(np.concatenate([r.top_index for r in results], 1), np.concatenate([r.top_score for r in results], 1), top_k)
    mem_i, mem_s = _select(np.concatenate([r.member_index for r in results], 2), np.concatenate([r.member_score for r in results], 2), depth)
    if first.member_index.shape[0] == 1 and first.member_index.shape[2] == first.top_index.shape[1]:
        mem_i, mem_s = top_i[None], top_s[None]  # one model: its member list is its top list
    return BlockResult(first.start, first.stop, top_i, top_s, mem_i, mem_s, sum(r.num_sets for r in results),
                       results[0].set_start, results[-1].set_stop)


def _select(index: np.ndarray, score: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` along the last axis by (score descending, NaN last as the CPU tile top-k ranks it, then set id)."""
    key = np.where(np.isnan(score), np.inf, -score.astype(np.float64))
    flat_key, flat_idx = key.reshape(-1, key.shape[-1]), index.reshape(-1, index.shape[-1])
    order = np.lexsort((flat_idx, flat_key), axis=-1)[:, :k] if flat_key.shape[0] else np.zeros((0, k), np.int64)
    shape = index.shape[:-1] + (min(k, index.shape[-1]),)
    picked_i = np.take_along_axis(flat_idx, order, 1).reshape(shape)
    picked_s = np.take_along_axis(score.reshape(flat_key.shape), order, 1).reshape(shape)
    return picked_i, picked_s


def _rebuild_engine(members: list[Member], args: tuple) -> "ScreenEngine":
    top_k, depth, memory_mb, block_pairs, core_block, fused, set_block, threads = args
    return ScreenEngine(members, top_k, depth, "cpu", memory_mb, block_pairs, core_block, fused, set_block, threads)


def _set_threads(n: int) -> None:
    """Threads of numba kernels and torch ops inside one task (a Dask worker's share of the cores)."""
    torch.set_num_threads(n)
    try:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass


def _numba_available() -> bool:
    try:
        import colim.screening.fused  # noqa: F401
    except ImportError:
        return False
    return True


def _fused_bytes_per_pair(head: FoldedHead) -> int:
    """Work memory per pair of a fused tile (see FusedScorer.bytes_per_pair)."""
    if len(head.rest_weights) == 1:
        return 4
    return 4 * (1 + head.rest_weights[0].shape[0] + sum(w.shape[1] for w in head.rest_weights[:-1]))


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
