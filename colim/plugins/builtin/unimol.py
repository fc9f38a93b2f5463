"""The ``unimol`` ligand encoder: Uni-Mol v1 512-d molecule (CLS) embeddings pooled over the ligand set.

This is CoLiM's ligand encoder. Weights are never downloaded: they come from ``weights_path=``, from
colim's verified weights cache (``colim weights import PATH``), or from unimol-tools'
``UNIMOL_WEIGHT_DIR``, in that order. Without weights the encoder refuses to run, unless
``random_init=True`` asks for an untrained, trainable Uni-Mol (labelled as such everywhere).

Pretrained weights are frozen: embeddings are computed once per SMILES and cached, and the Uni-Mol
tensors stay out of ``state_dict()`` (checkpoints record the weights' sha256 instead, and refuse
other weights when rebuilt). A random init is an ordinary trainable submodule.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import Tensor, nn

from colim import Registrar, hookimpl
from colim.encoders import LigandEncoder
from colim.encoders.projected import PooledLigandEncoder
from colim.errors import WeightsError
from colim.ext import unimol as ext
from colim.ext.weights import DEFAULT_NAME, DICTIONARY_NAMES, resolve_weights
from colim.hashing import file_sha256
from colim.structures.core import is_metal

#: label of an untrained model in init args, metadata and messages.
RANDOM_INIT = "random-init (untrained)"
WEIGHTS_NOT_FOUND = (
    "Uni-Mol weights not found: run `colim weights import PATH` or set UNIMOL_WEIGHT_DIR "
    "(or pass weights_path=..., or random_init=True for an untrained Uni-Mol)"
)


class _Frozen:
    """Holds a module outside the parent's registered children (kept out of ``state_dict``)."""

    def __init__(self, module: nn.Module):
        self.module = module


def _dictionary_beside(weights: Path) -> Path | None:
    for name in DICTIONARY_NAMES:
        if (weights.parent / name).is_file():
            return weights.parent / name
    return None


def find_weights(weights_path: str | os.PathLike | None, dict_path: str | os.PathLike | None,
                 remove_hs: bool = False) -> tuple[Path, Path | None, str, str]:
    """Locate Uni-Mol weights: ``(weights, dictionary, sha256, source)``; raises :class:`WeightsError` if none."""
    if weights_path is not None:
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise WeightsError(f"Uni-Mol weights {path} do not exist")
        dictionary = Path(dict_path) if dict_path is not None else _dictionary_beside(path)
        return path, dictionary, file_sha256(path), "weights_path"
    cache_name = DEFAULT_NAME + ("_no_h" if remove_hs else "")
    cached = resolve_weights(cache_name)
    if cached is not None:
        return cached.path, Path(dict_path) if dict_path else cached.dictionary, cached.sha256, f"colim weights cache ({cache_name})"
    env_dir = os.environ.get(ext.UNIMOL_WEIGHT_DIR_ENV)
    if env_dir:
        path = Path(env_dir).expanduser() / ext.WEIGHT_FILES[remove_hs]
        if path.is_file():
            dictionary = Path(dict_path) if dict_path else Path(env_dir).expanduser() / ext.DICTIONARY_FILE
            return path, dictionary if dictionary.is_file() else None, file_sha256(path), ext.UNIMOL_WEIGHT_DIR_ENV
    raise WeightsError(WEIGHTS_NOT_FOUND)


class UniMolLigandEncoder(PooledLigandEncoder):
    """Uni-Mol v1 512-d embeddings (needs weights: `colim weights import`; random_init=True gives an UNTRAINED Uni-Mol), pooled per set.

    Args:
        weights_path: a Uni-Mol molecule checkpoint; by default the weights cache, then UNIMOL_WEIGHT_DIR.
        dict_path: its token dictionary (default: ``dict.txt``/``mol.dict.txt`` beside the weights, or
            the one imported with them; Uni-Mol's molecule vocabulary for a random init).
        random_init: build an untrained, trainable Uni-Mol instead of loading weights.
        pooling: set pooling (mean, sum, attention).
        remove_hs: drop hydrogens (Uni-Mol's ``no_h`` model) instead of keeping them (``all_h``).
        seed: RDKit conformer seed (and the random initialisation's seed).
        weights_sha256: refuse weights with another sha256 (checkpoints set this to what they were trained on).
        batch_size: molecules per Uni-Mol forward pass.
    """

    name = "unimol"
    version = "1"
    trainable = False

    def __init__(
        self,
        weights_path: str | None = None,
        dict_path: str | None = None,
        random_init: bool = False,
        pooling: str = "mean",
        remove_hs: bool = False,
        seed: int = 42,
        weights_sha256: str | None = None,
        batch_size: int = 16,
    ):
        if random_init and (weights_path is not None or weights_sha256 is not None):
            raise WeightsError("unimol: random_init=True cannot be combined with weights_path or weights_sha256")
        self.random_init = bool(random_init)
        self.remove_hs = bool(remove_hs)
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        if self.random_init:
            source, path, sha = RANDOM_INIT, None, None
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                model = ext.build_model(None, dict_path, self.remove_hs)
        else:
            path, dictionary, sha, source = find_weights(weights_path, dict_path, self.remove_hs)
            if weights_sha256 is not None and sha != weights_sha256:
                raise WeightsError(
                    f"unimol: the Uni-Mol weights found ({source}: {path}) have sha256 {sha[:12]}, but this model was built with {weights_sha256[:12]}"
                )
            model = ext.build_model(path, dictionary, self.remove_hs)
        super().__init__()
        self.record_init_args(
            weights_path=None if weights_path is None else str(weights_path),
            dict_path=None if dict_path is None else str(dict_path),
            random_init=self.random_init, remove_hs=self.remove_hs, seed=self.seed, weights_sha256=sha, batch_size=self.batch_size,
        )
        self.weights_source = source
        self.weights_file = str(path) if path is not None else None
        self.embedding_dim = ext.EMBEDDING_DIM
        self.dictionary = model.dictionary
        self.padding_idx = model.padding_idx
        if self.random_init:
            self.trainable = True
            self.backbone = model
            self._frozen = None
        else:
            for parameter in model.parameters():
                parameter.requires_grad_(False)
            self._frozen = _Frozen(model)
        self.init_pooling(pooling, self.embedding_dim)
        self._features: dict[str, dict] = {}
        self._cache: dict[str, Tensor] = {}

    @property
    def model(self) -> nn.Module:
        """The Uni-Mol network (frozen pretrained or trainable random init)."""
        return self._frozen.module if self._frozen is not None else self.backbone

    def metadata(self) -> dict[str, Any]:
        """Where the weights came from: ``random-init (untrained)`` or the file, its sha256 and source."""
        return {"weights": self.weights_source if self.random_init else self.weights_file,
                "weights_sha256": self._init_args["weights_sha256"], "source": self.weights_source,
                "random_init": self.random_init, "frozen": not self.random_init}

    def extra_repr(self) -> str:
        return f"weights={RANDOM_INIT if self.random_init else self.weights_file}"

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        if self._frozen is not None:
            self._frozen.module._apply(fn, recurse)
        return self

    def train(self, mode: bool = True):
        super().train(mode)
        if self._frozen is not None:
            self._frozen.module.eval()
        return self

    def featurize(self, smiles: str) -> dict:
        """Uni-Mol inputs of one ligand (cached); refuses metal atoms and elements outside the vocabulary."""
        if smiles not in self._features:
            ext.check_vocabulary(smiles, self.dictionary, is_metal)
            self._features[smiles] = ext.featurize(smiles, self.dictionary, self.seed, self.remove_hs)
        return self._features[smiles]

    def _forward_batches(self, smiles: Sequence[str]) -> Tensor:
        features = [self.featurize(s) for s in smiles]
        order = sorted(range(len(smiles)), key=lambda i: len(features[i]["src_tokens"]))
        out: list[Tensor | None] = [None] * len(smiles)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            rows = ext.cls_embeddings(self.model, ext.collate([features[i] for i in chunk], self.padding_idx))
            for i, row in zip(chunk, rows):
                out[i] = row
        return torch.stack(out) if out else torch.zeros(0, self.embedding_dim, device=self.device)

    def embed_ligands(self, smiles: Sequence[str]) -> Tensor:
        if self.random_init:
            return self._forward_batches(smiles)
        missing = [s for s in dict.fromkeys(smiles) if s not in self._cache]
        if missing:
            with torch.no_grad():
                for s, row in zip(missing, self._forward_batches(missing)):
                    self._cache[s] = row.detach().cpu()
        if not smiles:
            return torch.zeros(0, self.embedding_dim, device=self.device)
        return torch.stack([self._cache[s] for s in smiles]).to(self.device)


@hookimpl
def colim_register_ligand_encoders(register: Registrar[LigandEncoder]) -> None:
    register.add(UniMolLigandEncoder)
