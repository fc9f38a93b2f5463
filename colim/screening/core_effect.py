"""How much a hit's core decided its score: the hit's probability minus the same ligand set's mean
probability over a fixed panel of Cu, Ag and Au reference cores (``core_effect``).

A model that ignores the core gives every core the same probability for a set, so ``core_effect`` is 0
on every hit; a hit whose core suits its set better than a generic coinage-metal core does has
``core_effect > 0``. The panel (:data:`PANEL`) is derived, never stored: the ASE icosahedra of 13 and 55
atoms of each coinage metal at its fcc lattice constant, so any model with any core encoder can score
it. The panel is embedded once per core encoder and process (:func:`panel_embeddings`, keyed by the
encoder's weights hash) and scored only against the sets that become hits, each distinct hit set once
per screen (cached across core blocks by :class:`CorePanel`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from ase import Atoms
from ase.cluster import Icosahedron

from colim.encoders.base import CoreEncoder
from colim.libraries.encoder_info import encoder_info
from colim.model.dual_encoder import CoLiMModel
from colim.screening.folded import FoldedHead
from colim.screening.sources import as_set_source

#: the reference panel: (metal, fcc lattice constant in Å, icosahedral shells); 2 shells = 13 atoms, 3 = 55.
PANEL = (("Cu", 3.61, 2), ("Cu", 3.61, 3), ("Ag", 4.09, 2), ("Ag", 4.09, 3), ("Au", 4.08, 2), ("Au", 4.08, 3))
PANEL_METALS = list(dict.fromkeys(metal for metal, _, _ in PANEL))
#: a hit whose |core_effect| is below this is one its core decided little (the summary counts them).
SMALL_EFFECT = 0.05


def panel_cores() -> list[Atoms]:
    """The panel's cores, ids like ``Cu13-icosahedron``; the same atoms on every call and machine."""
    cores = []
    for metal, lattice, shells in PANEL:
        atoms = Icosahedron(metal, shells, latticeconstant=lattice)
        atoms.info = {"id": f"{metal}{len(atoms)}-icosahedron"}
        cores.append(atoms)
    return cores


#: panel embeddings by core-encoder identity (name, version, init args, weights hash): a few rows each.
_EMBEDDED: dict[str, torch.Tensor] = {}


def panel_embeddings(encoder: CoreEncoder) -> torch.Tensor:
    """``[P, D]`` embeddings of the panel by ``encoder``, computed once per encoder weights and process."""
    info = encoder_info(encoder)
    key = json.dumps([info.name, info.version, info.init_args, info.weights_hash], sort_keys=True, default=str)
    if not info.weights_hash or key not in _EMBEDDED:
        embedded = encoder.encode(panel_cores())
        if not info.weights_hash:
            return embedded
        _EMBEDDED[key] = embedded
    return _EMBEDDED[key]


@functools.lru_cache(maxsize=1)
def _panel_ids() -> tuple[str, ...]:
    return tuple(str(c.info["id"]) for c in panel_cores())


def panel_ids() -> list[str]:
    """The ids of :func:`panel_cores` (what summaries name)."""
    return list(_panel_ids())


class CorePanel:
    """The panel embedded by each model of a screen, scoring ligand sets against it.

    Args:
        models: the screen's models (each embeds the panel once, with its own core encoder).
        heads: their folded heads; set_sources: each model's set embeddings (an array, tensor or a
            set source of :mod:`colim.screening.sources`), row ``i`` = the library's set ``i``.
    """

    def __init__(self, models: Sequence[CoLiMModel], heads: Sequence[FoldedHead], set_sources: Sequence[object]):
        self.ids = panel_ids()
        self.heads, self.set_sources = list(heads), [as_set_source(s) for s in set_sources]
        with torch.no_grad():
            self._core_proj = [head.project_cores(panel_embeddings(model.core_encoder)) for model, head in zip(models, self.heads)]
        self._cache: dict[int, float] = {}

    @torch.no_grad()
    def set_means(self, set_rows: np.ndarray) -> np.ndarray:
        """Ensemble-mean probability of each set over the panel, ``[N] -> [N]`` (float64); each distinct set
        is scored once per screen, later calls read the cache."""
        rows = np.asarray(set_rows, dtype=np.int64)
        todo = np.array(sorted({int(r) for r in np.unique(rows)} - self._cache.keys()), dtype=np.int64)
        if len(todo):
            total = np.zeros(len(todo), dtype=np.float64)
            for head, core_proj, source in zip(self.heads, self._core_proj, self.set_sources):
                logits = head.logits(core_proj.to(head.device), source.projections_of(head, todo).to(head.device))  # [P, N]
                total += torch.sigmoid(logits).mean(dim=0).double().cpu().numpy()
            self._cache.update(zip(todo.tolist(), (total / len(self.heads)).tolist()))
        return np.array([self._cache[int(r)] for r in rows], dtype=np.float64)


@dataclass
class CoreEffectTotals:
    """Running totals of ``core_effect`` over a streamed screen's hit blocks (the summary without every hit)."""

    panel: tuple[str, ...] = ()
    hits: int = 0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")
    small: int = 0
    above: int = 0

    def add(self, effects: np.ndarray) -> None:
        values = np.asarray(effects, dtype=np.float64)
        values = values[np.isfinite(values)]
        if not len(values):
            return
        self.hits += len(values)
        self.total += float(values.sum())
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        self.small += int((np.abs(values) < SMALL_EFFECT).sum())
        self.above += int((values > 0).sum())

    def summary(self) -> dict:
        """What the screen summary stores under ``core_effect``."""
        if not self.hits:
            return {"panel": list(self.panel), "panel_metals": list(PANEL_METALS), "hits": 0}
        return {"panel": list(self.panel), "panel_metals": list(PANEL_METALS), "hits": self.hits, "mean": self.total / self.hits, "min": self.low, "max": self.high,
                "above_panel": self.above, "small": self.small, "small_threshold": SMALL_EFFECT}


def core_effect_line(stats: dict | None) -> str | None:
    """One line for people about a summary's ``core_effect`` (None when the screen has none)."""
    if not stats or not stats.get("hits"):
        return None
    n = stats["hits"]
    metals = "/".join(stats.get("panel_metals") or ()) or "reference"
    return (f"core effect (hit probability minus the same set's mean on the {metals} reference panel): mean {stats['mean']:+.3f}, "
            f"from {stats['min']:+.3f} to {stats['max']:+.3f}; {stats['above_panel']:,} of {n:,} hits score above the panel, "
            f"{stats['small']:,} within ±{stats['small_threshold']:g} (their core decided little)")
