"""What a pretraining set holds: frames, sizes, elements, E_form references and target statistics."""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass, field

import numpy as np

from colim.choices import resolve_choice
from colim.pretrain_data.reader import TARGETS, iter_pretraining_set

#: units of each pretraining target.
TARGET_UNITS = {"e_form": "eV/atom", "gap": "eV"}


@dataclass
class PretrainingSetSummary:
    """Counts and target statistics of one pretraining set (see :func:`summarise_pretraining_set`)."""

    path: str
    target: str
    frames: int = 0
    sizes: collections.Counter = field(default_factory=collections.Counter)
    elements: collections.Counter = field(default_factory=collections.Counter)
    references: collections.Counter = field(default_factory=collections.Counter)
    mean: float = float("nan")
    std: float = float("nan")
    min: float = float("nan")
    max: float = float("nan")

    def lines(self) -> list[str]:
        """The summary as the lines ``colim pretrain-data info`` prints."""
        if not self.frames:
            return [f"{self.path}: 0 frames"]
        return [
            f"{self.path}: {self.frames} frames, {min(self.sizes)}-{max(self.sizes)} atoms ({len(self.sizes)} sizes)",
            "elements (frames containing): " + ", ".join(f"{e} {c}" for e, c in self.elements.most_common()),
            "e_form reference: " + ", ".join(f"{r} ({c})" for r, c in self.references.most_common()),
            f"{self.target}: mean {self.mean:.4f}, std {self.std:.4f}, min {self.min:.4f}, max {self.max:.4f} ({TARGET_UNITS[self.target]})",
        ]


def summarise_pretraining_set(path: str | os.PathLike, target: str = "e_form") -> PretrainingSetSummary:
    """Read every frame of a pretraining set (streamed) and count sizes, elements and references."""
    target = resolve_choice(target, TARGETS, "pretraining target")
    summary = PretrainingSetSummary(str(path), target)
    values = []
    for atoms in iter_pretraining_set(path, target=target):
        summary.sizes[len(atoms)] += 1
        summary.elements.update(set(atoms.get_chemical_symbols()))
        summary.references[atoms.info.get("e_form_reference", "-")] += 1
        values.append(atoms.info[target])
    if values:
        v = np.array(values, dtype=np.float64)
        summary.frames = len(v)
        summary.mean, summary.std, summary.min, summary.max = float(v.mean()), float(v.std()), float(v.min()), float(v.max())
    return summary
