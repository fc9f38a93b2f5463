"""Which encoder made a library's embeddings: name, version, init args and a hash of its weights.

Screening refuses a library whose embeddings came from another encoder (or the same encoder with
other weights), since its cached vectors would be meaningless to the model's head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import h5py
from torch import nn

from colim import keys
from colim.errors import LibraryError
from colim.plugins.manager import core_encoders, ligand_encoders


@dataclass(frozen=True)
class EncoderInfo:
    """Identity of the encoder behind cached embeddings."""

    name: str
    version: str
    init_args: dict[str, Any] = field(default_factory=dict)
    weights_hash: str = ""

    @classmethod
    def coerce(cls, value: "EncoderInfo | Mapping[str, Any]") -> "EncoderInfo":
        """Accept an EncoderInfo or a mapping with the same keys."""
        if isinstance(value, EncoderInfo):
            return value
        return cls(str(value["name"]), str(value.get("version", "1")), dict(value.get("init_args", {})), str(value.get("weights_hash", "")))

    def describe(self) -> str:
        """Short text for error messages: ``name v1 (weights 1a2b3c4d)``."""
        return f"{self.name} v{self.version} (weights {self.weights_hash[:8] or 'unknown'})"

    def mismatch(self, other: "EncoderInfo") -> str | None:
        """Why ``other`` cannot stand in for this encoder, or None when they are the same."""
        if (self.name, self.version) != (other.name, other.version):
            return f"encoder {other.name} v{other.version}, not {self.name} v{self.version}"
        if _canonical(_completed(self)) != _canonical(_completed(other)):
            return f"{other.name} with arguments {_canonical(other.init_args)}, not {_canonical(self.init_args)}"
        if self.weights_hash and other.weights_hash and self.weights_hash != other.weights_hash:
            return f"{other.name} weights {other.weights_hash[:8]}, not {self.weights_hash[:8]}"
        return None

    def write_attrs(self, group: h5py.Group) -> None:
        """Store this identity as attributes of ``group``."""
        group.attrs[keys.LIB_ENCODER_NAME] = self.name
        group.attrs[keys.LIB_ENCODER_VERSION] = self.version
        group.attrs[keys.LIB_ENCODER_ARGS] = _canonical(self.init_args)
        group.attrs[keys.LIB_WEIGHTS_HASH] = self.weights_hash

    @classmethod
    def read_attrs(cls, group: h5py.Group, where: str) -> "EncoderInfo":
        """Read the identity written by :meth:`write_attrs`; ``where`` names the file in errors."""
        try:
            return cls(
                str(group.attrs[keys.LIB_ENCODER_NAME]),
                str(group.attrs[keys.LIB_ENCODER_VERSION]),
                json.loads(str(group.attrs[keys.LIB_ENCODER_ARGS])),
                str(group.attrs.get(keys.LIB_WEIGHTS_HASH, "")),
            )
        except (KeyError, ValueError) as exc:
            raise LibraryError(f"{where}: the embeddings do not record which encoder made them") from exc


def _canonical(args: Mapping[str, Any]) -> str:
    return json.dumps(dict(args), sort_keys=True, default=str)


def weights_hash(module: nn.Module) -> str:
    """sha256 over a module's state dict (names, shapes, float32 bytes): identifies trained weights."""
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        h.update(name.encode())
        t = tensor.detach().cpu().contiguous()
        if t.is_floating_point():
            t = t.float()
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def encoder_info(encoder: nn.Module) -> EncoderInfo:
    """The :class:`EncoderInfo` of a core or ligand encoder instance."""
    return EncoderInfo(
        name=str(getattr(encoder, "name", type(encoder).__name__)),
        version=str(getattr(encoder, "version", "1")),
        init_args=dict(encoder.init_args()) if hasattr(encoder, "init_args") else {},
        weights_hash=weights_hash(encoder),
    )


def text_hash(items: list[str]) -> str:
    """sha256 over an ordered list of item hashes: a library's content hash."""
    h = hashlib.sha256()
    for item in items:
        h.update(item.encode())
        h.update(b"\n")
    return h.hexdigest()


__all__ = ["EncoderInfo", "encoder_info", "text_hash", "weights_hash"]


def _completed(info: EncoderInfo) -> dict[str, Any]:
    """``info.init_args`` plus the plugin's legacy defaults for arguments an older record lacks, so a library
    embedded before an encoder gained an option still matches the same encoder rebuilt from its checkpoint."""
    for registry in (core_encoders(), ligand_encoders()):
        if info.name in registry:
            return registry.get(info.name).stored_init_args(info.init_args)
    return info.init_args
