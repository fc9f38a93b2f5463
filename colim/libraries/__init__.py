"""Screening libraries in HDF5: core libraries (coordinates, provenance, core embeddings) and ligand
libraries (per-ligand and per-set embeddings, FAISS index). Layouts are documented in docs/formats.md."""

from colim.libraries.core_library import (
    CoreLibrary,
    add_core_embeddings,
    append_core_library,
    load_core_library,
    read_core_embeddings,
    read_core_library,
    write_core_library,
)
from colim.libraries.encoder_info import EncoderInfo, encoder_info

__all__ = [
    "CoreLibrary",
    "add_core_embeddings",
    "load_core_library",
    "EncoderInfo",
    "append_core_library",
    "encoder_info",
    "read_core_embeddings",
    "read_core_library",
    "write_core_library",
]
