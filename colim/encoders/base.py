"""Base classes of the two encoder kinds: core encoders (a core → a vector) and ligand encoders
(a ligand set → a vector, pooled from per-ligand embeddings).

A plugin subclasses one of these, sets ``name``, and registers the class through a hook. Encoders
record their constructor arguments (:meth:`init_args`) so checkpoints and libraries can rebuild them
without pickled code.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, ClassVar, Sequence

import torch
from ase import Atoms
from torch import Tensor, nn

from colim.errors import PluginError
from colim.structures.ligands import LigandSet


class _ConfiguredModule(nn.Module):
    """A module that records the keyword arguments it was built with, by itself.

    Every subclass's ``__init__`` is wrapped so that the outermost call binds its arguments (defaults
    applied) to the signature and keeps them: an encoder never retypes its arguments for the base
    class, and none can be forgotten. Values derived while building (a file's hash, a normalised
    list) are recorded with :meth:`record_init_args`.
    """

    name: ClassVar[str] = ""
    #: version of the plugin class; stored in checkpoints and libraries.
    version: ClassVar[str] = "1"
    #: False for fixed featurisers (descriptors, frozen pretrained models).
    trainable: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:
            cls.__init__ = _recording(init)

    def __init__(self) -> None:
        super().__init__()

    #: arguments added to ``__init__`` after checkpoints were first written, with the values that rebuild
    #: those checkpoints (which lack them); see :meth:`stored_init_args`.
    legacy_init_args: ClassVar[dict[str, Any]] = {}

    @classmethod
    def stored_init_args(cls, stored: dict[str, Any]) -> dict[str, Any]:
        """Constructor arguments that rebuild an encoder from a record saved by any colim version: the
        stored arguments, plus :attr:`legacy_init_args` for those an older record lacks."""
        accepted = inspect.signature(cls.__init__).parameters
        open_ = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())  # e.g. a graph encoder's **graph_input
        legacy = {k: v for k, v in cls.legacy_init_args.items() if (open_ or k in accepted) and k not in stored}
        return {**stored, **legacy}

    def init_args(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this encoder: ``type(self)(**enc.init_args())``."""
        return dict(self.__dict__.get("_init_args", {}))

    def record_init_args(self, **values: Any) -> None:
        """Replace recorded arguments by what the encoder resolved them to (e.g. the weights' sha256)."""
        unknown = set(values) - set(self.init_args())
        if unknown and not self.__dict__.get("_init_args_open"):  # an __init__ with **kwargs takes any name
            raise PluginError(f"{type(self).__name__}: {', '.join(sorted(unknown))} is not an argument of its __init__")
        self.__dict__["_init_args"].update(values)

    @property
    def device(self) -> torch.device:
        for tensor in list(self.parameters()) + list(self.buffers()):
            return tensor.device
        return torch.device("cpu")


def _bound_arguments(owner: str, signature: inspect.Signature, self: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The call's arguments by name, defaults applied, ``**kwargs`` flattened; positional extras refused."""
    bound = signature.bind(self, *args, **kwargs)
    bound.apply_defaults()
    values: dict[str, Any] = {}
    for pname, value in list(bound.arguments.items())[1:]:
        kind = signature.parameters[pname].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            values.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                raise PluginError(f"{owner}: encoder arguments must be named, got positional {value!r}")
        else:
            values[pname] = value
    return values


def _recording(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap ``__init__`` so its outermost call records its bound arguments in ``self._init_args`` (and the
    parent's, defaults included, where the outermost passes its ``**kwargs`` on)."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def recording_init(self: _ConfiguredModule, *args: Any, **kwargs: Any) -> None:
        first = "_init_args" not in self.__dict__
        if first or self.__dict__.get("_init_args_open"):
            values = _bound_arguments(type(self).__name__, signature, self, args, kwargs)
            if first:
                object.__setattr__(self, "_init_args", values)
            else:  # reached through the caller's **kwargs: the parent's defaults are arguments too
                for key, value in values.items():
                    self.__dict__["_init_args"].setdefault(key, value)
            open_ = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
            object.__setattr__(self, "_init_args_open", open_)
        init(self, *args, **kwargs)

    return recording_init


class CoreEncoder(_ConfiguredModule):
    """Encodes cores (``ase.Atoms``) into fixed-size vectors.

    Subclasses implement :meth:`featurize` (one core → a CPU object, deterministic, cacheable),
    :meth:`collate` (a list of those → a batch) and :meth:`forward` (a batch → ``[B, embedding_dim]``).
    """

    #: size of the vector :meth:`forward` returns; set in ``__init__``.
    embedding_dim: int

    def featurize(self, core: Atoms) -> Any:
        """Turn one core into the encoder's input (e.g. a PyG ``Data`` graph)."""
        raise NotImplementedError

    def collate(self, items: Sequence[Any]) -> Any:
        """Batch featurised cores; the default uses PyG's ``Batch.from_data_list``."""
        from torch_geometric.data import Batch

        return Batch.from_data_list(list(items))

    def forward(self, batch: Any) -> Tensor:
        """Embed a batch. Shapes: returns ``[num_cores, embedding_dim]``."""
        raise NotImplementedError

    def to_device(self, batch: Any, device: torch.device) -> Any:
        """Move a collated batch to ``device``."""
        return batch.to(device) if hasattr(batch, "to") else batch

    @torch.no_grad()
    def encode(self, cores: Sequence[Atoms], batch_size: int = 64, device: str | torch.device | None = None) -> Tensor:
        """Embed cores in evaluation mode, ``batch_size`` at a time. Returns ``[len(cores), embedding_dim]`` on the CPU."""
        device = torch.device(device) if device is not None else self.device
        was_training = self.training
        self.eval()
        try:
            out = []
            for start in range(0, len(cores), batch_size):
                items = [self.featurize(c) for c in cores[start : start + batch_size]]
                out.append(self(self.to_device(self.collate(items), device)).float().cpu())
            return torch.cat(out) if out else torch.zeros(0, self.embedding_dim)
        finally:
            self.train(was_training)


class LigandEncoder(_ConfiguredModule):
    """Encodes ligand sets: per-ligand embeddings (:meth:`embed_ligands`) pooled over each set.

    Because a set's embedding is pooled from its members' embeddings, per-ligand embeddings can be
    cached once and any combination of them pooled later (:meth:`pool`), which is what screening does.
    Pooling is permutation-invariant and accepts optional stoichiometric weights.
    """

    embedding_dim: int

    def embed_ligands(self, smiles: Sequence[str]) -> Tensor:
        """Embed canonical SMILES. Shapes: returns ``[len(smiles), embedding_dim]`` on this module's device."""
        raise NotImplementedError

    def pool(self, ligand_embeddings: Tensor, set_index: Tensor, weights: Tensor | None, num_sets: int) -> Tensor:
        """Pool member embeddings into set embeddings.

        Args:
            ligand_embeddings: ``[M, D]``, one row per (set, member) pair.
            set_index: ``[M]``, which set each row belongs to.
            weights: ``[M]`` stoichiometric weights, normalised per set, or None for uniform.
            num_sets: ``S``. Returns ``[S, D]``.
        """
        raise NotImplementedError

    def forward(self, ligand_sets: Sequence[LigandSet]) -> Tensor:
        """Embed ligand sets. Shapes: returns ``[len(ligand_sets), embedding_dim]``."""
        unique = sorted({smi for ls in ligand_sets for smi in ls.smiles})
        per_ligand = self.embed_ligands(unique)
        return self.pool_sets(per_ligand, unique, ligand_sets)

    def pool_sets(self, per_ligand: Tensor, smiles: Sequence[str], ligand_sets: Sequence[LigandSet]) -> Tensor:
        """Pool cached per-ligand embeddings (rows aligned with ``smiles``) into embeddings of ``ligand_sets``."""
        row = {smi: i for i, smi in enumerate(smiles)}
        members, set_index, weights = [], [], []
        for s, ls in enumerate(ligand_sets):
            for smi, w in zip(ls.smiles, ls.weights):
                members.append(row[smi])
                set_index.append(s)
                weights.append(w)
        device = per_ligand.device
        gathered = per_ligand[torch.tensor(members, dtype=torch.long, device=device)]
        has_ratios = any(ls.ratios is not None for ls in ligand_sets)
        weight_tensor = torch.tensor(weights, dtype=per_ligand.dtype, device=device) if has_ratios else None
        return self.pool(gathered, torch.tensor(set_index, dtype=torch.long, device=device), weight_tensor, len(ligand_sets))

    @torch.no_grad()
    def encode(self, ligand_sets: Sequence[LigandSet]) -> Tensor:
        """Embed ligand sets in evaluation mode; returns a CPU tensor."""
        was_training = self.training
        self.eval()
        try:
            return self(ligand_sets).float().cpu()
        finally:
            self.train(was_training)
