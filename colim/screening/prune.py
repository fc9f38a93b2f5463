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

from colim.screening.pair_search import PairSearch, applies, pair_terms
from colim.screening.bounds import LOGIT_MARGIN, PROB_MARGIN, HeadBounds
from colim.screening.sources import CombinatorialSets

#: sets per sub-block of the interval-bound pruning (materialised libraries, rules, ratios).
SUB_BLOCK = 512
#: largest memory (bytes) of the pair search's per-core tables (``γ`` and two suffix tables, ``M × L²`` float64
#: each); a larger ligand list is searched with the per-ligand bounds of :mod:`colim.screening.branch`.
PAIR_MAX_BYTES = 1 << 30
#: rounds of the seeding hill climb (each tries every one-ligand swap of the best set found).
CLIMB_ROUNDS = 3
#: candidates of the pair search's first batch (at least; or this share of the sets of that size) past which a
#: ligand is set apart with its own tangent ...
SPECIAL_TRIGGER = 4096
SPECIAL_SHARE = 2e-4
#: ... up to this many ligands per core and set size; before that, up to this many times, a better set among
#: those candidates moves the tangent there.
MAX_SPECIAL = 16
MAX_TANGENT_MOVES = 8
#: tangents per member at most (its best set, then the best of batches the bounds let through).
MAX_TANGENTS = 4


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
        self.ids, self.scores = _merged(self.ids, self.scores, ids, scores, self.k)
        if self.members > 1:
            for m in range(self.members):
                self.member_ids[m], self.member_scores[m] = _merged(self.member_ids[m], self.member_scores[m], ids, logits[m], self.depth)

    def thresholds(self) -> tuple[np.ndarray, float]:
        """``(member logit thresholds [M], ranking threshold)`` with the rounding margins; −inf until full."""
        thr_m = np.array([s[self.depth - 1] - LOGIT_MARGIN if len(s) >= self.depth else -np.inf for s in self.member_scores])
        if len(self.scores) < self.k:
            return thr_m, -np.inf
        if self.members > 1:
            return thr_m, float(self.scores[self.k - 1]) / self.members - PROB_MARGIN
        return thr_m, float(self.scores[self.k - 1]) - LOGIT_MARGIN


def _merged(ids: np.ndarray, scores: np.ndarray, new_ids: np.ndarray, new_scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` of a list and new scored sets (as :func:`select_best`); a full list with a finite last score
    first drops the new sets below it, which cannot enter (a tie may: ties go to the smaller id)."""
    if len(scores) >= k and np.isfinite(scores[k - 1]):
        keep = new_scores >= scores[k - 1]
        new_ids, new_scores = new_ids[keep], new_scores[keep]
        if not len(new_ids):
            return ids, scores
    i, s = select_best(np.concatenate([ids, new_ids])[None], np.concatenate([scores, new_scores])[None], k)
    return i[0], s[0]


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
        self.pair_bounds = applies(bounds) and 3 * 8 * len(bounds) * n * n <= PAIR_MAX_BYTES

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
        run = _CoreRun(self, TopLists(len(self.members), top_k, depth), score, s0, s1, budget)
        tops = self._seed(run, p_core, kinds, scale)
        for k in kinds:
            batches = self._pair_candidates(run, k, p_core, scale[k], *tops[k]) if self.pair_bounds else \
                self._ligand_candidates(run, k, p_core, scale[k], tops[k][0])
            for rows in batches:
                run.add(*self.ids_of(k, rows), remember=False)
                if run.over_budget:
                    return None, run.scored
        return run.lists, run.scored

    def _seed(self, run: "_CoreRun", p_core: list[np.ndarray], kinds: list[int], scale: dict) -> dict:
        """Score a first few sets to set the thresholds; per ``k``, the best ``k``-kind set found (library rows;
        None if none) and its score: its ``P_set`` is where the bounds are linearised (tightest near the winners). Seeds:
        every combination of the :data:`SEED_LIGANDS` ligands with the best own bound, then, with pair bounds,
        a hill climb from the best of them."""
        from colim.screening.branch import SEED_LIGANDS, single_scores, terms

        if not kinds:
            return {}
        mean_tangent = [scale[kinds[0]] * mb.proj.mean(axis=0) for mb in self.members]
        up, lo = terms(self.members, p_core, scale[kinds[0]], mean_tangent)
        best = np.argsort(-single_scores(self.members, up, lo, len(self.members) > 1), kind="stable")[:SEED_LIGANDS]
        tops = {}
        for k in kinds:
            rows = np.array(list(itertools.combinations(best.tolist(), k)), dtype=np.int64).reshape(-1, k)
            tops[k] = run.best(rows, *run.add(*self.ids_of(k, rows)))
            if self.pair_bounds and tops[k][0] is not None and k > 1:
                tops[k] = self._climb(run, k, *tops[k], 0, np.arange(self.num_ligands))
        return tops

    def _climb(self, run: "_CoreRun", k: int, top: np.ndarray, top_score: float, fixed: int,
               allowed: np.ndarray) -> tuple[np.ndarray, float]:
        """Hill climb from the set ``top`` (library rows): swap one of its ligands after the first ``fixed`` for
        the best of ``allowed``, for :data:`CLIMB_ROUNDS` rounds or until nothing improves; the best set found
        and its score."""
        for _ in range(CLIMB_ROUNDS):
            rows = [_swaps(top, j, allowed) for j in range(fixed, k)]
            rows = np.concatenate(rows) if rows else np.zeros((0, k), np.int64)
            new_top, new_score = run.best(rows, *run.add(*self.ids_of(k, rows)), top, top_score)
            if new_score <= top_score:
                break
            top, top_score = new_top, new_score
        return top, top_score

    def _tangents(self, k: int, scale: float, top: np.ndarray | None, run: "_CoreRun | None" = None) -> list[np.ndarray]:
        """Each member's ``P_set`` of its own best ``k``-kind set so far (``run``; an ensemble's members disagree, and
        each must bound the sets that may enter its own list), else of the set ``top``, else the ligands' mean."""
        out = []
        for m, mb in enumerate(self.members):
            rows = run.member_best.get((m, k), (top,))[0] if run is not None and len(self.members) > 1 else top
            out.append(scale * (mb.proj.mean(axis=0) if rows is None else mb.proj[rows].mean(axis=0)))
        return out

    def _ligand_candidates(self, run: "_CoreRun", k: int, p_core: list[np.ndarray], scale: float, top: np.ndarray | None):
        """Batches of ``k``-ligand choices (library rows) by per-ligand bounds (:mod:`colim.screening.branch`)."""
        from colim.screening.branch import search_batches, single_scores, terms

        up, lo = terms(self.members, p_core, scale, self._tangents(k, scale, top))
        order = np.argsort(-single_scores(self.members, up, lo, len(self.members) > 1), kind="stable")
        yield from search_batches(k, up, lo, order, self.packed, run.lists.thresholds)

    def _pair_search(self, p_core: list[np.ndarray], scale: float, tangents: list[list[np.ndarray]], k: int,
                     allowed: np.ndarray, fixed: int | None = None) -> PairSearch:
        """The pair-bound search of the ``k``-kind sets made of ``fixed`` (a library row, or none) and ligands of
        ``allowed`` (library rows; the search returns positions in it); ``tangents``: each member's tangents."""
        terms, owner = [], []
        for m, (mb, pc) in enumerate(zip(self.members, p_core)):
            for t in tangents[m]:
                terms.append(pair_terms(mb.bounds, pc, scale * mb.proj[allowed], t, k,
                                        None if fixed is None else scale * mb.proj[fixed], 0 if fixed is None else 1))
                owner.append(m)
        return PairSearch(k - (fixed is not None), terms, owner)

    def _more_tangents(self, run: "_CoreRun", k: int, scale: float, extra: list[list[np.ndarray]], most: int) -> bool:
        """Add, for each member with fewer than ``most`` tangents, one at its best set of the last scored batch
        (a set the bounds let through: a peak the tangents so far do not cover); whether any was added."""
        if run.last is None:
            return False
        members, logits = run.last
        added = False
        for m, row in enumerate(logits):
            if len(extra[m]) + 1 < most and np.isfinite(row).any():
                rows = members[int(np.nanargmax(row))][:k]
                extra[m].append(scale * self.members[m].proj[rows].mean(axis=0))
                added = True
        return added

    def _pair_candidates(self, run: "_CoreRun", k: int, p_core: list[np.ndarray], scale: float, top: np.ndarray | None,
                         top_score: float):
        """Batches of ``k``-ligand choices (library rows) by quadratic pair bounds. A ligand far from the winners
        loosens the bound of every set that holds it (its curvature range and distance to the tangent): while
        the first :data:`SPECIAL_TRIGGER` (or :data:`SPECIAL_SHARE`) candidates are not all there is, the ligand most of them hold is set
        apart (up to :data:`MAX_SPECIAL`), and the sets that hold it are searched with their own tangent."""
        allowed, special, moves = np.arange(self.num_ligands), [], 0
        extra: list[list[np.ndarray]] = [[] for _ in self.members]  # more tangents per member, at other peaks
        most = min(MAX_TANGENTS, max(1, PAIR_MAX_BYTES // (24 * len(self.members) * self.num_ligands**2)))
        while True:
            tangents = [[t] + more for t, more in zip(self._tangents(k, scale, top, run), extra)]
            search = self._pair_search(p_core, scale, tangents, k, allowed)
            rows = search.next(*run.lists.thresholds(), cap=max(SPECIAL_TRIGGER, int(SPECIAL_SHARE * comb(len(allowed), k))))
            if search.done or k == 1 or len(special) >= MAX_SPECIAL:
                break
            if moves < MAX_TANGENT_MOVES:  # score these candidates: a better set moves the tangent (climb from
                moves += 1                  # it), each member's best of them is a tangent of its own
                keep, scores = run.add(*self.ids_of(k, allowed[rows]))
                better, score = run.best(allowed[rows], keep, scores, None, top_score)
                if better is not None:
                    top, top_score = self._climb(run, k, better, score, 0, allowed)
                added = self._more_tangents(run, k, scale, extra, most)
                if better is not None or added:
                    continue
            special.append(int(allowed[np.argmax(np.bincount(rows.ravel(), minlength=len(allowed)))]))
            allowed = allowed[allowed != special[-1]]
        while rows is not None:
            yield allowed[rows]
            rows = search.next(*run.lists.thresholds())
        for j, s in enumerate(special):  # every set holding s and no special set apart before it
            others = np.concatenate([allowed, np.array(special[j + 1 :], dtype=np.int64)])
            start = np.array([s] + [r for r in (top if top is not None else []) if r != s][: k - 1], dtype=np.int64)
            if len(start) < k:
                start = np.concatenate([start, others[~np.isin(others, start)][: k - len(start)]])
            best, _ = self._climb(run, k, start, -np.inf, 1, others)
            search = self._pair_search(p_core, scale, [[t] for t in self._tangents(k, scale, best)], k, others, fixed=s)
            while (rows := search.next(*run.lists.thresholds())) is not None:
                yield np.column_stack([np.full(len(rows), s), others[rows]])


class _CoreRun:
    """One core's search in progress: its lists, the sets scored so far (each set is scored once) and their count."""

    def __init__(self, search: CombinatorialSearch, lists: TopLists, score: Callable, s0: int, s1: int, budget: int | None):
        self.search, self.lists, self.score, self.s0, self.s1, self.budget = search, lists, score, s0, s1, budget
        self.seen = np.zeros(0, np.int64)
        self.scored = 0
        self.last: tuple[np.ndarray, np.ndarray] | None = None
        self.member_best: dict[tuple[int, int], tuple[np.ndarray, float]] = {}  # (member, k) → best set by its logit

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.scored > self.budget

    def add(self, ids: np.ndarray, members: np.ndarray, remember: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Score the sets of ``s0:s1`` not scored before into the lists; returns the rows it scored (a mask over
        the input) and their ranking scores. ``remember=False``: sets that can never come again (the search
        emits each set once, so only the seeds need remembering; remembering millions would cost a sort each)."""
        keep = (ids >= self.s0) & (ids < self.s1) & ~self._seen(ids)
        if remember:
            keep &= ~_repeated(ids)
        scores = np.zeros(0, np.float32)
        self.last = None  # (member rows, logits [M, n]) of the sets this call scored
        if keep.any():
            logits, scores = self.score(members[keep])
            self.lists.add(ids[keep], logits, scores)
            self.last = (members[keep], logits)
            k = int((members[0] >= 0).sum())
            for m, row in enumerate(logits):  # each member's own best: its bound is linearised there
                if np.isfinite(row).any() and row[int(np.nanargmax(row))] > self.member_best.get((m, k), (None, -np.inf))[1]:
                    i = int(np.nanargmax(row))
                    self.member_best[(m, k)] = (members[keep][i][:k], float(row[i]))
            if remember:
                self.seen = np.union1d(self.seen, ids[keep])
            self.scored += int(keep.sum())
        return keep, scores

    def _seen(self, ids: np.ndarray) -> np.ndarray:
        """Which ids were scored and remembered before (``seen`` stays sorted: a binary search, no sort per batch)."""
        at = np.minimum(np.searchsorted(self.seen, ids), max(len(self.seen) - 1, 0))
        return self.seen[at] == ids if len(self.seen) else np.zeros(len(ids), dtype=bool)

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


def _swaps(rows: np.ndarray, j: int, allowed: np.ndarray) -> np.ndarray:
    """Every set that replaces ligand ``j`` of ``rows`` by a ligand of ``allowed`` not in it."""
    others = np.delete(rows, j)
    cand = np.setdiff1d(allowed, rows)
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
