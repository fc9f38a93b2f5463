"""Batches of (core, ligand set, label) pairs: each unique core is featurised once, pairs are collated per batch."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np
import torch
from ase import Atoms
from colim.progress import progress_bar

from colim.dataset.records import PairRecord
from colim.encoders import CoreEncoder
from colim.structures.ligands import LigandSet


def featurize_cores(encoder: CoreEncoder, cores: Sequence[Atoms], silent: bool = True, desc: str = "featurising cores") -> list[Any]:
    """``encoder.featurize`` of every core, in order (computed once, reused by every batch)."""
    return [encoder.featurize(c) for c in progress_bar(cores, desc=desc, disable=silent, leave=False)]


def batch_order(n: int, batch_size: int, generator: torch.Generator | None) -> list[np.ndarray]:
    """Index batches over ``n`` items, shuffled with ``generator`` (None keeps order).

    A trailing batch of one item is merged into the previous batch, because BatchNorm cannot
    train on a single sample.
    """
    order = torch.randperm(n, generator=generator).numpy() if generator is not None else np.arange(n)
    chunks = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if len(chunks) > 1 and len(chunks[-1]) == 1:
        chunks[-2] = np.concatenate([chunks[-2], chunks[-1]])
        chunks.pop()
    return chunks


def iterate_pairs(
    encoder: CoreEncoder,
    features: Sequence[Any],
    pairs: Sequence[PairRecord],
    batch_size: int,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> Iterator[tuple[Any, list[LigandSet], torch.Tensor, np.ndarray]]:
    """Yield ``(core_batch, ligand_sets, labels [B] float, pair indices)`` for ``pairs``.

    ``features`` holds ``encoder.featurize`` of each dataset core (indexed by ``PairRecord.core_index``).
    """
    for idx in batch_order(len(pairs), batch_size, generator):
        chosen = [pairs[i] for i in idx]
        core_batch = encoder.to_device(encoder.collate([features[p.core_index] for p in chosen]), torch.device(device))
        labels = torch.tensor([float(p.label) for p in chosen], device=device)
        yield core_batch, [p.ligand_set for p in chosen], labels, idx
