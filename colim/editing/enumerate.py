"""Enumeration of symmetry-unique edits of a core, one atom at a time, to a given depth.

For each parent core: its point group (verified isometries) splits each operator's sites into
orbits; every member of an orbit is confirmed by mapping its edited core onto the representative's
(the group operation's rotation, else a full isometry search) and members that fail are split off.
Each class representative is sanity-checked (rejections counted per reason) and then kept only if no
congruent core is already kept (:class:`CongruenceIndex`: distance-spectrum fingerprint, then a
verified map), which also deduplicates across operators, parents and depths.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
from ase import Atoms
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from colim.progress import progress_bar

from colim.structures.core import core_id
from colim.editing.operator import EditError, EditOperator, EditSite
from colim.editing.sanity import SanityRules, check_core
from colim.editing.symmetry import DEFAULT_TOLERANCE, CongruenceIndex, Isometry, congruent, point_group, verify_map


@dataclass
class SiteClass:
    """Symmetry-equivalent sites of one operator on one parent, with the representative's core."""

    representative: EditSite
    members: list[EditSite]
    core: Atoms


@dataclass
class OperatorStats:
    """Counts for one operator at one depth.

    Attributes:
        candidates: sites on every parent (edits before deduplication).
        classes: symmetry-distinct edits (confirmed orbits).
        unique: edited cores kept.
        duplicates: classes whose core was congruent to one already kept (another class, parent,
            operator or depth, or the input core).
        rejected: classes whose core failed a sanity check, per reason.
    """

    operator: str
    depth: int
    candidates: int = 0
    classes: int = 0
    unique: int = 0
    duplicates: int = 0
    rejected: Counter = field(default_factory=Counter)


@dataclass
class Enumeration:
    """The kept edited cores (with provenance in ``atoms.info``) and counts per operator and depth."""

    cores: list[Atoms]
    stats: list[OperatorStats]
    capped: bool = False

    def rejected(self) -> Counter:
        """Rejected classes per reason, over all operators and depths."""
        total: Counter = Counter()
        for s in self.stats:
            total.update(s.rejected)
        return total


def site_classes(
    core: Atoms,
    operator: EditOperator,
    group: Sequence[Isometry],
    tol: float = DEFAULT_TOLERANCE,
    mirror: bool = True,
    sites: Sequence[EditSite] | None = None,
) -> list[SiteClass]:
    """Split ``operator``'s sites on ``core`` into confirmed symmetry classes (in site order)."""
    return list(iter_site_classes(core, operator, group, tol, mirror, sites))


def iter_site_classes(
    core: Atoms,
    operator: EditOperator,
    group: Sequence[Isometry],
    tol: float = DEFAULT_TOLERANCE,
    mirror: bool = True,
    sites: Sequence[EditSite] | None = None,
) -> Iterator[SiteClass]:
    """:func:`site_classes` one class at a time, so that a caller that has enough (``--max``) stops the work there."""
    sites = list(operator.sites(core) if sites is None else sites)
    if not sites:
        return
    index = {s.key(): k for k, s in enumerate(sites)}
    pos = core.get_positions()
    centre = pos.mean(axis=0)
    n = len(sites)
    ii, jj = list(range(n)), list(range(n))
    direct: dict[tuple[int, int], int] = {}
    for g, op in enumerate(group):
        for k, s in enumerate(sites):
            j = index.get((s.label, tuple(sorted(int(op.perm[i]) for i in s.indices)), s.element))
            if j is None or j == k:
                continue
            if s.position is not None:
                image = op.rotation @ (np.asarray(s.position) - centre) + centre
                if np.linalg.norm(image - np.asarray(sites[j].position)) > 2 * tol:
                    continue
            ii.append(k)
            jj.append(j)
            direct.setdefault((k, j), g)
    _, labels = connected_components(csr_matrix((np.ones(len(ii)), (ii, jj)), shape=(n, n)), directed=False)
    for lab in dict.fromkeys(labels.tolist()):
        orbit = np.nonzero(labels == lab)[0].tolist()
        rep = orbit[0]
        rep_core = operator.apply(core, sites[rep])
        cls = SiteClass(sites[rep], [sites[rep]], rep_core)
        split = []
        for m in orbit[1:]:
            other = operator.apply(core, sites[m])
            g = direct.get((rep, m))
            ok = g is not None and verify_map(rep_core, other, group[g].rotation, tol) is not None
            if ok or congruent(rep_core, other, tol, mirror) is not None:
                cls.members.append(sites[m])
            else:  # the group said equivalent, the edited cores disagree: keep them apart
                split.append(SiteClass(sites[m], [sites[m]], other))
        yield cls
        yield from split


def enumerate_edits(
    core: Atoms,
    operators: Sequence[EditOperator],
    depth: int = 1,
    max_cores: int | None = None,
    tol: float = DEFAULT_TOLERANCE,
    mirror: bool = True,
    rules: SanityRules = SanityRules(),
    progress: bool = False,
) -> Enumeration:
    """Every symmetry-unique edit of ``core`` by ``operators``, repeated to ``depth`` edits.

    Args:
        core: the parent core (not changed; not included in the result).
        operators: edit operator instances (see :func:`colim.editing.parse_operators`).
        depth: number of successive edits; depth ``d`` edits every unique core of depth ``d - 1``.
        max_cores: stop once this many edited cores are kept (``Enumeration.capped`` says so).
        tol: largest atom displacement (Å) for two cores or sites to count as equivalent.
        mirror: count mirror images as the same core (False keeps enantiomers apart).
        rules: sanity limits every edited core must meet.
        progress: show a progress bar over (parent, operator) pairs.
    """
    problem = check_core(core, rules)
    if problem is not None:
        raise EditError(f"{core_id(core)}: the input core fails the sanity checks ({problem.reason}: {problem.detail})")
    index = CongruenceIndex(tol, mirror)
    root = core.copy()
    root.info = dict(core.info)
    root.info["id"] = core_id(core)
    index.add(root)
    kept: list[Atoms] = []
    stats: list[OperatorStats] = []
    frontier = [root]
    capped = False
    bar = progress_bar(disable=not progress, unit=" edits", desc="editing")
    for d in range(1, depth + 1):
        if capped or not frontier:
            break
        level = {op.spec: OperatorStats(op.spec, d) for op in operators}
        stats.extend(level.values())
        bar.reset(total=len(frontier) * len(operators))  # one step per (parent, operator) of this depth
        bar.set_description(f"editing depth {d}/{depth}, {len(frontier)} parent(s)")
        next_frontier: list[Atoms] = []
        for parent in frontier:
            bar.set_postfix_str("symmetry of the parent", refresh=False)
            group = point_group(parent, tol, mirror)
            for op in operators:
                st = level[op.spec]
                bar.set_postfix_str(f"{op.spec}: sites, classes, duplicates; {len(kept)} kept", refresh=False)
                sites = op.sites(parent)
                st.candidates += len(sites)
                for cls in iter_site_classes(parent, op, group, tol, mirror, sites):
                    st.classes += 1
                    problem = check_core(cls.core, rules)
                    if problem is not None:
                        st.rejected[problem.reason] += 1
                        continue
                    _, added = index.add(cls.core)
                    if not added:
                        st.duplicates += 1
                        continue
                    st.unique += 1
                    kept.append(cls.core)
                    next_frontier.append(cls.core)
                    if max_cores is not None and len(kept) >= max_cores:
                        capped = True
                        break
                bar.update(1)
                if capped:
                    break
            if capped:
                break
        frontier = next_frontier
    bar.close()
    return Enumeration(kept, stats, capped)
