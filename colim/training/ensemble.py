"""Training a seed ensemble: one fine-tuned model per seed, saved as checkpoints with a manifest.

This is what ``colim train`` and :func:`colim.train` run: the seeds share the dataset, the encoder
choice and the (pretrained or freshly featurised) core inputs; each seed fixes its own
initialisation, dropout and shuffling, so a run is repeatable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from colim.dataset.records import MatchingDataset
from colim.errors import ColimError
from colim.io.output_files import check_output_path
from colim.model.checkpoint import read_checkpoint, save_checkpoint, write_ensemble_manifest
from colim.model.domain import build_reference, inherit_core_kinds
from colim.plugins.manager import create_core_encoder
from colim.training.batching import featurize_cores
from colim.training.trainer import ModelSpec, TrainConfig, TrainResult, fit


class EnsembleError(ColimError):
    """Seeds and output paths of an ensemble that do not fit together."""


@dataclass
class TrainedMember:
    """One trained seed: its checkpoint and its validation metrics."""

    seed: int
    path: Path
    best_epoch: int
    epochs_run: int
    val_metrics: dict[str, float]


@dataclass
class TrainedEnsemble:
    """Every trained seed, and the manifest naming them (None for a single ``.pt`` output)."""

    members: list[TrainedMember] = field(default_factory=list)
    manifest: Path | None = None

    @property
    def checkpoints(self) -> list[Path]:
        """The member checkpoints, in seed order."""
        return [m.path for m in self.members]


def member_paths(output: str | os.PathLike, seeds: Sequence[int]) -> tuple[list[Path], Path | None]:
    """Checkpoint paths per seed: ``output`` itself for one seed and a ``.pt`` name, else ``output/seed-N.pt``."""
    out = Path(output)
    if out.suffix == ".pt":
        if len(seeds) > 1:
            raise EnsembleError(f"--seeds trains {len(seeds)} models: give -o a directory (one checkpoint per seed), not {out.name}")
        return [out], None
    return [out / f"seed-{seed}.pt" for seed in seeds], out


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """The seeds as a list; refuses an empty or repeated list."""
    seed_list = [int(s) for s in seeds]
    if not seed_list or len(set(seed_list)) != len(seed_list):
        raise EnsembleError(f"--seeds must list distinct integers, got '{','.join(map(str, seed_list))}'")
    return seed_list


def check_outputs(output: str | os.PathLike, seeds: Sequence[int], overwrite: bool) -> tuple[list[Path], Path | None]:
    """The member paths of ``output`` (see :func:`member_paths`), each refused if it exists without ``overwrite``."""
    paths, directory = member_paths(output, check_seeds(seeds))
    for path in paths:
        check_output_path(path, overwrite)
    return paths, directory


def train_ensemble(dataset: MatchingDataset, spec: ModelSpec, config: TrainConfig, seeds: Sequence[int], output: str | os.PathLike,
                   overwrite: bool = False, silent: bool = True, dataset_path: str | os.PathLike | None = None,
                   on_member: Callable[[TrainedMember], None] | None = None) -> TrainedEnsemble:
    """Train one model per seed and save ``output`` (one seed, ``.pt``) or ``output/seed-N.pt`` + ``ensemble.json``.

    Every output path is checked before any training starts; ``on_member`` is called after each seed. Each
    checkpoint carries its applicability-domain reference; with ``spec.init_model`` it also names the elements
    the starting model saw (:func:`colim.model.domain.inherit_core_kinds`).
    """
    seed_list = check_seeds(seeds)
    paths, directory = check_outputs(output, seed_list, overwrite)
    if spec.pretrained_core and spec.core_args:
        raise EnsembleError("--core-args cannot be combined with --pretrained-core (the checkpoint fixes the core encoder's args)")
    if spec.init_model and (spec.pretrained_core or spec.core_args or spec.ligand_args):
        raise EnsembleError("--init-model fixes both encoders: it cannot be combined with --pretrained-core, --core-args or --ligand-args")
    features = None
    if not spec.pretrained_core and not spec.init_model:
        features = featurize_cores(create_core_encoder(spec.core_encoder, **spec.core_args), dataset.cores, silent=silent)
    init_domain = read_checkpoint(spec.init_model).get("domain") if spec.init_model else None
    trained = TrainedEnsemble()
    for seed, path in zip(seed_list, paths):
        result: TrainResult
        result, metadata = fit(dataset, spec, config, seed, silent=silent, features=features)
        if dataset_path is not None:
            metadata.update(dataset_path=str(dataset_path))
        result.model.domain_reference = inherit_core_kinds(build_reference(result.model, dataset), init_domain).to_payload()
        save_checkpoint(result.model, path, metadata, overwrite=overwrite)
        member = TrainedMember(seed, path, result.best_epoch, len(result.history), dict(result.val_metrics))
        trained.members.append(member)
        if on_member is not None:
            on_member(member)
    if directory is not None:
        trained.manifest = write_ensemble_manifest(
            directory, [p.name for p in paths],
            {"seeds": seed_list, "core_encoder": spec.core_encoder, "ligand_encoder": spec.ligand_encoder,
             "dataset_hash": dataset.content_hash()}, overwrite=overwrite)
    return trained
