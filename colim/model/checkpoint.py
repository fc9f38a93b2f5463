"""Model and encoder checkpoints: plain dicts of tensors and metadata, no pickled code.

A checkpoint records the plugin names, plugin versions and constructor arguments of its encoders, the
head's arguments and dimensions, plus free metadata (training-data hash, metrics, seed). Loading rebuilds
the encoders by name through the plugin registry and reads the file with ``torch.load(weights_only=True)``,
so a checkpoint can never run code. An ensemble is a directory of checkpoints with a JSON manifest.
"""

from __future__ import annotations

import json
import os
import pickle
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from colim.encoders import CoreEncoder, LigandEncoder
from colim.errors import CheckpointError, ColimError
from colim.io.output_files import atomic_output
from colim.model.dual_encoder import CoLiMModel
from colim.plugins.manager import core_encoders, create_core_encoder, create_ligand_encoder, ligand_encoders
from colim.version import __version__

#: format tag of a full-model checkpoint.
MODEL_FORMAT = "colim-model-checkpoint"
#: format tag of a single-encoder checkpoint (e.g. a pretrained core encoder).
ENCODER_FORMAT = "colim-encoder-checkpoint"
#: version of both checkpoint layouts; bump when the layout changes incompatibly.
FORMAT_VERSION = 1
#: file name of an ensemble's manifest inside its directory.
ENSEMBLE_MANIFEST = "ensemble.json"
ENSEMBLE_FORMAT = "colim-ensemble"

_KIND_LABEL = {"core": "core encoder", "ligand": "ligand encoder"}


def to_plain(value: Any, where: str = "metadata") -> Any:
    """Convert ``value`` to plain Python types (dict/list/str/int/float/bool/None) that ``weights_only`` loads."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return to_plain(value.tolist(), where)
    if isinstance(value, dict):
        return {str(k): to_plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, where) for v in value]
    if isinstance(value, Path):
        return str(value)
    raise CheckpointError(f"cannot store {type(value).__name__} in a checkpoint ({where}); use plain numbers, strings, lists and dicts")


def _encoder_record(encoder: CoreEncoder | LigandEncoder) -> dict[str, Any]:
    return {
        "name": type(encoder).name,
        "version": str(type(encoder).version),
        "class": f"{type(encoder).__module__}.{type(encoder).__qualname__}",
        "init_args": to_plain(encoder.init_args(), f"{type(encoder).name} init_args"),
        "embedding_dim": int(encoder.embedding_dim),
    }


def _save(payload: dict[str, Any], path: str | os.PathLike, overwrite: bool) -> None:
    with atomic_output(path, overwrite=overwrite) as tmp:
        torch.save(payload, tmp)


def save_checkpoint(model: CoLiMModel, path: str | os.PathLike, metadata: dict[str, Any], overwrite: bool = False) -> None:
    """Write ``model`` (weights, encoder names/versions/init args, head args, its applicability-domain
    reference when it has one) and ``metadata`` to ``path``."""
    payload = {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "colim_version": __version__,
        "core_encoder": _encoder_record(model.core_encoder),
        "ligand_encoder": _encoder_record(model.ligand_encoder),
        "head": to_plain(model.head_args(), "head args"),
        "dims": {"core": int(model.head.core_dim), "ligand": int(model.head.ligand_dim)},
        "metadata": to_plain(metadata),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
    }
    if model.domain_reference is not None:
        payload["domain"] = model.domain_reference
    _save(payload, path, overwrite)


def save_encoder_checkpoint(encoder: CoreEncoder, path: str | os.PathLike, metadata: dict[str, Any], overwrite: bool = False) -> None:
    """Write one core encoder (e.g. after pretraining) with its name, version, init args and ``metadata``."""
    payload = {
        "format": ENCODER_FORMAT,
        "format_version": FORMAT_VERSION,
        "colim_version": __version__,
        "kind": "core",
        "encoder": _encoder_record(encoder),
        "metadata": to_plain(metadata),
        "state_dict": {k: v.detach().cpu().clone() for k, v in encoder.state_dict().items()},
    }
    _save(payload, path, overwrite)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint file's raw dict safely (``weights_only=True``); checks the format version."""
    target = Path(path)
    if not target.is_file():
        raise CheckpointError(f"checkpoint {target} does not exist")
    try:
        with warnings.catch_warnings():  # torch warns about legacy/raw pickles: the one error line below says it all
            warnings.simplefilter("ignore")
            payload = torch.load(target, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "unsupported global" not in str(exc).lower():
            raise CheckpointError(f"cannot read checkpoint {target}: not a torch checkpoint file, or corrupt or truncated") from exc
        raise CheckpointError(f"cannot read checkpoint {target}: it holds pickled objects other than tensors and plain data, which colim never loads") from exc
    except Exception as exc:  # noqa: BLE001 - torch raises KeyError/OSError/RuntimeError on corrupt files
        raise CheckpointError(f"cannot read checkpoint {target}: not a torch checkpoint file, or corrupt or truncated") from exc
    if not isinstance(payload, dict) or payload.get("format") not in (MODEL_FORMAT, ENCODER_FORMAT):
        raise CheckpointError(f"{target} is not a colim checkpoint")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{target} has colim checkpoint format version {version}, but this colim ({__version__}) reads version {FORMAT_VERSION}"
        )
    return payload


def _check_expected(record: dict[str, Any], kind: str, expect: str | None) -> None:
    label = _KIND_LABEL[kind]
    if expect is not None and record["name"] != expect:
        raise CheckpointError(f"checkpoint was trained with {label} '{record['name']}' but '{expect}' was requested")
    registry = core_encoders() if kind == "core" else ligand_encoders()
    if record["name"] not in registry:
        raise CheckpointError(
            f"checkpoint needs {label} '{record['name']}', which no installed plugin provides; choose from: {', '.join(registry.names())}"
        )
    installed = str(registry.get(record["name"]).version)
    if installed != record["version"]:
        raise CheckpointError(
            f"checkpoint was trained with {label} '{record['name']}' version {record['version']} but the installed plugin is version {installed}"
        )


def _build_encoder(record: dict[str, Any], kind: str) -> CoreEncoder | LigandEncoder:
    factory = create_core_encoder if kind == "core" else create_ligand_encoder
    registry = core_encoders() if kind == "core" else ligand_encoders()
    try:
        return factory(record["name"], **registry.get(record["name"]).stored_init_args(record["init_args"]))
    except ColimError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin that cannot rebuild from its init args
        raise CheckpointError(f"cannot rebuild {_KIND_LABEL[kind]} '{record['name']}' from the checkpoint: {_first_line(exc)}") from exc


def _load_state(module: torch.nn.Module, state: dict[str, Any], path: str | os.PathLike) -> None:
    for name, value in state.items():  # a diverged training run saves NaN weights: every score would be NaN
        if isinstance(value, torch.Tensor) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(f"{path}: weights '{name}' contain NaN or infinity (a diverged training run?); retrain or use another checkpoint")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"weights in {path} do not fit the rebuilt model: {_first_line(exc)}") from exc


def load_checkpoint(
    path: str | os.PathLike,
    map_location: str | torch.device = "cpu",
    expect_core: str | None = None,
    expect_ligand: str | None = None,
) -> tuple[CoLiMModel, dict[str, Any]]:
    """Rebuild a :class:`CoLiMModel` from ``path`` (in eval mode); returns ``(model, info)``.

    ``info`` is the checkpoint's dict without the weights: ``info["metadata"]`` holds what the trainer
    stored (seed, metrics, data hash), ``info["core_encoder"]``/``["ligand_encoder"]`` the plugin records,
    ``info.get("domain")`` the applicability-domain reference (also on ``model.domain_reference``).
    ``expect_core``/``expect_ligand`` refuse a checkpoint trained with other encoders.
    """
    payload = read_checkpoint(path, map_location)
    if payload["format"] != MODEL_FORMAT:
        raise CheckpointError(f"{path} is a core encoder checkpoint, not a model checkpoint (use it with --pretrained-core)")
    _check_expected(payload["core_encoder"], "core", expect_core)
    _check_expected(payload["ligand_encoder"], "ligand", expect_ligand)
    core = _build_encoder(payload["core_encoder"], "core")
    ligand = _build_encoder(payload["ligand_encoder"], "ligand")
    head = payload["head"]
    model = CoLiMModel(core, ligand, hidden_dims=tuple(head["hidden_dims"]), dropout=head["dropout"])
    _load_state(model, payload["state_dict"], path)
    model.domain_reference = payload.get("domain")  # absent in checkpoints from before colim stored it: unknown
    model.to(map_location)
    model.eval()
    info = {k: v for k, v in payload.items() if k != "state_dict"}
    return model, info


def load_encoder_checkpoint(path: str | os.PathLike, expect: str | None = None) -> tuple[CoreEncoder, dict[str, Any]]:
    """Rebuild the core encoder saved in ``path``; ``expect`` refuses one trained under another name."""
    payload = read_checkpoint(path)
    if payload["format"] == MODEL_FORMAT:
        record = payload["core_encoder"]
        prefix = "core_encoder."
        state = {k[len(prefix):]: v for k, v in payload["state_dict"].items() if k.startswith(prefix)}
    else:
        record = payload["encoder"]
        state = payload["state_dict"]
    _check_expected(record, "core", expect)
    encoder = _build_encoder(record, "core")
    _load_state(encoder, state, path)
    info = {k: v for k, v in payload.items() if k != "state_dict"}
    return encoder, info


def write_ensemble_manifest(directory: str | os.PathLike, checkpoints: Sequence[str], metadata: dict[str, Any], overwrite: bool = False) -> Path:
    """Write ``DIR/ensemble.json`` naming the member checkpoints (relative to ``DIR``)."""
    target = Path(directory) / ENSEMBLE_MANIFEST
    body = {"format": ENSEMBLE_FORMAT, "format_version": FORMAT_VERSION, "colim_version": __version__,
            "checkpoints": list(checkpoints), "metadata": to_plain(metadata)}
    with atomic_output(target, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(body, indent=2, allow_nan=True))
    return target


def resolve_checkpoints(spec: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Member checkpoint paths of ``spec``: a ``.pt`` file, comma-separated files, an ensemble directory or its manifest."""
    if isinstance(spec, (list, tuple)):
        return [p for item in spec for p in resolve_checkpoints(item)]
    text = str(spec)
    if "," in text:
        return [p for part in text.split(",") if part.strip() for p in resolve_checkpoints(part.strip())]
    target = Path(text)
    if target.is_dir():
        target = target / ENSEMBLE_MANIFEST
        if not target.is_file():
            raise CheckpointError(f"{spec} is a directory without an {ENSEMBLE_MANIFEST} manifest")
    if target.suffix == ".json":
        if not target.is_file():
            raise CheckpointError(f"ensemble manifest {target} does not exist")
        try:
            body = json.loads(target.read_text())
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"cannot read ensemble manifest {target}: {_first_line(exc)}") from exc
        if not isinstance(body, dict) or body.get("format") != ENSEMBLE_FORMAT:
            raise CheckpointError(f"{target} is not a colim ensemble manifest")
        return [target.parent / name for name in body["checkpoints"]]
    if not target.is_file():
        raise CheckpointError(f"checkpoint {target} does not exist")
    return [target]
