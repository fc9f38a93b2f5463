"""Applicability domain of screened cores and ligand sets, and the warnings a screen prints about them.

The reference (:class:`colim.model.domain.DomainReference`) comes from the first ensemble member's
checkpoint (every member of a ``colim train --seeds`` ensemble saw the same training split; its
embeddings are the first member's, as are the library embeddings compared with them), or from
``--train-dataset`` as an override. A core is in domain when every element in it was seen in training
and its embedding lies within the calibrated distance of a training core; a ligand set likewise with
ligand families. Without a reference (a checkpoint from before references were stored) both columns
are NA (pandas nullable boolean) and one warning says the domain is unknown.
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
    n_cores, n_sets = len(core_elements), len(set_smiles)
    if reference is None:
        return DomainAssessment(np.full(n_cores, np.nan), pd.array([pd.NA] * n_cores, dtype="boolean"),
                                np.full(n_sets, np.nan), pd.array([pd.NA] * n_sets, dtype="boolean"), [UNKNOWN_WARNING])
    seen_elements, seen_families = set(reference.elements), set(reference.families)
    core_dist = reference.core_distance(core_embeddings).astype(np.float64) if n_cores else np.zeros(0)
    set_dist = reference.set_distance(set_embeddings).astype(np.float64) if n_sets else np.zeros(0)
    unseen_el = [set(e) - seen_elements for e in core_elements]
    set_fams = [families_of(s) for s in set_smiles]
    unseen_fam = [f - seen_families for f in set_fams]
    core_near = core_dist <= 1.0
    set_near = set_dist <= 1.0
    core_in = np.array([not u for u in unseen_el], dtype=bool) & core_near
    set_in = np.array([not u for u in unseen_fam], dtype=bool) & set_near
    warnings = []
    with_unseen = sum(1 for u in unseen_el if u)
    if with_unseen:
        counts = Counter(el for u in unseen_el for el in u)
        verb = "contains" if with_unseen == 1 else "contain"
        if len(counts) == 1:
            what = f"{next(iter(counts))}, which the model never saw"
        else:
            what = "elements the model never saw (" + ", ".join(f"{el} in {counts[el]}" for el in sorted(counts, key=lambda e: (-counts[e], e))) + ")"
        warnings.append(f"{with_unseen} of {_plural(n_cores, 'core')} {verb} {what}: {'its' if with_unseen == 1 else 'their'} scores are extrapolations")
    far = int(np.sum(~core_near & np.array([not u for u in unseen_el], dtype=bool)))
    if far:
        example = f" (e.g. {core_ids[int(np.flatnonzero(~core_near & ~np.array([bool(u) for u in unseen_el]))[0])]})" if len(core_ids) else ""
        warnings.append(f"{far} of {_plural(n_cores, 'core')}{example} lie farther from every training core than the calibrated threshold "
                        f"(the {reference.quantile:.0%} quantile of {reference.calibration} distances): their scores are extrapolations")
    out_sets = int(np.sum(~set_in))
    if out_sets:
        fams = sorted({f for u in unseen_fam for f in u})
        why = f"families the model never saw: {_names(fams)}" if fams else "far from every training ligand set"
        if fams and np.any(~set_near):
            why += "; others far from every training ligand set"
        warnings.append(f"{out_sets} of {_plural(n_sets, 'ligand set')} among the hits are outside the training domain ({why}): their scores are extrapolations")
    return DomainAssessment(core_dist, pd.array(core_in, dtype="boolean"), set_dist, pd.array(set_in, dtype="boolean"), warnings)


def score_warnings(member_probs: np.ndarray, core_ids: Sequence[str]) -> list[str]:
    """One warning when some cores' scores are saturated (every member's within 0.01 of 0 or 1) or tied
    (the same ensemble mean for every scored set). Shapes: ``member_probs [M, C, k]`` for ``C`` cores."""
    if member_probs.size == 0:
        return []
    saturated = np.all((member_probs <= SATURATION_MARGIN) | (member_probs >= 1.0 - SATURATION_MARGIN), axis=(0, 2))
    mean = member_probs.mean(axis=0)
    tied = (np.ptp(mean, axis=1) < TIE_TOLERANCE) if member_probs.shape[2] > 1 else np.zeros(len(mean), dtype=bool)
    flagged = saturated | tied
    if not flagged.any():
        return []
    n = int(flagged.sum())
    example = ", ".join(str(core_ids[i]) for i in np.flatnonzero(flagged)[:3]) + (", ..." if n > 3 else "")
    return [f"{n} of {_plural(len(flagged), 'core')} ({example}) have saturated or tied scores across ligand sets "
            f"({int(saturated.sum())} saturated within {SATURATION_MARGIN} of 0 or 1, {int(tied.sum())} tied): their rankings carry no information"]
