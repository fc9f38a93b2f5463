"""The core lift: how much a model's ranking depends on which coinage metal its core is made of.

For every pair whose core holds one coinage metal (Cu, Ag or Au) and no other metal, the pair's ligand
set is scored on its own core and on the same core *transmuted* to each other coinage metal
(:func:`transmute`: every metal atom replaced, the geometry scaled by the ratio of nearest-neighbour
distances; a single-atom core keeps its oxidation state and other ``info``). That gives a ``[pairs,
metals]`` panel of scores whose own-metal column is the pair's real score. The **metal-blind** score
of a pair is the mean of its row; per metal,

    core lift = AUC(own-core scores) − AUC(metal-blind scores)

over that metal's pairs. A model whose score ignores the core scores every column alike, so its blind
score equals its own score and its lift is 0 exactly (each metal's column is scored in its own call
with the same pairs in the same order, so the numbers are bit-identical; the mean is taken as
``min + mean(row − min)``, exact for a constant row). An additive model (ligand score + a metal bias)
ranks a metal's pairs as its ligand score does, so its per-metal lift is 0 as well; only an interaction
between core and ligands can give a lift above 0.
"""

from __future__ import annotations

from typing import Callable, Sequence

import dataclasses
import numpy as np
from ase import Atoms
from ase.data import chemical_symbols

from colim.dataset.records import PairRecord
from colim.evaluation.folds import METALS
from colim.evaluation.metrics import safe_auc

#: the coinage metals whose cores the lift compares, in report order.
COINAGE = ("Cu", "Ag", "Au")
#: nearest-neighbour distance of the fcc metal (Å), for scaling a transmuted cluster core.
NN_DISTANCE = {"Cu": 2.556, "Ag": 2.889, "Au": 2.884}

#: ``scorer(cores, pairs) -> P(compatible)`` of ``pairs`` whose ``core_index`` points into ``cores``.
Scorer = Callable[[Sequence[Atoms], Sequence[PairRecord]], np.ndarray]


def core_metal(core: Atoms) -> str | None:
    """The core's coinage metal when it holds exactly one metal element and that is Cu, Ag or Au; else None
    (alloys, doped cores and other metals have no single metal to swap)."""
    metals = {chemical_symbols[z] for z in set(core.numbers.tolist())} & METALS
    return next(iter(metals)) if len(metals) == 1 and metals <= set(COINAGE) else None


def transmute(core: Atoms, metal: str) -> Atoms:
    """A copy of ``core`` made of ``metal``: its coinage-metal atoms replaced, positions scaled about the
    centroid by the ratio of the metals' nearest-neighbour distances; ``info`` kept (oxidation state,
    charge), ``info['id']`` suffixed with ``->metal`` and ``info['transmuted_from']`` set."""
    own = core_metal(core)
    if own is None:
        raise ValueError("only a core of one coinage metal can be transmuted")
    out = core.copy()
    if own == metal:
        return out
    numbers = out.numbers.copy()
    numbers[numbers == chemical_symbols.index(own)] = chemical_symbols.index(metal)
    out.numbers = numbers
    centre = out.positions.mean(axis=0)
    out.positions = centre + (out.positions - centre) * (NN_DISTANCE[metal] / NN_DISTANCE[own])
    out.info = {**core.info, "id": f"{core.info.get('id', '')}->{metal}", "transmuted_from": own}
    return out


def blind_mean(panel: np.ndarray) -> np.ndarray:
    """Row means of ``panel`` computed as ``min + mean(row − min)``: exactly the common value of a constant row."""
    low = panel.min(axis=1)
    return low + (panel - low[:, None]).mean(axis=1)


def metal_panel(scorer: Scorer, cores: Sequence[Atoms], pairs: Sequence[PairRecord],
                metals: Sequence[str] = COINAGE) -> tuple[np.ndarray, list[str | None]]:
    """Scores of every pair's ligand set on its core made of each metal, ``[len(pairs), len(metals)]``, and each
    pair's own metal (None, with a NaN row, for a pair whose core has no single coinage metal).

    The own-metal column is the pair on its real core. Each column is one ``scorer`` call over the kept
    pairs in their given order.
    """
    own = [core_metal(cores[p.core_index]) for p in pairs]
    kept = [i for i, m in enumerate(own) if m is not None]
    extended = list(cores)
    index: dict[tuple[int, str], int] = {}
    panel = np.full((len(pairs), len(metals)), np.nan)
    for j, metal in enumerate(metals):
        block = []
        for i in kept:
            ci = pairs[i].core_index
            if own[i] != metal and (ci, metal) not in index:
                index[(ci, metal)] = len(extended)
                extended.append(transmute(cores[ci], metal))
            block.append(dataclasses.replace(pairs[i], core_index=ci if own[i] == metal else index[(ci, metal)]))
        if block:
            panel[kept, j] = np.asarray(scorer(extended, block), dtype=np.float64)
    return panel, own


def lift_metrics(labels: Sequence[int], own_metals: Sequence[str | None], panel: np.ndarray,
                 metals: Sequence[str] = COINAGE) -> dict[str, float]:
    """Per metal and pooled: AUC of the own-core scores, AUC of the metal-blind scores and their difference.

    Keys ``auc``, ``blind_auc``, ``lift`` (pooled over the kept pairs) and ``auc_Cu``, ``blind_auc_Cu``,
    ``lift_Cu``, ``pairs_Cu`` ... per metal (NaN where a metal's pairs hold one class only).
    """
    y = np.asarray(labels, dtype=int)
    which = np.array([metals.index(m) if m in metals else -1 for m in own_metals])
    keep = which >= 0
    own = np.full(len(y), np.nan)
    own[keep] = panel[keep, which[keep]]
    blind = np.full(len(y), np.nan)
    if keep.any():
        blind[keep] = blind_mean(panel[keep])
    out: dict[str, float] = {}
    for name, mask in [("", keep)] + [(f"_{m}", which == j) for j, m in enumerate(metals)]:
        auc, bauc = safe_auc(y[mask], own[mask]), safe_auc(y[mask], blind[mask])
        out[f"auc{name}"], out[f"blind_auc{name}"], out[f"lift{name}"] = auc, bauc, auc - bauc
        out[f"pairs{name}"] = int(mask.sum())
    return out


def core_lift(scorer: Scorer, cores: Sequence[Atoms], pairs: Sequence[PairRecord],
              metals: Sequence[str] = COINAGE) -> dict[str, float]:
    """:func:`lift_metrics` of ``scorer`` on ``pairs`` (their labels; cores transmuted by :func:`metal_panel`)."""
    panel, own = metal_panel(scorer, cores, pairs, metals)
    return lift_metrics([p.label for p in pairs], own, panel, metals)
