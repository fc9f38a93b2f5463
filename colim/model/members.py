"""Ensemble members: the one shape of a loaded model everywhere (API, evaluation, screening, demo), and the one
place that resolves the shipped default model.

A model argument is a checkpoint (``.pt``), an ensemble directory or its manifest, comma-separated checkpoints,
a list of those, members already loaded (passed through, so a script loads a model once), or ``None``: the
shipped default model under ``libraries/models/default``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence, Union

import torch

from colim.defaults import DEFAULT_MODEL, shipped
from colim.errors import ApiError
from colim.model.checkpoint import load_checkpoint, resolve_checkpoints
from colim.model.dual_encoder import CoLiMModel

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class ModelMember:
    """One loaded model of an ensemble: its name (the checkpoint path, as hits and summaries show it), the model in
    eval mode and its checkpoint info (``info["metadata"]``: seed, metrics, data hash; ``info["path"]``)."""

    name: str
    model: CoLiMModel
    info: dict[str, Any] = field(repr=False, compare=False)


ModelArg = Union[None, PathLike, Sequence[PathLike], Sequence[ModelMember]]


def default_model() -> list[str]:
    """The shipped default model (an ensemble directory), as the one-element spec a command would give."""
    return [str(shipped(DEFAULT_MODEL))]


def load_model(model: ModelArg = None, map_location: str | torch.device = "cpu", expect_core: str | None = None,
               expect_ligand: str | None = None) -> list[ModelMember]:
    """Load every member of ``model`` (``None``: the shipped default), one :class:`ModelMember` per checkpoint.

    ``expect_core``/``expect_ligand`` refuse checkpoints trained with other encoders.
    """
    if model is None:
        model = default_model()
    if isinstance(model, (list, tuple)) and model and all(isinstance(m, ModelMember) for m in model):
        return list(model)
    specs = [model] if isinstance(model, (str, os.PathLike)) else list(model)
    if not specs:
        raise ApiError("no model given: pass a checkpoint, an ensemble directory, or None for the shipped model")
    members = []
    for path in resolve_checkpoints([str(s) for s in specs]):
        loaded, info = load_checkpoint(path, map_location, expect_core, expect_ligand)
        info["path"] = str(path)
        members.append(ModelMember(str(path), loaded, info))
    return members
