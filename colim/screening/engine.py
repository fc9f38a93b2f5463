"""The streaming scorer: every core × every ligand set through the folded head(s), in tiles sized to
memory, keeping a running top-k per core; the full score matrix never exists.

Cores are processed in *core blocks* (the unit of resumption): for each block every set is scored
tile by tile and merged into the block's top-k with ``torch.topk``. With an ensemble the ranking
score is the members' mean probability; each member also keeps its own top-``depth`` list, which
gives the per-member ranks used for top-k stability.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import torch
from torch import Tensor

from colim.screening.bounds import HeadBounds
from colim.screening.folded import FoldedHead
from colim.screening.bounds import LOGIT_MARGIN, PROB_MARGIN, sigmoid
from colim.screening.prune import SUB_BLOCK, CombinatorialSearch, group_bounds, search_reason, select_best, tight_groups
from colim.screening.sources import CombinatorialSets, as_rows, as_set_source
from colim.validation import OptionError, device_name

#: the branch-and-bound search scores its survivors in small batches, several times slower per set than the
#: brute-force kernels, so it pays only where it skips almost everything. Before planning its tasks the engine
#: searches its first SEARCH_TRIAL_CORES cores, each allowed at most this fraction of the sets; if one needs
#: more (bounds too loose for the model: e.g. a deep head on the per-ligand bounds), the search is given up for
#: the whole screen, which is then planned and scored as brute force (exact either way).
SEARCH_CORE_BUDGET = 0.05
SEARCH_TRIAL_CORES = 4
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
class EngineOptions:
    """How the engine scores (the part of :class:`colim.screening.screen.ScreenOptions` it reads; one typed
    object from the API to the Dask workers, never a positional tuple).

    ``top_k``: hits kept per core. ``depth``: per-member list length (rank stability; default 2 × top_k).
    ``memory_mb`` / ``block_pairs``: working memory (set block + tiles), or pairs per tile.
    ``core_block``: cores per task (default: about 4 million pairs per task). ``set_block``: sets per task
    (default: what half of ``memory_mb`` holds). ``fused``: on CPU, score with the fused numba kernels (False:
    the plain torch path, the reference). ``prune``: skip sets whose score bound cannot reach a core's top
    lists (exact; False scores every pair). ``threads``: numba/torch threads per task (Dask workers).
    """

    top_k: int = 10
    depth: int | None = None
    memory_mb: float | None = None
    block_pairs: int | None = None
    core_block: int | None = None
    set_block: int | None = None
    fused: bool = True
    prune: bool = True
    threads: int | None = None

    def engine_options(self) -> "EngineOptions":
        """These options as a plain :class:`EngineOptions` (what travels to Dask workers)."""
        return EngineOptions(**{f.name: getattr(self, f.name) for f in fields(EngineOptions)})


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
    scored: int = -1

    @property
    def pairs(self) -> int:
        """Pairs this block covers (scored or skipped)."""
        return (self.stop - self.start) * self.num_sets

    @property
    def scored_pairs(self) -> int:
        """Pairs actually scored (the rest were skipped by their bounds)."""
        return self.pairs if self.scored < 0 else self.scored


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
        options: an :class:`EngineOptions` (a ``ScreenOptions`` is one); None: the defaults.
        device: where to score (``auto``/None: cuda when available).
    """

    def __init__(self, members: Sequence[Member], options: EngineOptions | None = None, device: str | torch.device | None = None):
        opts = (options or EngineOptions()).engine_options()
        top_k, depth, memory_mb, block_pairs, core_block = opts.top_k, opts.depth, opts.memory_mb, opts.block_pairs, opts.core_block
        fused, set_block, threads = opts.fused, opts.set_block, opts.threads
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
        self.prune_note: str | None = None  # why pruning is off (said once in the summary), None when on or not asked
        self.fast_columns: list | None = None
        self.search, self.shifts = self._plan_search(opts.prune)
        self.bounds = [HeadBounds.of(m.head) for m in self.members]
        self.group_prune = opts.prune and self.search is None
        if opts.prune and not all(b.finite for b in self.bounds):
            self.search, self.group_prune = None, False
            self.prune_note = "exact pruning is off: a model's head has non-finite weights, so its scores cannot be bounded; every pair is scored"
        if self.search is not None and not self._search_pays():
            self.search = None
        budget = memory_mb if memory_mb is not None else DEFAULT_MEMORY_MB["cuda" if self.device.type == "cuda" else "cpu"]
        self.memory_mb = budget
        hidden = first.head.b_first.shape[0]
        # half the budget: the block's set projections (+ their exp) for every member; kept: each member's P_set
        # and its exp (2 × 4H); transient, one member at a time: the exp's shifted copy or the pooling's
        # gathered/weighted rows (3 × 4H); the block's embeddings (4D) and set rows (96)
        per_set = 4 * hidden * (2 * len(self.members) + 3) + 4 * first.sets.dim + 96
        plain_set_block = max(1, min(int(budget * 2**20 / 2 / per_set), self.num_sets))
        if set_block is None:  # the search's tasks span every set: it never generates the sets it skips
            set_block = self.num_sets if self.search is not None else plain_set_block
        self.set_block = max(1, min(int(set_block), self.num_sets))
        # fused kernels need little memory per pair: big tiles, few kernel launches (each costs a thread wake-up)
        per_pair = (_fused_bytes_per_pair(first.head) + 24 * len(self.members)) if self.fused else None
        tile_budget = budget / 2 if block_pairs is None else budget
        self.cores_per_tile, self.sets_per_tile = tile_shape(self.set_block, first.head.hidden_dims, tile_budget, block_pairs, per_pair)
        if core_block is None:
            core_block = max(1, int(4e6 // max(1, self.set_block)))
        self.core_block = max(1, int(core_block))
        # a search given up is planned and shipped to workers as brute force (they need not repeat the trial)
        self.options = replace(opts, core_block=self.core_block, set_block=self.set_block, prune=self.search is not None or self.group_prune)

    def _plan_search(self, prune: bool) -> tuple[CombinatorialSearch | None, list | None]:
        """The branch-and-bound search (combinatorial libraries with linear pooling) and the fused kernels' fixed
        column shifts (so a set scores the same bits in any tile); None where they do not apply."""
        sets = [m.sets for m in self.members]
        if not all(isinstance(s, CombinatorialSets) and s.pooling for s in sets):
            return None, None
        proj = [s._ligand_projections(m.head) for s, m in zip(sets, self.members)]
        kinds = range(sets[0].space.rule.min_kinds, sets[0].space.rule.max_kinds + 1)
        scale = kinds if sets[0].pooling == "sum" else [1]
        hi = [np.max([k * p.max(0) for k in scale], axis=0) if len(p) else None for p in proj]
        lo = [np.min([k * p.min(0) for k in scale], axis=0) if len(p) else None for p in proj]
        shifts = [torch.from_numpy(((h + low) / 2).astype(np.float32)) if h is not None else None for h, low in zip(hi, lo)]
        self.fast_columns = [self._fast_columns(m, shift, (h - low) / 2) if h is not None else None
                             for m, shift, h, low in zip(self.members, shifts, hi, lo)]
        if not prune:
            return None, shifts
        if search_reason(sets) is not None or not _numba_available():
            return None, shifts  # rules or ratios: the sets are pruned in groups by interval bounds instead
        return CombinatorialSearch(sets, [HeadBounds.of(m.head) for m in self.members], proj), shifts

    def _fast_columns(self, member: Member, shift: Tensor, half_range: np.ndarray) -> np.ndarray:
        """The columns every pair of the screen keeps on the fused kernels' fast path (fixed per engine, so a
        pair's bits never depend on its tile): sets within range by construction, every core checked."""
        if not self.fused:
            return None
        from colim.screening.fused import EXP_RANGE  # numba: optional, present when self.fused

        reach = np.zeros(len(half_range))
        for a in range(0, self.num_cores, 65536):
            pc = member.head.project_cores(torch.from_numpy(member.cores.block(a, min(a + 65536, self.num_cores)))).cpu()
            reach = np.maximum(reach, (pc + shift).abs().amax(0).numpy())
        return (half_range <= EXP_RANGE) & (reach <= EXP_RANGE)

    def __reduce__(self):
        """Pickle as the engine's description (heads + sources + options), so Dask workers rebuild it on the CPU."""
        options = replace(self.options, threads=self.threads)
        return (ScreenEngine, ([Member(m.head.cpu(), m.cores, m.sets) for m in self.members], options, "cpu"))

    @property
    def pruning(self) -> str:
        """How this engine prunes: ``branch-and-bound``, ``group bounds`` or ``off``."""
        return "branch-and-bound" if self.search is not None else "group bounds" if self.group_prune else "off"

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
        if self.search is not None:
            return self._search_task(start, stop, s0, s1)
        if self.group_prune and s1 - s0 > SUB_BLOCK:
            return self._group_task(start, stop, s0, s1)
        return self._brute_task(start, stop, s0, s1)

    def _brute_task(self, start: int, stop: int, s0: int, s1: int) -> BlockResult:
        """Every pair of cores ``start:stop`` and sets ``s0:s1`` scored (the reference the pruned paths equal)."""
        n, dev, m_count = stop - start, self.device, len(self.members)
        k, depth = min(self.top_k, s1 - s0), min(self.depth, s1 - s0)
        core_proj = [m.head.project_cores(torch.from_numpy(m.cores.block(start, stop))) for m in self.members]
        set_proj = [m.sets.projections(m.head, s0, s1).to(dev) for m in self.members]
        scorers = _fused_scorers(self.members, set_proj, self.shifts, self.fast_columns) if self.fused else None
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
                           mem_s.float().cpu().numpy(), s1 - s0, s0, s1, n * (s1 - s0))

    def _group_task(self, start: int, stop: int, s0: int, s1: int) -> BlockResult:
        """The task with interval-bound pruning: the block's sets ordered into tight groups (:func:`tight_groups`),
        each group scored only for the cores whose bound over it can still reach their lists."""
        n, dev, m_count = stop - start, self.device, len(self.members)
        k, depth = min(self.top_k, s1 - s0), min(self.depth, s1 - s0)
        core_proj = [m.head.project_cores(torch.from_numpy(m.cores.block(start, stop))) for m in self.members]
        set_proj = [m.sets.projections(m.head, s0, s1).float().cpu() for m in self.members]
        weight = np.abs(self.bounds[0].w2).sum(axis=1)
        perm, groups = tight_groups(set_proj[0].numpy() * weight[None, :])
        shifts = self.shifts or [(p.amax(0) + p.amin(0)) / 2 for p in set_proj]  # the brute force's per-block shift
        for m in range(m_count):  # one member at a time: never two copies of every member's block
            set_proj[m] = set_proj[m][torch.from_numpy(perm)]
        ids = torch.from_numpy(perm + s0).to(dev)
        upper = np.stack([b.interval_upper(p.double().cpu().numpy(), *group_bounds(q.numpy(), groups))
                          for b, p, q in zip(self.bounds, core_proj, set_proj)])  # [M, n, G]
        rank_upper = sigmoid(upper).mean(axis=0) if self.ensemble else upper[0]
        scorers = _fused_scorers(self.members, set_proj, shifts, self.fast_columns) if self.fused else None
        set_proj = [p.to(dev) for p in set_proj]
        best = (torch.full((n, k), -torch.inf, device=dev), torch.full((n, k), torch.iinfo(torch.long).max, dtype=torch.long, device=dev))
        member_best = [(torch.full((n, depth), -torch.inf, device=dev), best[1][:, :1].expand(n, depth).clone()) for _ in range(m_count)]
        scored = 0
        for g in np.argsort(-rank_upper.max(axis=0), kind="stable"):
            a, b = groups[g]
            thr = best[0][:, k - 1].cpu().numpy() / (m_count if self.ensemble else 1)
            need = rank_upper[:, g] >= thr - (PROB_MARGIN if self.ensemble else LOGIT_MARGIN)
            if self.ensemble:
                for m in range(m_count):
                    need |= upper[m, :, g] >= member_best[m][0][:, depth - 1].cpu().numpy() - LOGIT_MARGIN
            rows = torch.from_numpy(np.nonzero(need)[0]).to(dev)
            if not len(rows):
                continue
            scored += len(rows) * (b - a)
            total = None
            for m, member in enumerate(self.members):
                pc = core_proj[m][rows]
                logits = scorers[m].logits(pc.cpu(), a, b) if scorers is not None else member.head.logits(pc, set_proj[m][a:b])
                logits = logits.to(dev)
                if self.ensemble:
                    member_best[m] = _merge_rows(member_best[m], rows, logits, ids[a:b], depth)
                    prob = logits.sigmoid_()
                    total = prob if total is None else total.add_(prob)
                else:
                    total = logits
            best = _merge_rows(best, rows, total, ids[a:b], k)
        top_s, top_i = (best[0] / m_count if self.ensemble else best[0]), best[1]
        if self.ensemble:
            mem_s, mem_i = torch.stack([mb[0] for mb in member_best]), torch.stack([mb[1] for mb in member_best])
        else:
            mem_s, mem_i = top_s[None], top_i[None]
        if scorers is not None:
            self.fallback_tiles += sum(sc.fallback_tiles for sc in scorers)
        return BlockResult(start, stop, top_i.cpu().numpy(), top_s.float().cpu().numpy(), mem_i.cpu().numpy(),
                           mem_s.float().cpu().numpy(), s1 - s0, s0, s1, scored)

    def _search_pays(self) -> bool:
        """Search the first cores against every set within :data:`SEARCH_CORE_BUDGET`; False (with a note) when one
        of them needs more, i.e. when the search would cost more than scoring every pair."""
        n, width = min(SEARCH_TRIAL_CORES, self.num_cores), self.num_sets
        core_proj = [m.head.project_cores(torch.from_numpy(m.cores.block(0, n))) for m in self.members]
        tables = [m.sets._ligand_projections(m.head) for m in self.members]
        budget = int(SEARCH_CORE_BUDGET * width)
        for c in range(n):
            lists, count = self._search_core(core_proj, tables, c, 0, width, budget)
            if lists is None:
                self.prune_note = (f"exact pruning does not pay for this model: one core needed over {count:,} of its {width:,} sets before "
                                   "its top list was settled (its top scores lie close together), so every pair is scored (the hits are the same)")
                return False
        return True

    def _search_core(self, core_proj: list[torch.Tensor], tables: list, c: int, s0: int, s1: int, budget: int | None = None):
        """The branch-and-bound lists of core ``c`` of ``core_proj`` over sets ``s0:s1`` (``None`` past ``budget`` sets)."""
        k, depth = min(self.top_k, s1 - s0), min(self.depth, s1 - s0)

        def score(members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ratios = np.zeros(members.shape, np.float32)
            logits, total = [], None
            for m, member in enumerate(self.members):
                p_set = torch.from_numpy(member.sets._pooled(tables[m], members, ratios))
                if self.fused:
                    scorer = _fused_scorers([member], [p_set], [self.shifts[m]], [self.fast_columns[m]])[0]
                    out = scorer.logits(core_proj[m][c : c + 1].cpu(), 0, len(p_set))
                    self.fallback_tiles += scorer.fallback_tiles
                else:
                    out = member.head.logits(core_proj[m][c : c + 1], p_set.to(self.device))
                logits.append(out[0].float().cpu().numpy().copy())
                if self.ensemble:
                    prob = out.sigmoid_()
                    total = prob if total is None else total.add_(prob)
                else:
                    total = out
            return np.stack(logits), total[0].float().cpu().numpy()

        return self.search.top_lists([p[c].cpu().numpy() for p in core_proj], s0, s1, k, depth, score, budget)

    def _search_task(self, start: int, stop: int, s0: int, s1: int) -> BlockResult:
        """The task by branch-and-bound, core by core: the same lists as :meth:`score_task`'s brute force."""
        n, m_count = stop - start, len(self.members)
        k, depth = min(self.top_k, s1 - s0), min(self.depth, s1 - s0)
        core_proj = [m.head.project_cores(torch.from_numpy(m.cores.block(start, stop))) for m in self.members]
        tables = [m.sets._ligand_projections(m.head) for m in self.members]
        top_i, top_s = np.zeros((n, k), np.int64), np.zeros((n, k), np.float32)
        mem_i, mem_s = np.zeros((m_count, n, depth), np.int64), np.zeros((m_count, n, depth), np.float32)
        scored = 0
        for c in range(n):
            lists, count = self._search_core(core_proj, tables, c, s0, s1)
            scored += count
            top_i[c], top_s[c] = lists.ids, (lists.scores / m_count if self.ensemble else lists.scores)
            for m in range(m_count if self.ensemble else 0):
                mem_i[m, c], mem_s[m, c] = lists.member_ids[m], lists.member_scores[m]
        if not self.ensemble:
            mem_i, mem_s = top_i[None], top_s[None]
        return BlockResult(start, stop, top_i, top_s, mem_i, mem_s, s1 - s0, s0, s1, scored)

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
                       results[0].set_start, results[-1].set_stop, sum(r.scored_pairs for r in results))


_select = select_best


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


def _fused_scorers(members: Sequence[Member], set_proj: Sequence[Tensor], shifts: Sequence[Tensor | None] | None = None,
                   fast: Sequence[np.ndarray | None] | None = None) -> list | None:
    """CPU fused-kernel scorers (numba), or None when numba is missing (the torch path then runs)."""
    try:  # optional heavy dependency, imported only when a CPU engine is built (keeps CLI start-up fast)
        from colim.screening.fused import FusedScorer
    except ImportError:
        return None
    shifts, fast = shifts or [None] * len(members), fast or [None] * len(members)
    return [FusedScorer(m.head, p, shift, columns) for m, p, shift, columns in zip(members, set_proj, shifts, fast)]


def _merge(current: tuple[Tensor, Tensor], scores: Tensor, offset: int, k: int, ids: Tensor | None = None,
           presorted: bool = False) -> tuple[Tensor, Tensor]:
    """Running top-k: the tile's own top-k (set ids = column + ``offset``) merged with ``current`` [B, ≤k]
    (on CPU ties go to the smaller set id, as in :func:`select_best`, so any tiling gives the same lists).
    ``presorted``: ``scores`` already is the tile's top-k and ``ids`` their set ids."""
    if presorted:
        best, pos = scores, ids
    else:
        best, pos = _topk(scores, min(k, scores.shape[1]))
        pos += offset
    if current[0].shape[1] == 0:
        return best, pos
    values = torch.cat([current[0], best], dim=1)
    index = torch.cat([current[1], pos], dim=1)
    if values.device.type == "cpu":
        idx, val = select_best(index.numpy(), values.numpy(), k)
        return torch.from_numpy(np.ascontiguousarray(val)), torch.from_numpy(np.ascontiguousarray(idx))
    best, where = torch.topk(values, min(k, values.shape[1]), dim=1, sorted=True)
    return best, torch.gather(index, 1, where)


def _merge_rows(current: tuple[Tensor, Tensor], rows: Tensor, scores: Tensor, ids: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """:func:`_merge` of a group's ``scores [len(rows), g]`` (set ids ``ids [g]``) into rows ``rows`` of full lists."""
    values, index = current[0].clone(), current[1].clone()
    best, pos = _topk(scores, min(k, scores.shape[1]))
    merged = _merge((values[rows], index[rows]), best, 0, k, ids[pos.to(ids.device)], presorted=True)
    values[rows], index[rows] = merged
    return values, index


def _topk(scores: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Row-wise sorted top-k, ties to the smaller column. On CPU via numpy's argpartition: one thread, so no
    torch thread-pool wake-up right after the numba kernels (which cost ~15 ms a tile on a loaded box)."""
    if scores.device.type != "cpu":
        return torch.topk(scores, k, dim=1, sorted=True)
    values = scores.numpy()
    neg = -values  # NaN stays NaN and sorts last, as torch.topk ranks NaN first
    if k >= values.shape[1]:
        part = np.broadcast_to(np.arange(values.shape[1]), values.shape)
    else:
        part = np.argpartition(neg, k - 1, axis=1)[:, :k]
        kth = np.take_along_axis(neg, part, 1).max(axis=1, keepdims=True)
        tied = (neg == kth).sum(axis=1) > (np.take_along_axis(neg, part, 1) == kth).sum(axis=1)
        if tied.any():  # ties straddle the k-th place: keep the smallest columns among them
            part = part.copy()
            for row in np.nonzero(tied)[0]:
                part[row] = np.lexsort((np.arange(values.shape[1]), neg[row]))[:k]
    order = np.lexsort((part, np.take_along_axis(neg, part, 1)), axis=1)
    index = np.take_along_axis(part, order, 1)
    return torch.from_numpy(np.take_along_axis(values, index, 1)), torch.from_numpy(index.astype(np.int64))
