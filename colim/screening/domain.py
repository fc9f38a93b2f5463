"""Applicability domain of screened cores and ligand sets, and the warnings a screen prints about them.

The reference (:class:`colim.model.domain.DomainReference`) comes from the first ensemble member's
checkpoint (every member of a ``colim train --seeds`` ensemble saw the same training split; its
embeddings are the first member's, as are the library embeddings compared with them), or from
``--train-dataset`` as an override. A core is in domain when every element in it was seen in training
and its embedding lies within the calibrated distance of a training core; a ligand set likewise with
ligand families. Without a reference (a checkpoint from before references were stored) both columns
are NA (pandas nullable boolean) and one warning says the domain is unknown.

``core_seen_in`` says where a core's elements were seen in training: ``clusters``, ``complexes only``
(some element seen only in single-metal complex cores, never in a cluster: its scores transfer from
coordination chemistry, and one warning line per such element says so), ``never`` or ``unknown`` (a
reference saved before colim recorded core kinds, or none).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from colim.dataset.records import load_dataset
from colim.model.domain import DomainReference, build_reference, families_of
from colim.model.dual_encoder import CoLiMModel

#: a core whose member probabilities all lie within this of 0 or 1 is "saturated".
SATURATION_MARGIN = 0.01
#: a core whose ensemble-mean scores differ by less than this across sets is "tied".
TIE_TOLERANCE = 1e-6
UNKNOWN_WARNING = ("the model's checkpoint carries no applicability-domain reference (trained before colim stored one): "
                   "core_in_domain and set_in_domain are unknown; retrain it, or pass --train-dataset")

__all__ = ["DomainAssessment", "DomainReference", "assess_domain", "reference_from_dataset", "reference_of", "score_warnings"]


def reference_from_dataset(path: str | os.PathLike, model: CoLiMModel) -> DomainReference:
    """The reference of ``model`` on the dataset at ``path`` (its training split, thresholds from its validation split)."""
    return build_reference(model, load_dataset(path))


def reference_of(model: CoLiMModel) -> DomainReference | None:
    """The reference ``model``'s checkpoint carried, or None when it carried none (domain unknown)."""
    return None if model.domain_reference is None else DomainReference.from_payload(model.domain_reference)


@dataclass
class DomainAssessment:
    """Per-core and per-set distances (units of the threshold) and in-domain flags, with the warning lines."""

    core_distance: np.ndarray
    core_in_domain: pd.arrays.BooleanArray
    set_distance: np.ndarray
    set_in_domain: pd.arrays.BooleanArray
    warnings: list[str] = field(default_factory=list)
    core_seen_in: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # [C] text, see the module doc


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def assess_domain(reference: DomainReference | None, core_embeddings: np.ndarray, core_elements: Sequence[set[str]],
                  set_embeddings: np.ndarray, set_smiles: Sequence[Sequence[str]], core_ids: Sequence[str] = ()) -> DomainAssessment:
    """Mark ``C`` cores and ``S`` ligand sets in or out of ``reference``'s domain and word the warnings.

    Shapes: ``core_embeddings [C, Dc]`` (one element set per core), ``set_embeddings [S, Dl]`` (one SMILES
    list per set). ``core_ids`` name a few example cores in the warnings.
    """
    tally = DomainTally(reference)
    assessed = tally.add(core_embeddings, core_elements, core_ids, np.arange(len(set_smiles)), set_embeddings, set_smiles)
    assessed.warnings = tally.warnings()
    return assessed


class DomainTally:
    """The domain of a screen assessed block by block: each block's flags at once, the warnings (counts over
    every core and every distinct hit set) once at the end, so a streamed screen words them as a whole one."""

    def __init__(self, reference: DomainReference | None):
        self.reference = reference
        self.core_unseen: list[set[str]] = []
        self.core_near: list[np.ndarray] = []
        self.core_ids: list[str] = []
        self.complex_only: Counter = Counter()  # cores holding each element seen only in complex cores
        self.sets: dict[int, tuple[set[str], bool]] = {}
        self.saturated: list[np.ndarray] = []
        self.tied: list[np.ndarray] = []

    def add(self, core_embeddings: np.ndarray, core_elements: Sequence[set[str]], core_ids: Sequence[str],
            set_rows: np.ndarray, set_embeddings: np.ndarray, set_smiles: Sequence[Sequence[str]]) -> DomainAssessment:
        """Flags of one block's cores and of its hit sets (``set_rows`` identify sets across blocks); no warnings."""
        n_cores, n_sets = len(core_elements), len(set_smiles)
        reference = self.reference
        if reference is None:
            self.core_ids.extend(core_ids)
            return DomainAssessment(np.full(n_cores, np.nan), pd.array([pd.NA] * n_cores, dtype="boolean"),
                                    np.full(n_sets, np.nan), pd.array([pd.NA] * n_sets, dtype="boolean"), [],
                                    np.full(n_cores, "unknown", dtype=object))
        seen_elements, seen_families = set(reference.elements), set(reference.families)
        core_dist = reference.core_distance(core_embeddings).astype(np.float64) if n_cores else np.zeros(0)
        set_dist = reference.set_distance(set_embeddings).astype(np.float64) if n_sets else np.zeros(0)
        unseen_el = [set(e) - seen_elements for e in core_elements]
        unseen_fam = [families_of(s) - seen_families for s in set_smiles]
        core_near, set_near = core_dist <= 1.0, set_dist <= 1.0
        core_in = np.array([not u for u in unseen_el], dtype=bool) & core_near
        set_in = np.array([not u for u in unseen_fam], dtype=bool) & set_near
        self.core_unseen.extend(unseen_el)
        seen_in = np.array([reference.core_seen_in(e) for e in core_elements], dtype=object)
        self.complex_only.update(el for e in core_elements for el in set(e) & reference.complex_only)
        self.core_near.append(core_near)
        self.core_ids.extend(core_ids if len(core_ids) else [""] * n_cores)
        for row, fams, near in zip(np.asarray(set_rows).tolist(), unseen_fam, set_near.tolist()):
            self.sets[row] = (fams, near)
        return DomainAssessment(core_dist, pd.array(core_in, dtype="boolean"), set_dist, pd.array(set_in, dtype="boolean"), [], seen_in)

    def add_scores(self, member_probs: np.ndarray) -> None:
        """Saturated or tied scores of one block's cores. Shapes: ``member_probs [M, C, k]``."""
        if member_probs.size == 0:
            return
        self.saturated.append(np.all((member_probs <= SATURATION_MARGIN) | (member_probs >= 1.0 - SATURATION_MARGIN), axis=(0, 2)))
        mean = member_probs.mean(axis=0)
        self.tied.append((np.ptp(mean, axis=1) < TIE_TOLERANCE) if member_probs.shape[2] > 1 else np.zeros(len(mean), dtype=bool))

    def warnings(self) -> list[str]:
        """One line per problem over everything added: unknown domain, unseen elements, far cores, sets out of domain,
        saturated or tied scores."""
        lines = [UNKNOWN_WARNING] if self.reference is None else self._domain_warnings()
        if self.saturated:
            lines += _score_lines(np.concatenate(self.saturated), np.concatenate(self.tied), self.core_ids)
        return lines

    def _domain_warnings(self) -> list[str]:
        reference, unseen_el = self.reference, self.core_unseen
        n_cores, n_sets = len(unseen_el), len(self.sets)
        core_near = np.concatenate(self.core_near) if self.core_near else np.zeros(0, dtype=bool)
        known = np.array([not u for u in unseen_el], dtype=bool)
        warnings = []
        with_unseen = int(n_cores - known.sum())
        if with_unseen:
            counts = Counter(el for u in unseen_el for el in u)
            verb = "contains" if with_unseen == 1 else "contain"
            if len(counts) == 1:
                what = f"{next(iter(counts))}, which the model never saw"
            else:
                what = "elements the model never saw (" + ", ".join(f"{el} in {counts[el]}" for el in sorted(counts, key=lambda e: (-counts[e], e))) + ")"
            warnings.append(f"{with_unseen} of {_plural(n_cores, 'core')} {verb} {what}: {'its' if with_unseen == 1 else 'their'} scores are extrapolations")
        for element in sorted(self.complex_only, key=lambda e: (-self.complex_only[e], e)):
            warnings.append(f"{element} (in {self.complex_only[element]} of {_plural(n_cores, 'core')}): seen only in mononuclear complexes, "
                            "never in a cluster: scores transfer from coordination chemistry")
        far_mask = ~core_near & known
        far = int(far_mask.sum())
        if far:
            first = int(np.flatnonzero(far_mask)[0])
            example = f" (e.g. {self.core_ids[first]})" if self.core_ids[first] else ""
            warnings.append(f"{far} of {_plural(n_cores, 'core')}{example} lie farther from every training core than the calibrated threshold "
                            f"(the {reference.quantile:.0%} quantile of {reference.calibration} distances): their scores are extrapolations")
        out_sets = sum(1 for fams, near in self.sets.values() if fams or not near)
        if out_sets:
            fams = sorted({f for unseen, _ in self.sets.values() for f in unseen})
            why = f"families the model never saw: {_names(fams)}" if fams else "far from every training ligand set"
            if fams and any(not near for _, near in self.sets.values()):
                why += "; others far from every training ligand set"
            warnings.append(f"{out_sets} of {_plural(n_sets, 'ligand set')} among the hits are outside the training domain ({why}): their scores are extrapolations")
        return warnings


def score_warnings(member_probs: np.ndarray, core_ids: Sequence[str]) -> list[str]:
    """One warning when some cores' scores are saturated (every member's within 0.01 of 0 or 1) or tied
    (the same ensemble mean for every scored set). Shapes: ``member_probs [M, C, k]`` for ``C`` cores."""
    tally = DomainTally(None)
    tally.add_scores(member_probs)
    return _score_lines(np.concatenate(tally.saturated), np.concatenate(tally.tied), core_ids) if tally.saturated else []


def _score_lines(saturated: np.ndarray, tied: np.ndarray, core_ids: Sequence[str]) -> list[str]:
    flagged = saturated | tied
    if not flagged.any():
        return []
    n = int(flagged.sum())
    example = ", ".join(str(core_ids[i]) for i in np.flatnonzero(flagged)[:3]) + (", ..." if n > 3 else "")
    return [f"{n} of {_plural(len(flagged), 'core')} ({example}) have saturated or tied scores across ligand sets "
            f"({int(saturated.sum())} saturated within {SATURATION_MARGIN} of 0 or 1, {int(tied.sum())} tied): their rankings carry no information"]
