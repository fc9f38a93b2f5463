"""Exact pruned top lists: what can be bounded, and the per-core search over a combinatorial library.

:func:`pruning_plan` decides once per engine how a screen may prune (it is exact for every folded head:
any depth, any ensemble size), and says why not when it cannot: a combinatorial library with linear
pooling and no set rules or ratios is searched branch-and-bound over ligand choices
(:class:`CombinatorialSearch`); any other library (materialised sets, rules, ratios, attention pooling)
is scored set block by set block, skipping the sub-blocks whose interval bound cannot reach a core's
lists (see :meth:`colim.screening.engine.ScreenEngine.score_task`).

Ties are broken as the brute force breaks them: by score, then by the smaller set id (:func:`select_best`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from math import comb

import numpy as np

from colim.screening.bounds import LOGIT_MARGIN, PROB_MARGIN, HeadBounds
from colim.screening.sources import CombinatorialSets

#: sets per sub-block of the interval-bound pruning (materialised libraries, rules, ratios).
SUB_BLOCK = 512


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
        from colim.screening.branch import SEED_LIGANDS, search_batches, single_scores, terms

        m_count = len(self.members)
        ensemble = m_count > 1
        lists = TopLists(m_count, top_k, depth)
        p_core = [np.asarray(p, dtype=np.float64) for p in p_core]
        scale = {k: float(k) if self.pooling == "sum" else 1.0 for k in self.kinds}
        kinds = [k for k in self.kinds if self.offsets[k] < s1 and self.offsets[k] + comb(self.num_ligands, k) > s0]
        scored = 0

        def add(ids: np.ndarray, members: np.ndarray) -> int:
            keep = (ids >= s0) & (ids < s1)
            if not keep.all():
                ids, members = ids[keep], members[keep]
            if len(ids):
                logits, scores = score(members)
                lists.add(ids, logits, scores)
            return len(ids)

        # seeds: every combination of the ligands with the best own bound, to set the thresholds
        mean_tangent = [scale[kinds[0]] * mb.proj.mean(axis=0) for mb in self.members] if kinds else []
        seen, seen_members = [np.zeros(0, np.int64)], [np.zeros((0, 4), np.int64)]
        if kinds:
            up, lo = terms(self.members, p_core, scale[kinds[0]], mean_tangent)
            best = np.argsort(-single_scores(self.members, up, lo, ensemble), kind="stable")[:SEED_LIGANDS]
            for k in kinds:
                rows = np.array(list(itertools.combinations(best.tolist(), k)), dtype=np.int64).reshape(-1, k)
                ids, members = self.ids_of(k, rows)
                scored += add(ids, members)
                seen.append(ids)
                seen_members.append(members)
        seen_ids, seen_rows = np.concatenate(seen), np.concatenate(seen_members)
        tangents = mean_tangent
        if len(lists.ids):  # tangents at the best seed's P_set: the concave-side bounds are tightest near the winners
            rows = seen_rows[np.nonzero(seen_ids == lists.ids[0])[0][0]]
            rows = rows[rows >= 0]
            tangents = [mb.proj[rows].sum(axis=0) / (1.0 if self.pooling == "sum" else len(rows)) for mb in self.members]
        seen_ids = np.unique(seen_ids)
        for k in kinds:
            up, lo = terms(self.members, p_core, scale[k], tangents)
            order = np.argsort(-single_scores(self.members, up, lo, ensemble), kind="stable")
            for rows in search_batches(k, up, lo, order, self.packed, lists.thresholds):
                ids, members = self.ids_of(k, rows)
                fresh = ~np.isin(ids, seen_ids)
                scored += add(ids[fresh], members[fresh])
                if budget is not None and scored > budget:
                    return None, scored
        return lists, scored


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
