"""The pair head folded for screening: BatchNorm (eval) merged into the first Linear, which is split
into a core part and a ligand part, so scoring C cores × S sets needs two small projections and a
broadcast add instead of C·S concatenations.

For eval-mode BatchNorm ``x' = x·s + t`` (``s = γ/√(var+ε)``, ``t = β − mean·s``), so the first layer
``W x' + b = (W·s) x + (W t + b)``; its columns split into ``W_core`` and ``W_ligand``:
``first(i, j) = P_core[i] + P_set[j]`` with ``P_core = h_core W_coreᵀ + (W t + b)`` and
``P_set = h_set W_ligandᵀ``. Dropout is the identity in eval mode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from colim.model.dual_encoder import PairHead


class FoldedHead(nn.Module):
    """A :class:`PairHead` rewritten for screening; all tensors float32 on one device.

    Shapes: ``project_cores([C, core_dim]) -> [C, H]``, ``project_sets([S, ligand_dim]) -> [S, H]``,
    ``logits(P_core [Cb, H], P_set [Sb, H]) -> [Cb, Sb]``.
    """

    def __init__(self, head: PairHead):
        super().__init__()
        norm, first = head.norm, head.layers[0]
        with torch.no_grad():
            w = first.weight.double()
            b = first.bias.double()
            if norm.track_running_stats and norm.running_var is not None:
                scale = 1.0 / torch.sqrt(norm.running_var.double() + norm.eps)
                shift = -norm.running_mean.double() * scale
            else:
                raise ValueError("the head's BatchNorm has no running statistics to fold")
            if norm.affine:
                shift = shift * norm.weight.double() + norm.bias.double()
                scale = scale * norm.weight.double()
            folded_w = w * scale[None, :]
            folded_b = b + w @ shift
        self.core_dim = head.core_dim
        self.ligand_dim = head.ligand_dim
        self.register_buffer("w_core", folded_w[:, : head.core_dim].float().contiguous())
        self.register_buffer("w_ligand", folded_w[:, head.core_dim :].float().contiguous())
        self.register_buffer("b_first", folded_b.float())
        self.rest_weights = [layer.weight.detach().float().t().contiguous() for layer in head.layers[1:]]
        self.rest_biases = [layer.bias.detach().float().clone() for layer in head.layers[1:]]
        self.hidden_dims = head.hidden_dims

    def to(self, *args, **kwargs) -> FoldedHead:
        """Module.to that also moves the plain-list weights of the later layers."""
        super().to(*args, **kwargs)
        self.rest_weights = [w.to(*args, **kwargs) for w in self.rest_weights]
        self.rest_biases = [b.to(*args, **kwargs) for b in self.rest_biases]
        return self

    @property
    def device(self) -> torch.device:
        return self.w_core.device

    def project_cores(self, h_core: Tensor) -> Tensor:
        """``P_core = h_core W_coreᵀ + b``: the core's share of the first layer (bias included)."""
        return torch.addmm(self.b_first, h_core.to(self.device, torch.float32), self.w_core.t())

    def project_sets(self, h_sets: Tensor) -> Tensor:
        """``P_set = h_set W_ligandᵀ``: the ligand set's share of the first layer."""
        return h_sets.to(self.device, torch.float32) @ self.w_ligand.t()

    def logits(self, p_core: Tensor, p_set: Tensor) -> Tensor:
        """Logits of every pair of a block: softplus(P_core[i] + P_set[j]) through the rest of the MLP."""
        cb, sb, h = p_core.shape[0], p_set.shape[0], p_core.shape[1]
        x = (p_core[:, None, :] + p_set[None, :, :]).view(cb * sb, h)
        for w, b in zip(self.rest_weights, self.rest_biases):
            x = torch.addmm(b, F.softplus(x), w)
        return x.view(cb, sb)

    def flops_per_pair(self) -> int:
        """Floating-point operations per scored pair after folding (add, softplus ≈ 1 op each, 2 per multiply-add)."""
        dims = (self.b_first.shape[0],) + tuple(w.shape[1] for w in self.rest_weights)
        flops = 2 * dims[0]  # broadcast add + softplus
        for a, b in zip(dims[:-1], dims[1:]):
            flops += 2 * a * b + b
        for h in dims[1:-1]:
            flops += h  # softplus of later hidden layers
        return flops
