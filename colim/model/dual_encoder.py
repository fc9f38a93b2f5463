"""The CoLiM dual-encoder classifier: concat(h_core, h_ligands) → BatchNorm → Dropout → MLP → logit."""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor, nn

from colim.encoders import CoreEncoder, LigandEncoder
from colim.structures.ligands import LigandSet


class PairHead(nn.Module):
    """BatchNorm → Dropout → (Linear → Softplus) × len(hidden_dims) → Linear → one logit.

    ``layers[0]`` is the first Linear; the screening engine folds ``norm`` into it and splits it into
    a core part and a ligand part (the first ``core_dim`` input columns are the core's).
    """

    def __init__(self, core_dim: int, ligand_dim: int, hidden_dims: Sequence[int] = (256, 128), dropout: float = 0.2):
        super().__init__()
        self.core_dim = core_dim
        self.ligand_dim = ligand_dim
        self.hidden_dims = tuple(int(h) for h in hidden_dims)
        self.dropout_rate = float(dropout)
        in_dim = core_dim + ligand_dim
        self.norm = nn.BatchNorm1d(in_dim)
        self.dropout = nn.Dropout(self.dropout_rate)
        dims = (in_dim,) + self.hidden_dims + (1,)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.activation = nn.Softplus()
        #: keep the BatchNorm's statistics as they are while training (fine-tuning a pretrained pair model on
        #: data of one metal would otherwise shrink the core dimensions' variance to nothing and blow up the
        #: other metals' normalised core vectors).
        self.frozen_norm = False

    def train(self, mode: bool = True) -> "PairHead":
        super().train(mode)
        if self.frozen_norm:
            self.norm.eval()
        return self

    def forward(self, h_core: Tensor, h_ligands: Tensor) -> Tensor:
        """Shapes: ``h_core [B, core_dim]``, ``h_ligands [B, ligand_dim]`` → logits ``[B]``."""
        x = self.dropout(self.norm(torch.cat([h_core, h_ligands], dim=-1)))
        return self.mlp_from_first(self.layers[0](x))

    def mlp_from_first(self, first: Tensor) -> Tensor:
        """Run the rest of the MLP given the first layer's pre-activation output ``[..., hidden_dims[0]]``."""
        x = first
        for layer in self.layers[1:]:
            x = layer(self.activation(x))
        return x.squeeze(-1)


class CoLiMModel(nn.Module):
    """Core encoder + ligand encoder + :class:`PairHead`; ``forward`` returns logits of P(compatible)."""

    def __init__(
        self,
        core_encoder: CoreEncoder,
        ligand_encoder: LigandEncoder,
        hidden_dims: Sequence[int] = (256, 128),
        dropout: float = 0.2,
    ):
        super().__init__()
        self.core_encoder = core_encoder
        self.ligand_encoder = ligand_encoder
        self.head = PairHead(core_encoder.embedding_dim, ligand_encoder.embedding_dim, hidden_dims, dropout)
        #: the applicability-domain reference (see :mod:`colim.model.domain`) as the checkpoint stores it;
        #: None when unknown (a fresh model, or a checkpoint from before references were stored).
        self.domain_reference: dict[str, Any] | None = None

    def head_args(self) -> dict[str, Any]:
        """The head's constructor arguments (for checkpoints)."""
        return {"hidden_dims": list(self.head.hidden_dims), "dropout": self.head.dropout_rate}

    def forward(self, core_batch: Any, ligand_sets: Sequence[LigandSet]) -> Tensor:
        """Logits for pairs ``(core_batch[i], ligand_sets[i])``. Shapes: returns ``[B]``."""
        return self.head(self.core_encoder(core_batch), self.ligand_encoder(ligand_sets))

    def pair_embedding(self, core_batch: Any, ligand_sets: Sequence[LigandSet]) -> Tensor:
        """The concatenated ``[h_core, h_ligands]`` vectors the head sees (for t-SNE and domain checks)."""
        return torch.cat([self.core_encoder(core_batch), self.ligand_encoder(ligand_sets)], dim=-1)
