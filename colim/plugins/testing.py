"""Contract checks for encoder plugins, shipped so plugin authors can test their own encoders (like
e3nn's ``assert_equivariant``).

Call :func:`check_core_encoder` or :func:`check_ligand_encoder` from a test with a few real inputs;
each raises ``AssertionError`` naming the first broken rule. Example::

    from colim.plugins.testing import check_core_encoder
    from colim.structures.core import read_core

    def test_my_encoder_meets_the_contract():
        cores = [read_core("au25_core.xyz"), read_core("au38_core.xyz")]
        check_core_encoder(MyEncoder, cores)          # a class (built with defaults) or an instance

What is checked (the rules colim's training, libraries and screening rely on):

- output ``[B, embedding_dim]``, float32, finite;
- determinism: the same input twice in eval mode gives the same embedding;
- batch invariance: an item embedded alone equals the same item inside a batch, in any order
  (padding, masking, BatchNorm running stats in eval mode, no cross-item pooling);
- ``init_args()`` is JSON-serialisable and ``type(enc)(**enc.init_args())`` with the same
  ``state_dict`` reproduces the embeddings (checkpoints store no pickled code);
- featurising does not modify the input; ``encode`` matches ``forward``;
- a trainable encoder passes gradients to its parameters;
- ligand encoders: per-ligand embeddings are batch invariant, sets are invariant to member order,
  duplicates and ratio scale, and pooling cached per-ligand embeddings (``pool_sets``) equals ``forward``.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable, Sequence

import numpy as np
import torch
from ase import Atoms
from torch import Tensor

from colim.encoders import CoreEncoder, LigandEncoder
from colim.structures.ligands import LigandSet

#: default absolute and relative tolerances for "the same embedding".
ATOL = 1e-5
RTOL = 1e-5


def _instance(encoder: Any, base: type) -> Any:
    """Build ``encoder`` with its defaults when given a class; check its kind and identity."""
    enc = encoder() if isinstance(encoder, type) else encoder
    assert isinstance(enc, base), f"{enc!r} is not a {base.__name__}"
    name = getattr(enc, "name", None)
    assert isinstance(name, str) and name, f"{type(enc).__name__} needs a non-empty class attribute 'name'"
    dim = getattr(enc, "embedding_dim", None)
    assert isinstance(dim, int) and dim > 0, f"{name}: embedding_dim must be a positive int, got {dim!r}"
    args = enc.init_args()
    try:
        json.dumps(args)
    except TypeError as exc:
        raise AssertionError(f"{name}: init_args() must be JSON-serialisable for checkpoints: {exc}") from None
    return enc


def _assert_close(actual: Tensor, expected: Tensor, what: str, atol: float, rtol: float) -> None:
    """Raise an AssertionError saying ``what`` differs and by how much."""
    assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    if not torch.allclose(actual, expected, atol=atol, rtol=rtol):
        diff = (actual - expected).abs().max().item()
        raise AssertionError(f"{what}: max difference {diff:.3g} exceeds atol={atol:g}, rtol={rtol:g}")


def _assert_embedding(out: Any, rows: int, name: str, what: str, dim: int) -> None:
    """Shape ``[rows, dim]``, float32, finite."""
    assert isinstance(out, Tensor), f"{name}: {what} returned {type(out).__name__}, expected a Tensor"
    assert tuple(out.shape) == (rows, dim), f"{name}: {what} returned shape {tuple(out.shape)}, expected ({rows}, {dim}) = [B, embedding_dim]"
    assert out.dtype == torch.float32, f"{name}: {what} returned {out.dtype}, expected torch.float32"
    assert bool(torch.isfinite(out).all()), f"{name}: {what} returned NaN or infinite values"


def _check_roundtrip(enc: Any, embed: Callable[[Any], Tensor], expected: Tensor, atol: float, rtol: float) -> None:
    """Rebuild from ``init_args`` + ``state_dict`` and compare embeddings."""
    args = enc.init_args()
    try:
        rebuilt = type(enc)(**args)
    except TypeError as exc:
        raise AssertionError(f"{enc.name}: type(enc)(**enc.init_args()) failed; pass every constructor argument to super().__init__(**init_args): {exc}") from None
    assert rebuilt.init_args() == args, f"{enc.name}: the rebuilt encoder's init_args() {rebuilt.init_args()} != {args}"
    try:
        rebuilt.load_state_dict(enc.state_dict())
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise AssertionError(f"{enc.name}: the state_dict does not fit an encoder rebuilt from init_args(): {first}") from None
    rebuilt.to(enc.device).eval()
    with torch.no_grad():
        _assert_close(embed(rebuilt), expected, f"{enc.name}: an encoder rebuilt from init_args() and state_dict() gives other embeddings", atol, rtol)


def _check_gradients(enc: Any, loss_of: Callable[[Any], Tensor]) -> None:
    """A trainable encoder (a copy, in training mode) passes finite gradients to some parameter."""
    if not enc.trainable:
        return
    trial = copy.deepcopy(enc).train()
    params = [p for p in trial.parameters() if p.requires_grad]
    assert params, f"{enc.name}: trainable is True but the encoder has no parameter requiring gradients"
    loss = loss_of(trial)
    assert loss.requires_grad, f"{enc.name}: no parameter receives a gradient from the embeddings (detached output?)"
    loss.backward()
    grads = [p.grad for p in params if p.grad is not None]
    assert grads and any(bool(g.abs().sum() > 0) for g in grads), f"{enc.name}: no parameter receives a gradient from the embeddings (detached output?)"
    assert all(bool(torch.isfinite(g).all()) for g in grads), f"{enc.name}: non-finite gradients"


def check_core_encoder(encoder: type[CoreEncoder] | CoreEncoder, cores: Sequence[Atoms], atol: float = ATOL, rtol: float = RTOL) -> None:
    """Assert that a core encoder meets colim's plugin contract on ``cores`` (at least 2, ideally of
    different sizes). ``encoder`` is a class (built with its defaults) or an instance; an instance's
    parameters and training mode are left as they were.

    Raises:
        AssertionError: naming the broken rule (see the module docstring).
    """
    enc = _instance(encoder, CoreEncoder)
    name, dim = enc.name, enc.embedding_dim
    assert len(cores) >= 2, "check_core_encoder needs at least 2 cores to compare batches with single items"
    before = [(c.numbers.copy(), c.get_positions().copy(), dict(c.info)) for c in cores]
    was_training = enc.training
    enc.eval()
    try:

        def embed(model: CoreEncoder, items: Sequence[Atoms]) -> Tensor:
            return model(model.to_device(model.collate([model.featurize(c) for c in items]), model.device))

        with torch.no_grad():
            out = embed(enc, cores)
            _assert_embedding(out, len(cores), name, "forward", dim)
            for c, (numbers, positions, info) in zip(cores, before):
                unchanged = np.array_equal(c.numbers, numbers) and np.array_equal(c.get_positions(), positions) and c.info == info
                assert unchanged, f"{name}: featurize modified its input core"
            _assert_close(embed(enc, cores), out, f"{name}: the same cores embedded twice in eval mode differ (not deterministic)", atol, rtol)
            for i, core in enumerate(cores):
                alone = embed(enc, [core])
                _assert_embedding(alone, 1, name, "forward on one core", dim)
                _assert_close(alone[0], out[i], f"{name}: core {i} embedded alone differs from the same core in a batch (batch invariance: padding, masking, BatchNorm)", atol, rtol)
            reverse = list(range(len(cores)))[::-1]
            _assert_close(embed(enc, [cores[i] for i in reverse]), out[reverse], f"{name}: embeddings depend on the order of cores in the batch", atol, rtol)
        encoded = enc.encode(cores, batch_size=max(1, len(cores) // 2))
        _assert_close(encoded.to(out.device), out, f"{name}: encode() differs from forward() on the same cores", atol, rtol)
        _check_roundtrip(enc, lambda model: embed(model, cores), out, atol, rtol)
        _check_gradients(enc, lambda model: embed(model, cores).pow(2).sum())
    finally:
        enc.train(was_training)


def _as_sets(ligand_sets: Sequence[LigandSet | str]) -> list[LigandSet]:
    return [s if isinstance(s, LigandSet) else LigandSet.parse(s) for s in ligand_sets]


def _members(per_ligand: Tensor, smiles: Sequence[str], sets: Sequence[LigandSet]) -> tuple[Tensor, Tensor, Tensor]:
    """Gather member rows, their set index and normalised weights, as ``pool_sets`` does."""
    row = {smi: i for i, smi in enumerate(smiles)}
    members = [row[smi] for ls in sets for smi in ls.smiles]
    set_index = [s for s, ls in enumerate(sets) for _ in ls.smiles]
    weights = [w for ls in sets for w in ls.weights]
    device = per_ligand.device
    return (
        per_ligand[torch.tensor(members, device=device)],
        torch.tensor(set_index, device=device),
        torch.tensor(weights, dtype=per_ligand.dtype, device=device),
    )


def check_ligand_encoder(
    encoder: type[LigandEncoder] | LigandEncoder, ligand_sets: Sequence[LigandSet | str], atol: float = ATOL, rtol: float = RTOL
) -> None:
    """Assert that a ligand encoder meets colim's plugin contract on ``ligand_sets`` (``LigandSet`` or
    strings such as ``"C[S].c1ccc(P(c2ccccc2)c2ccccc2)cc1 12:3"``; at least 2, ideally with a
    multi-ligand set and a set carrying ratios). ``encoder`` is a class or an instance.

    Raises:
        AssertionError: naming the broken rule (see the module docstring).
    """
    enc = _instance(encoder, LigandEncoder)
    name, dim = enc.name, enc.embedding_dim
    sets = _as_sets(ligand_sets)
    assert len(sets) >= 2, "check_ligand_encoder needs at least 2 ligand sets to compare batches with single items"
    unique = sorted({smi for ls in sets for smi in ls.smiles})
    was_training = enc.training
    enc.eval()
    try:
        with torch.no_grad():
            out = enc(sets)
            _assert_embedding(out, len(sets), name, "forward", dim)
            _assert_close(enc(sets), out, f"{name}: the same ligand sets embedded twice in eval mode differ (not deterministic)", atol, rtol)
            for i, ls in enumerate(sets):
                _assert_close(enc([ls])[0], out[i], f"{name}: ligand set {i} ({ls}) embedded alone differs from the same set in a batch (batch invariance)", atol, rtol)
            reverse = list(range(len(sets)))[::-1]
            _assert_close(enc([sets[i] for i in reverse]), out[reverse], f"{name}: embeddings depend on the order of ligand sets in the batch", atol, rtol)

            per_ligand = enc.embed_ligands(unique)
            _assert_embedding(per_ligand, len(unique), name, "embed_ligands", dim)
            for j, smi in enumerate(unique):
                _assert_close(enc.embed_ligands([smi])[0], per_ligand[j], f"{name}: ligand {smi} embedded alone differs from the same ligand in a batch (batch invariance)", atol, rtol)
            _assert_close(enc.pool_sets(per_ligand, unique, sets), out, f"{name}: pool_sets on cached per-ligand embeddings differs from forward", atol, rtol)
            shuffled = unique[::-1]
            _assert_close(enc.pool_sets(per_ligand.flip(0), shuffled, sets), out, f"{name}: pool_sets depends on the order of the cached ligand rows", atol, rtol)

            rows, set_index, weights = _members(per_ligand, unique, sets)
            flip = torch.arange(len(set_index) - 1, -1, -1, device=set_index.device)
            for w in (None, weights):
                pooled = enc.pool(rows, set_index, w, len(sets))
                _assert_embedding(pooled, len(sets), name, "pool", dim)
                permuted = enc.pool(rows[flip], set_index[flip], None if w is None else w[flip], len(sets))
                _assert_close(permuted, pooled, f"{name}: pool depends on the order of the members of a set", atol, rtol)

            for i, ls in enumerate(sets):
                ratios = list(ls.ratios) if ls.ratios is not None else None
                if ratios is not None:
                    scaled = LigandSet(ls.smiles, tuple(3.0 * r for r in ratios))
                    _assert_close(enc([scaled])[0], out[i], f"{name}: ligand set {ls} with ratios scaled by 3 differs (use normalised weights)", atol, rtol)
                twice = LigandSet.of(list(ls.smiles[::-1]) * 2, None if ratios is None else ratios[::-1] * 2)
                _assert_close(enc([twice])[0], out[i], f"{name}: ligand set {ls} with members reversed and duplicated differs", atol, rtol)
                uniform = LigandSet(ls.smiles, tuple(1.0 for _ in ls.smiles))
                plain = LigandSet(ls.smiles)
                _assert_close(enc([uniform]), enc([plain]), f"{name}: ligand set {ls.key} with equal ratios differs from the same set without ratios", atol, rtol)

        encoded = enc.encode(sets)
        _assert_close(encoded.to(out.device), out, f"{name}: encode() differs from forward() on the same ligand sets", atol, rtol)
        _check_roundtrip(enc, lambda model: model(sets), out, atol, rtol)
        _check_gradients(enc, lambda model: model(sets).pow(2).sum())
    finally:
        enc.train(was_training)
