"""Ligand sets: canonical, order-free tuples of RDKit canonical SMILES (1 to 4 kinds).

A ligand set may carry stoichiometric ratios (e.g. PET:PPh3:HCOO = 12:3:6); ratios follow their
ligand through canonical ordering, so order never matters.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from rdkit import Chem, RDLogger

from colim.errors import LigandError

MAX_LIGAND_KINDS = 4

RDLogger.DisableLog("rdApp.*")


@functools.lru_cache(maxsize=65536)
def canonical_smiles(smiles: str) -> str:
    """RDKit canonical SMILES of one ligand; an unparsable SMILES raises :class:`LigandError`."""
    text = smiles.strip()
    if not text:
        raise LigandError("empty ligand SMILES")
    if "." in text:
        raise LigandError(f"'{text}' holds several molecules; give one ligand per SMILES or use LigandSet.parse")
    mol = Chem.MolFromSmiles(text)
    if mol is None:
        raise LigandError(f"invalid SMILES '{text}'")
    return Chem.MolToSmiles(mol)


@dataclass(frozen=True)
class LigandSet:
    """An order-free set of 1 to 4 ligand kinds, each a canonical SMILES, with optional ratios.

    Build one with :meth:`parse` (``"A.B"``) or :meth:`of` (an iterable of SMILES); duplicates
    collapse (their ratios add up).
    """

    smiles: tuple[str, ...]
    ratios: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not self.smiles:
            raise LigandError("a ligand set needs at least one ligand")
        if len(self.smiles) > MAX_LIGAND_KINDS:
            raise LigandError(f"a ligand set holds at most {MAX_LIGAND_KINDS} ligand kinds, got {len(self.smiles)}: {'.'.join(self.smiles)}")
        if self.ratios is not None and len(self.ratios) != len(self.smiles):
            raise LigandError("ligand ratios must match the ligands one to one")
        if self.ratios is not None and any(not (r > 0) for r in self.ratios):
            raise LigandError(f"ligand ratios must be positive, got {self.ratios}")
        if self.ratios is not None and not math.isfinite(sum(self.ratios)):  # inf, 1e400, or 1e308:1e308 summing to inf
            raise LigandError(f"ligand ratios must be finite numbers, got {':'.join(f'{r:g}' for r in self.ratios)}")
        if tuple(sorted(self.smiles)) != self.smiles or len(set(self.smiles)) != len(self.smiles):
            raise LigandError("use LigandSet.of or LigandSet.parse to build a canonical ligand set")

    @classmethod
    def of(cls, smiles: Iterable[str], ratios: Sequence[float] | None = None) -> "LigandSet":
        """Canonicalise, deduplicate and sort ``smiles``; ``ratios`` (optional) follow their ligand."""
        items = list(smiles)
        weights = list(ratios) if ratios is not None else [1.0] * len(items)
        if len(weights) != len(items):
            raise LigandError(f"{len(items)} ligands but {len(weights)} ratios")
        merged: dict[str, float] = {}
        for smi, weight in zip(items, weights):
            canon = canonical_smiles(smi)
            merged[canon] = merged.get(canon, 0.0) + float(weight)
        if len(merged) > MAX_LIGAND_KINDS:
            raise LigandError(f"a ligand set holds at most {MAX_LIGAND_KINDS} ligand kinds, got {len(merged)}: {'.'.join(sorted(merged))}")
        keys = tuple(sorted(merged))
        return cls(keys, tuple(merged[k] for k in keys) if ratios is not None else None)

    @classmethod
    def parse(cls, text: str) -> "LigandSet":
        """Parse ``"A.B.C"``, optionally with ratios as ``"A.B.C 12:3:6"`` (order-free)."""
        text = text.strip()
        if not text:
            raise LigandError("empty ligand set")
        parts = text.split()
        if len(parts) > 2:
            raise LigandError(f"cannot parse ligand set '{text}': expected 'SMILES.SMILES [r1:r2]'")
        ratios = None
        if len(parts) == 2:
            try:
                ratios = [float(x) for x in parts[1].split(":")]
            except ValueError:
                raise LigandError(f"cannot parse ratios '{parts[1]}' of ligand set '{parts[0]}'") from None
            if not all(math.isfinite(r) for r in ratios) or not math.isfinite(sum(ratios)):
                raise LigandError(f"ligand ratios must be finite numbers, got '{parts[1]}'")
        return cls.of([s for s in parts[0].split(".") if s], ratios)

    @classmethod
    def from_mapping(cls, ratios: Mapping[str, float]) -> "LigandSet":
        """Build a set from ``{smiles: ratio}``."""
        return cls.of(list(ratios), list(ratios.values()))

    @property
    def weights(self) -> tuple[float, ...]:
        """Ratios normalised to sum to 1 (uniform when the set carries none)."""
        raw = self.ratios or (1.0,) * len(self.smiles)
        total = sum(raw)
        return tuple(r / total for r in raw)

    def __len__(self) -> int:
        return len(self.smiles)

    def __iter__(self):
        return iter(self.smiles)

    def __str__(self) -> str:
        text = ".".join(self.smiles)
        if self.ratios is not None:
            text += " " + ":".join(f"{r:g}" for r in self.ratios)
        return text

    @property
    def key(self) -> str:
        """The SMILES joined by '.', ignoring ratios: identifies the set's ligand kinds."""
        return ".".join(self.smiles)
