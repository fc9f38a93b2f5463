"""The dual-encoder model, its checkpoints and explanations of its scores."""

from colim.model.dual_encoder import CoLiMModel, PairHead

__all__ = ["CoLiMModel", "PairHead"]
