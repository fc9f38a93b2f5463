"""Encoders: the base classes plugins subclass, core graphs, and set pooling of ligand embeddings."""

from colim.encoders.base import CoreEncoder, LigandEncoder

__all__ = ["CoreEncoder", "LigandEncoder"]
