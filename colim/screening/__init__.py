"""Screening: every core × every ligand set scored from cached embeddings through the folded head,
streamed in memory-sized tiles with a running top-k per core (see docs/screening.md)."""

from colim.screening.engine import BlockResult, EngineOptions, Member, ScreenEngine, resolve_device
from colim.screening.folded import FoldedHead
from colim.screening.screen import ScreenInterrupted, ScreenOptions, ScreenResult, screen

__all__ = ["BlockResult", "EngineOptions", "FoldedHead", "Member", "ScreenEngine", "ScreenInterrupted", "ScreenOptions", "ScreenResult", "resolve_device", "screen"]
