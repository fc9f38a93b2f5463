"""Fused CPU kernels for the folded head (numba): the first layer's softplus without ``exp`` per pair.

Per pair the first hidden unit is ``softplus(P_core[i,h] + P_set[j,h]) = log(1 + E_core[i,h]·E_set[j,h])``
with ``E = exp(P)`` precomputed once per core and once per set, so each element costs a multiply and one
logarithm. The logarithm (and the ``exp`` of later layers) are Cephes-style float32 polynomials that
LLVM vectorises (numba has no SVML here); their error (< 1e-6 absolute) matches torch's own float32
softplus. Exactness guard: each column is shifted by the midpoint of the sets' range
(``E_core = exp(P_core + m)``, ``E_set = exp(P_set − m)``) and the fast path is used only for columns whose
shifted values lie in ``[−EXP_RANGE, EXP_RANGE]`` (no overflow or denormals in the product); the other
columns (huge pre-activations, NaN) take ``softplus(P_core + P_set)`` directly, so the kernels are exact
for any magnitude (a tile with such columns counts as a *fallback tile*).
For ``x > 20`` torch's softplus returns ``x``; ``log(1 + eˣ)`` differs from it by < 3e-9.
"""

from __future__ import annotations

import numpy as np
import torch
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic
from torch import Tensor

from colim.screening.folded import FoldedHead

#: largest |shifted pre-activation| on the fast path: e^±80 products stay normal float32.
EXP_RANGE = 40.0
#: below this many pairs a tile runs in one thread (waking numba's pool costs more than it saves).
SERIAL_PAIRS = 1 << 14

_F = np.float32
_ONE, _HALF, _ZERO = _F(1.0), _F(0.5), _F(0.0)
_LN2_HI, _LN2_LO = _F(0.693359375), _F(-2.12194440e-4)
_L0, _L1, _L2, _L3, _L4 = _F(7.0376836292e-2), _F(-1.1514610310e-1), _F(1.1676998740e-1), _F(-1.2420140846e-1), _F(1.4249322787e-1)
_L5, _L6, _L7, _L8 = _F(-1.6668057665e-1), _F(2.0000714765e-1), _F(-2.4999993993e-1), _F(3.3333331174e-1)
_LOG2E, _EXP_LO = _F(1.44269504088896341), _F(-87.0)
_E0, _E1, _E2, _E3, _E4, _E5 = (_F(1.9875691500e-4), _F(1.3981999507e-3), _F(8.3334519073e-3), _F(4.1665795894e-2),
                                _F(1.6666665459e-1), _F(5.0000001201e-1))
_SQRT_HALF_BITS, _EXP_MASK, _SHIFT, _BIAS = np.int32(0x3F3504F3), np.int32(-(1 << 23)), np.int32(23), np.int32(127)


@intrinsic
def _as_int(typingctx, x):
    """float32 bits as int32 (a bitcast, so LLVM can vectorise it)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def _as_float(typingctx, x):
    """int32 bits as float32."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@njit(inline="always", fastmath=True)
def _log(y):  # pragma: no cover - compiled
    """ln(y) for finite normal y > 0 (Cephes logf: mantissa in [√½, √2), degree-9 polynomial)."""
    bits = _as_int(y)
    off = bits - _SQRT_HALF_BITS
    k = off >> _SHIFT
    x = _as_float(bits - (off & _EXP_MASK)) - _ONE
    e = _F(k)
    z = x * x
    p = ((((((((_L0 * x + _L1) * x + _L2) * x + _L3) * x + _L4) * x + _L5) * x + _L6) * x + _L7) * x + _L8) * x * z
    return x + (p + _LN2_LO * e - _HALF * z) + _LN2_HI * e


@njit(inline="always", fastmath=True)
def _exp_neg(x):  # pragma: no cover - compiled
    """e^x for x <= 0 (Cephes expf; below −87 it returns ≈ e^−87, harmless inside log(1 + ·))."""
    x = max(x, _EXP_LO)
    n = np.floor(x * _LOG2E + _HALF)
    r = x - n * _LN2_HI - n * _LN2_LO
    y = (((((_E0 * r + _E1) * r + _E2) * r + _E3) * r + _E4) * r + _E5) * (r * r) + r + _ONE
    return y * _as_float((np.int32(n) + _BIAS) << _SHIFT)


@njit(inline="always", fastmath=True)
def _softplus(x):  # pragma: no cover - compiled
    """softplus(x) = max(x, 0) + log(1 + e^−|x|), any finite x."""
    return max(x, _ZERO) + _log(_ONE + _exp_neg(-abs(x)))


@njit(parallel=True, fastmath=True, cache=True)
def _one_hidden(e_core, e_set, w, b, out):  # pragma: no cover - compiled
    """out[i, j] = b + Σ_h w[h]·log(1 + e_core[i,h]·e_set[j,h])  (one hidden layer: the whole head)."""
    cores, hidden = e_core.shape
    sets = e_set.shape[0]
    for i in prange(cores):
        for j in range(sets):
            acc = _ZERO
            for h in range(hidden):
                acc += w[h] * _log(_ONE + e_core[i, h] * e_set[j, h])
            out[i, j] = acc + b


@njit(fastmath=True, cache=True)
def _one_hidden_serial(e_core, e_set, w, b, out):  # pragma: no cover - compiled
    """:func:`_one_hidden` in one thread (the same arithmetic, for small batches of pairs)."""
    cores, hidden = e_core.shape
    sets = e_set.shape[0]
    for i in range(cores):
        for j in range(sets):
            acc = _ZERO
            for h in range(hidden):
                acc += w[h] * _log(_ONE + e_core[i, h] * e_set[j, h])
            out[i, j] = acc + b


@njit(parallel=True, fastmath=False, cache=True)
def _one_hidden_mixed(e_core, e_set, w, p_core, p_set, w_slow, b, out):  # pragma: no cover - compiled
    """:func:`_one_hidden` over the fast columns plus ``Σ w_slow·softplus(p_core + p_set)`` over the others
    (no fastmath: NaN and ±inf behave as in torch)."""
    cores = e_core.shape[0]
    sets = e_set.shape[0]
    for i in prange(cores):
        for j in range(sets):
            acc = _ZERO
            for h in range(e_core.shape[1]):
                acc += w[h] * _log(_ONE + e_core[i, h] * e_set[j, h])
            for h in range(p_core.shape[1]):
                x = p_core[i, h] + p_set[j, h]
                acc += w_slow[h] * ((max(x, _ZERO) + np.log1p(np.exp(-abs(x)))) if x == x else x)
            out[i, j] = acc + b


@njit(parallel=True, fastmath=False, cache=True)
def _softplus_pairs(p_core, p_set, out):  # pragma: no cover - compiled
    """out[i·S + j, h] = softplus(p_core[i,h] + p_set[j,h]) (no fastmath: NaN and ±inf behave as in torch)."""
    sets = p_set.shape[0]
    for i in prange(p_core.shape[0]):
        for j in range(sets):
            for h in range(p_core.shape[1]):
                x = p_core[i, h] + p_set[j, h]
                out[i * sets + j, h] = max(x, _ZERO) + np.log1p(np.exp(-abs(x))) if x == x else x


@njit(parallel=True, fastmath=True, cache=True)
def _first_layer(e_core, e_set, out):  # pragma: no cover - compiled
    """out[i·S + j, h] = log(1 + e_core[i,h]·e_set[j,h]): the first hidden activations of a tile."""
    cores, hidden = e_core.shape
    sets = e_set.shape[0]
    for i in prange(cores):
        for j in range(sets):
            row = i * sets + j
            for h in range(hidden):
                out[row, h] = _log(_ONE + e_core[i, h] * e_set[j, h])


@njit(parallel=True, fastmath=True, cache=True)
def _softplus_inplace(x):  # pragma: no cover - compiled
    """x ← softplus(x) row by row (middle hidden layers)."""
    for r in prange(x.shape[0]):
        for h in range(x.shape[1]):
            x[r, h] = _softplus(x[r, h])


@njit(parallel=True, fastmath=True, cache=True)
def _softplus_dot(x, w, b, out):  # pragma: no cover - compiled
    """out[r] = b + Σ_h w[h]·softplus(x[r,h]): the last hidden activation fused with the output layer."""
    for r in prange(x.shape[0]):
        acc = _ZERO
        for h in range(x.shape[1]):
            acc += w[h] * _softplus(x[r, h])
        out[r] = acc + b


class FusedScorer:
    """CPU logits of one folded head against fixed set projections ``p_set [S, H]``, via the fused kernels.

    ``logits(p_core [Cb, H], s0, s1) -> [Cb, s1 - s0]`` equals ``head.logits(p_core, p_set[s0:s1])``
    (to float32 rounding); tiles it cannot take exactly go through ``head.logits``. ``shift [H]``: the
    column shift (default: the midpoint of ``p_set``'s range).
    """

    def __init__(self, head: FoldedHead, p_set: Tensor, shift: Tensor | None = None, fast: np.ndarray | None = None):
        self.head = head
        self.p_set = p_set.float().contiguous()
        if shift is not None:  # fixed per engine: a pair's score then never depends on which sets share its tile
            self.shift = shift.float()
        elif len(self.p_set):
            self.shift = (self.p_set.amax(0) + self.p_set.amin(0)) / 2
        else:
            self.shift = torch.zeros(self.p_set.shape[1])
        # numpy (one thread, and the same exp whatever the batch size, so a set's bits never depend on it)
        self._shift = self.shift.numpy()
        shifted = self.p_set.numpy() - self._shift
        with np.errstate(invalid="ignore"):
            self.set_fast = (np.abs(shifted) <= EXP_RANGE).all(axis=0)  # per column; NaN → slow
        with np.errstate(over="ignore", invalid="ignore"):
            self.e_set = np.exp(shifted)
        self.fast = None if fast is None else np.asarray(fast, dtype=bool) & self.set_fast
        self.rest_w = [w.contiguous() for w in head.rest_weights]
        self.rest_b = [b.contiguous() for b in head.rest_biases]
        self.out_w = self.rest_w[-1][:, 0].contiguous().numpy()
        self.out_b = _F(self.rest_b[-1][0].item())
        self._buffers: dict[tuple, Tensor] = {}
        self.fallback_tiles = 0

    def _mixed(self, p_core: np.ndarray, s0: int, s1: int, e_core: np.ndarray, fast: np.ndarray, out: Tensor) -> Tensor:
        """A tile with some columns outside the fast path: those take ``softplus(P_core + P_set)`` directly (exact
        for any magnitude, NaN stays NaN), the others the product of exponentials."""
        f, slow = np.nonzero(fast)[0], np.nonzero(~fast)[0]
        ec, es = np.ascontiguousarray(e_core[:, f]), np.ascontiguousarray(self.e_set[s0:s1][:, f])
        pc, ps = np.ascontiguousarray(p_core[:, slow]), np.ascontiguousarray(self.p_set.numpy()[s0:s1][:, slow])
        cb, sb = len(p_core), s1 - s0
        if len(self.rest_w) == 1:
            _one_hidden_mixed(ec, es, np.ascontiguousarray(self.out_w[f]), pc, ps, np.ascontiguousarray(self.out_w[slow]), self.out_b, out.numpy())
            return out
        x = self._buffer("first", cb * sb, p_core.shape[1])
        xn = x.numpy()
        part = np.empty((cb * sb, len(f)), np.float32)
        _first_layer(ec, es, part)
        xn[:, f] = part
        part = np.empty((cb * sb, len(slow)), np.float32)
        _softplus_pairs(pc, ps, part)
        xn[:, slow] = part
        for layer, (w, b) in enumerate(zip(self.rest_w[:-1], self.rest_b[:-1])):
            z = self._buffer(f"z{layer}", cb * sb, w.shape[1])
            torch.addmm(b, x, w, out=z)
            x = z
            if layer < len(self.rest_w) - 2:
                _softplus_inplace(x.numpy())
        _softplus_dot(x.numpy(), self.out_w, self.out_b, out.view(-1).numpy())
        return out

    def bytes_per_pair(self) -> int:
        """Work memory per pair of a tile: the output and, for deeper heads, every hidden activation."""
        if len(self.rest_w) == 1:
            return 4
        return 4 * (1 + self.rest_w[0].shape[0] + sum(w.shape[1] for w in self.rest_w[:-1]))

    def _buffer(self, name: str, rows: int, cols: int) -> Tensor:
        """A reusable float32 work buffer of at least ``rows × cols`` (viewed to that shape)."""
        have = self._buffers.get((name, cols))
        if have is None or have.shape[0] < rows:
            have = torch.empty((rows, cols), dtype=torch.float32)
            self._buffers[(name, cols)] = have
        return have[:rows]

    def logits(self, p_core: Tensor, s0: int, s1: int) -> Tensor:
        """Logits of cores ``p_core`` × sets ``s0:s1``; shape ``[Cb, s1 - s0]``."""
        # numpy, not torch, for these small steps: no torch thread pool woken between the numba kernels
        shifted = p_core.float().numpy() + self._shift
        with np.errstate(invalid="ignore"):
            tile_fast = self.set_fast & (np.abs(shifted) <= EXP_RANGE).all(axis=0)
        fast = tile_fast if self.fast is None or (self.fast & ~tile_fast).any() else self.fast
        with np.errstate(over="ignore", invalid="ignore"):
            e_core = np.exp(shifted)
        e_set = self.e_set[s0:s1]
        cb, sb = e_core.shape[0], e_set.shape[0]
        out = torch.empty((cb, sb), dtype=torch.float32)
        if not fast.all():  # columns out of the exponentials' range: exact softplus(P_core + P_set) for them
            self.fallback_tiles += 1
            return self._mixed(p_core.float().numpy(), s0, s1, e_core, fast, out)
        if len(self.rest_w) == 1:
            kernel = _one_hidden if cb * sb >= SERIAL_PAIRS else _one_hidden_serial  # few pairs: no thread wake-up
            kernel(e_core, e_set, self.out_w, self.out_b, out.numpy())
            return out
        x = self._buffer("first", cb * sb, e_core.shape[1])
        _first_layer(e_core, e_set, x.numpy())
        for layer, (w, b) in enumerate(zip(self.rest_w[:-1], self.rest_b[:-1])):
            z = self._buffer(f"z{layer}", cb * sb, w.shape[1])
            torch.addmm(b, x, w, out=z)
            x = z
            if layer < len(self.rest_w) - 2:
                _softplus_inplace(x.numpy())
        _softplus_dot(x.numpy(), self.out_w, self.out_b, out.view(-1).numpy())
        return out
