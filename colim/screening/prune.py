"""Exact pruned top lists: what can be bounded, and the per-core search over a combinatorial library.

:func:`pruning_plan` decides once per engine how a screen may prune (it is exact for every folded head:
any depth, any ensemble size), and says why not when it cannot: a combinatorial library with linear
pooling and no set rules or ratios is searched branch-and-bound over ligand choices
(:class:`CombinatorialSearch`: quadratic pair bounds, :mod:`colim.screening.pair_search`, for one-hidden-layer
heads, per-ligand bounds, :mod:`colim.screening.branch`, for deeper ones; each core's search starts from a
few exactly scored seed sets and a hill climb, whose best sets set the thresholds and the bounds' tangents);
any other library (materialised sets, rules, ratios, attention pooling)
is scored set block by set block, skipping the sub-blocks whose interval bound cannot reach a core's
lists (see :meth:`colim.screening.engine.ScreenEngine.score_task`).

Ties are broken as the brute force breaks them: by score, then by the smaller set id (:func:`select_best`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from math import comb

import numpy as np

from colim.screening import pair_search
from colim.screening.bounds import LOGIT_MARGIN, PROB_MARGIN, HeadBounds
from colim.screening.sources import CombinatorialSets

#: sets per sub-block of the interval-bound pruning (materialised libraries, rules, ratios).
SUB_BLOCK = 512
#: largest memory (bytes) of the pair search's per-core tables (``γ`` and two suffix tables, ``M × L²`` float64
#: each); a larger ligand list is searched with the per-ligand bounds of :mod:`colim.screening.branch`.
PAIR_MAX_BYTES = 1 << 30
#: rounds of the seeding hill climb (each tries every one-ligand swap of the best set found).
CLIMB_ROUNDS = 3


def select_best(index: np.ndarray, score: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` along the last axis by (score descending, NaN last, then the smaller set id)."""
    key = np.where(np.isnan(score), np.inf, -score.astype(np.float64))
    flat_key, flat_idx = key.reshape(-1, key.shape[-1]), index.reshape(-1, index.shape[-1])
    order = np.lexsort((flat_idx, flat_key), axis=-1)[:, :k] if flat_key.shape[0] else np.zeros((0, k), np.int64)
    shape = index.shape[:-1] + (min(k, index.shape[-1]),)
    picked_i = np.take_along_axis(flat_idx, order, 1).reshape(shape)
    picked_s = np.take_along_axis(score.reshape(flat_key.shape), order, 1).reshape(shape)
    return picked_i, picked_s


def search_reason(sets: list) -> str | None:
    """Why the combinatorial branch-and-bound cannot run on these set sources (None: it can)."""
    if not all(isinstance(s, CombinatorialSets) for s in sets):
        return "materialised sets"
    first = sets[0]
    if any(s.pooling is None for s in sets):
        return "non-linear (attention) set pooling"
    rule = first.space.rule
    if rule.require or rule.combine or rule.max_per_family:
        return "set rules (families)"
    if any(first.space.rule.patterns(k) for k in range(rule.min_kinds, rule.max_kinds + 1)):
        return "ratio patterns"
    return None


class TopLists:
    """The running top lists of one core: the ranking list (``top_k``, by score: logit for one model, the
    sum of the members' probabilities for an ensemble) and each member's ``depth`` list (by logit)."""

    def __init__(self, members: int, top_k: int, depth: int):
        self.k, self.depth, self.members = top_k, depth, members
        self.ids = np.zeros(0, np.int64)
        self.scores = np.zeros(0, np.float32)
        self.member_ids = [np.zeros(0, np.int64) for _ in range(members)]
        self.member_scores = [np.zeros(0, np.float32) for _ in range(members)]

    def add(self, ids: np.ndarray, logits: np.ndarray, scores: np.ndarray) -> None:
        """Merge scored sets (``logits [M, n]``, ranking ``scores [n]``)."""
        self.ids, self.scores = select_best(np.concatenate([self.ids, ids])[None], np.concatenate([self.scores, scores])[None], self.k)
        self.ids, self.scores = self.ids[0], self.scores[0]
        if self.members > 1:
            for m in range(self.members):
                i, s = select_best(np.concatenate([self.member_ids[m], ids])[None],
                                   np.concatenate([self.member_scores[m], logits[m]])[None], self.depth)
                self.member_ids[m], self.member_scores[m] = i[0], s[0]

    def thresholds(self) -> tuple[np.ndarray, float]:
        """``(member logit thresholds [M], ranking threshold)`` with the rounding margins; −inf until full."""
        thr_m = np.array([s[self.depth - 1] - LOGIT_MARGIN if len(s) >= self.depth else -np.inf for s in self.member_scores])
        if len(self.scores) < self.k:
            return thr_m, -np.inf
        if self.members > 1:
            return thr_m, float(self.scores[self.k - 1]) / self.members - PROB_MARGIN
        return thr_m, float(self.scores[self.k - 1]) - LOGIT_MARGIN


class CombinatorialSearch:
    """Per-core branch-and-bound over a combinatorial library (see :mod:`colim.screening.branch`).

    Args:
        sets: the members' :class:`CombinatorialSets` (same ligands and rule). bounds: their heads'
            :class:`HeadBounds`. ligand_proj: each member's per-ligand projections ``[L, H]``.
    """

    def __init__(self, sets: list[CombinatorialSets], bounds: list[HeadBounds], ligand_proj: list[np.ndarray]):
        from colim.screening.branch import MemberBounds, packed_tails

        self.space = sets[0].space
        self.pooling = sets[0].pooling
        self.members = [MemberBounds(b, p) for b, p in zip(bounds, ligand_proj)]
        self.packed = packed_tails(bounds)
        n = len(self.space.smiles)
        self.num_ligands = n
        rule = self.space.rule
        self.kinds = [k for k in range(rule.min_kinds, rule.max_kinds + 1) if k <= n]
        self.offsets, start = {}, 0
        for k in self.kinds:
            self.offsets[k] = start
            start += comb(n, k)
        self.position = np.empty(n, dtype=np.int64)  # library row → position in the canonical (SMILES) order
        self.position[self.space._order] = np.arange(n)
        # one hidden layer: quadratic pair bounds (tight on flat landscapes); deeper heads: per-ligand bounds
        self.pair_bounds = pair_search.applies(bounds) and 3 * 8 * len(bounds) * n * n <= PAIR_MAX_BYTES

    def ids_of(self, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Set ids and member rows ``[n, 4]`` (canonical order, −1 padded) of ``k``-ligand choices (library rows)."""
        canon = np.sort(self.position[rows], axis=1)
        tables = self.space._tables[k]
        rank = np.zeros(len(rows), dtype=np.int64)
        base = np.zeros(len(rows), dtype=np.int64)
        for p in range(k):
            table = tables[k - p - 1]
            rank += table[canon[:, p]] - table[base]
            base = canon[:, p] + 1
        members = np.full((len(rows), 4), -1, dtype=np.int64)
        members[:, :k] = self.space._order[canon]
        return self.offsets[k] + rank, members

    def top_lists(self, p_core: list[np.ndarray], s0: int, s1: int, top_k: int, depth: int,
                  score: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], budget: int | None = None) -> tuple[TopLists | None, int]:
        """The exact top lists of one core (``p_core``: each member's core projection ``[H]``) over sets
        ``s0:s1``; ``score(members [n, 4]) -> (logits [M, n], ranking scores [n])`` scores sets exactly.
        Returns the lists and the number of sets scored, or ``(None, scored)`` as soon as more than ``budget``
        sets were scored (the search does not pay for this core; the caller scores it whole)."""
        p_core = [np.asarray(p, dtype=np.float64) for p in p_core]
        scale = {k: float(k) if self.pooling == "sum" else 1.0 for k in self.kinds}
        kinds = [k for k in self.kinds if self.offsets[k] < s1 and self.offsets[k] + comb(self.num_ligands, k) > s0]
        run = _CoreRun(self, TopLists(len(self.members), top_k, depth), score, s0, s1)
        tangents = self._seed(run, p_core, kinds, scale)
        cache: dict = {}
        for k in kinds:
            for rows in self._candidates(k, p_core, scale[k], tangents[k], run.lists, len(self.members) > 1, cache):
                run.add(*self.ids_of(k, rows))
                if budget is not None and run.scored > budget:
                    return None, run.scored
        return run.lists, run.scored

    def _seed(self, run: "_CoreRun", p_core: list[np.ndarray], kinds: list[int], scale: dict) -> dict:
        """Score a first few sets to set the thresholds, and return per ``k`` the tangents of the bounds (each
        member's ``P_set`` of the best ``k``-kind set found: the bounds are tightest near the winners). Seeds:
        every combination of the :data:`SEED_LIGANDS` ligands with the best own bound, then, with pair bounds,
        a hill climb from the best of them (swap one ligand for the best replacement, a few rounds)."""
        from colim.screening.branch import SEED_LIGANDS, single_scores, terms

        if not kinds:
            return {}
        mean_tangent = [scale[kinds[0]] * mb.proj.mean(axis=0) for mb in self.members]
        up, lo = terms(self.members, p_core, scale[kinds[0]], mean_tangent)
        best = np.argsort(-single_scores(self.members, up, lo, len(self.members) > 1), kind="stable")[:SEED_LIGANDS]
        tangents = {}
        for k in kinds:
            rows = np.array(list(itertools.combinations(best.tolist(), k)), dtype=np.int64).reshape(-1, k)
            top, top_score = run.best(rows, *run.add(*self.ids_of(k, rows)))
            for _ in range(CLIMB_ROUNDS if self.pair_bounds and top is not None and k > 1 else 0):
                rows = np.concatenate([_swaps(top, j, self.num_ligands) for j in range(k)])
                new_top, new_score = run.best(rows, *run.add(*self.ids_of(k, rows)), top, top_score)
                if new_score <= top_score:
                    break
                top, top_score = new_top, new_score
            tangents[k] = mean_tangent if top is None else [scale[k] * mb.proj[top].mean(axis=0) for mb in self.members]
        if self.pooling != "sum":  # mean pooling: one tangent (the largest sets', most of the library) for every k
            tangents = dict.fromkeys(kinds, tangents[kinds[-1]])
        return tangents

    def _candidates(self, k: int, p_core: list[np.ndarray], scale: float, tangents: list[np.ndarray], lists: TopLists,
                    ensemble: bool, cache: dict):
        """Batches of ``k``-ligand choices (library rows) whose bound may still reach ``lists``' thresholds
        (``cache``: this core's pair terms, reused across ``k`` while the scale and tangents stay)."""
        from colim.screening.branch import search_batches, single_scores, terms

        if self.pair_bounds:
            if cache.get("key") != (scale, id(tangents)):
                cache["key"] = (scale, id(tangents))
                cache["terms"] = [pair_search.pair_terms(mb.bounds, pc, scale * mb.proj, t) for mb, pc, t in zip(self.members, p_core, tangents)]
            terms_k = cache["terms"]
            a = np.array([a_m for a_m, _, _ in terms_k])
            beta, gamma = zip(*(pair_search.kind_terms(g, q, k) for _, g, q in terms_k))
            yield from pair_search.search_batches(k, a, np.stack(beta), np.stack(gamma), lists.thresholds)
            return
        up, lo = terms(self.members, p_core, scale, tangents)
        order = np.argsort(-single_scores(self.members, up, lo, ensemble), kind="stable")
        yield from search_batches(k, up, lo, order, self.packed, lists.thresholds)


class _CoreRun:
    """One core's search in progress: its lists, the sets scored so far (each set is scored once) and their count."""

    def __init__(self, search: CombinatorialSearch, lists: TopLists, score: Callable, s0: int, s1: int):
        self.search, self.lists, self.score, self.s0, self.s1 = search, lists, score, s0, s1
        self.seen = np.zeros(0, np.int64)
        self.scored = 0

    def add(self, ids: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score the sets of ``s0:s1`` not scored before into the lists; returns the rows it scored (a mask over
        the input) and their ranking scores."""
        keep = (ids >= self.s0) & (ids < self.s1) & ~np.isin(ids, self.seen)
        keep &= ~_repeated(ids)
        scores = np.zeros(0, np.float32)
        if keep.any():
            logits, scores = self.score(members[keep])
            self.lists.add(ids[keep], logits, scores)
            self.seen = np.union1d(self.seen, ids[keep])
            self.scored += int(keep.sum())
        return keep, scores

    @staticmethod
    def best(rows: np.ndarray, keep: np.ndarray, scores: np.ndarray, top: np.ndarray | None = None,
             top_score: float = -np.inf) -> tuple[np.ndarray | None, float]:
        """The better of ``top`` and the best newly scored row (NaN scores never win)."""
        if len(scores) and np.isfinite(scores).any():
            i = int(np.nanargmax(scores))
            if scores[i] > top_score:
                return rows[keep][i], float(scores[i])
        return top, top_score


def _repeated(ids: np.ndarray) -> np.ndarray:
    """True for every id that already appeared earlier in ``ids``."""
    _, first = np.unique(ids, return_index=True)
    out = np.ones(len(ids), dtype=bool)
    out[first] = False
    return out


def _swaps(rows: np.ndarray, j: int, n: int) -> np.ndarray:
    """Every set that replaces ligand ``j`` of ``rows`` by another ligand not in it: ``[n − k, k]``."""
    others = np.delete(rows, j)
    cand = np.setdiff1d(np.arange(n), rows)
    return np.column_stack([np.broadcast_to(others, (len(cand), len(others))), cand]).astype(np.int64)


def tight_groups(points: np.ndarray, leaf: int = SUB_BLOCK) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Order sets so that consecutive groups of at most ``leaf`` are tight: a k-d split (median of the widest
    unit, recursively) of ``points [S, H]`` (projections scaled by how much each unit matters). Returns the
    permutation and the ``(start, stop)`` groups in it."""
    perm = np.arange(len(points))
    todo, groups = [(0, len(points))], []
    while todo:
        a, b = todo.pop()
        if b - a <= leaf:
            groups.append((a, b))
            continue
        seg = points[perm[a:b]]
        dim = int(np.argmax(seg.max(axis=0) - seg.min(axis=0)))
        mid = (b - a) // 2
        perm[a:b] = perm[a:b][np.argpartition(seg[:, dim], mid)]
        todo += [(a + mid, b), (a, a + mid)]
    return perm, sorted(groups)


def group_bounds(proj: np.ndarray, groups: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Per-group ``[min, max]`` of the (permuted) projections: ``lo, hi [G, H]`` (float64)."""
    starts = np.array([a for a, _ in groups], dtype=np.int64)
    p = proj.astype(np.float64)
    return np.minimum.reduceat(p, starts, axis=0), np.maximum.reduceat(p, starts, axis=0)
