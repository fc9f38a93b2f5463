"""Adapter to unimol-tools: the only colim module that imports ``unimol_tools``.

It builds the Uni-Mol v1 molecule model (15-layer transformer, 512-d CLS representation) from explicit
files, never through unimol-tools' hub download, turns SMILES into Uni-Mol inputs (RDKit 3D conformer
with a fixed seed) and returns CLS embeddings.

``unimol_tools`` is imported lazily on first use (it is heavy and optional). Importing it creates a
``logs/`` folder in the current working directory, so the import runs with the working directory
switched, under a lock, to colim's cache folder and restored afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import logging
import os
import pickle
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from rdkit import Chem
from torch import Tensor, nn

from colim.errors import LigandError, WeightsError

#: environment variable of colim's cache folder (Uni-Mol's import-time logs go under it).
CACHE_DIR_ENV = "COLIM_CACHE_DIR"
DEFAULT_CACHE_DIR = Path("~/.cache/colim")
#: unimol-tools' own weights folder variable.
UNIMOL_WEIGHT_DIR_ENV = "UNIMOL_WEIGHT_DIR"
#: file names unimol-tools uses for the molecule model (``all_h`` keeps hydrogens, ``no_h`` drops them).
WEIGHT_FILES = {False: "mol_pre_all_h_220816.pt", True: "mol_pre_no_h_220816.pt"}
DICTIONARY_FILE = "mol.dict.txt"
#: Uni-Mol's molecule vocabulary (``mol.dict.txt``), used for a random initialisation without files.
MOLECULE_VOCABULARY = (
    "[PAD]", "[CLS]", "[SEP]", "[UNK]", "C", "N", "O", "S", "H", "Cl", "F", "Br", "I", "Si", "P", "B",
    "Na", "K", "Al", "Ca", "Sn", "As", "Hg", "Fe", "Zn", "Cr", "Se", "Gd", "Au", "Li",
)
#: size of the CLS representation.
EMBEDDING_DIM = 512
#: pretraining heads in Uni-Mol checkpoints that the representation model does not use.
_PRETRAINING_PREFIXES = ("lm_head.", "pair2coord_proj.", "dist_head.", "classification_heads.")

_IMPORT_LOCK = threading.Lock()
_MODULES: SimpleNamespace | None = None


def cache_dir() -> Path:
    """colim's cache folder (``$COLIM_CACHE_DIR`` or ``~/.cache/colim``)."""
    raw = os.environ.get(CACHE_DIR_ENV)
    return (Path(raw) if raw else DEFAULT_CACHE_DIR).expanduser()


def unimol_log_dir() -> Path:
    """Where unimol-tools' import-time ``logs/`` folder goes instead of the user's working directory."""
    return cache_dir() / "unimol"


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    path.mkdir(parents=True, exist_ok=True)
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def unimol_modules() -> SimpleNamespace:
    """Import unimol-tools once (thread-safe), with the working directory moved to :func:`unimol_log_dir`."""
    global _MODULES
    if _MODULES is not None:
        return _MODULES
    with _IMPORT_LOCK:
        if _MODULES is None:
            try:
                with _working_directory(unimol_log_dir()):
                    import unimol_tools  # noqa: F401 - creates logs/ in the cwd at import
                    from unimol_tools.data import Dictionary
                    from unimol_tools.data.conformer import coords2unimol, inner_smi2coords
                    from unimol_tools.models.unimol import UniMolModel
                    from unimol_tools.utils import pad_1d_tokens, pad_2d, pad_coords
            except ImportError as exc:
                raise WeightsError(f"the unimol ligand encoder needs unimol-tools, which failed to import: {exc}") from exc
            logging.getLogger("Uni-Mol Tools").setLevel(logging.WARNING)

            class _ExplicitUniMolModel(UniMolModel):
                """UniMolModel that never downloads or auto-loads weights; colim loads them strictly."""

                def load_pretrained_weights(self, path, strict=False):  # noqa: D401 - overrides the download path
                    return None

            _MODULES = SimpleNamespace(
                Dictionary=Dictionary, coords2unimol=coords2unimol, inner_smi2coords=inner_smi2coords,
                Model=_ExplicitUniMolModel, pad_1d_tokens=pad_1d_tokens, pad_2d=pad_2d, pad_coords=pad_coords,
            )
    return _MODULES


def _read_state_dict(path: Path) -> dict[str, Tensor]:
    """Read a Uni-Mol checkpoint with ``weights_only`` (argparse.Namespace allowed: Uni-Core stores its args)."""
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Unsupported global" not in str(exc):
            raise WeightsError(f"cannot read Uni-Mol weights {path}: not a torch checkpoint, or corrupt") from exc
        raise WeightsError(f"cannot load {path} safely: it pickles objects other than tensors; save its 'model' state_dict alone with torch.save") from exc
    except Exception as exc:  # noqa: BLE001 - torch raises many types on corrupt files
        raise WeightsError(f"cannot read Uni-Mol weights {path}: not a torch checkpoint, or corrupt") from exc
    for key in ("model", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise WeightsError(f"{path} holds no Uni-Mol state_dict")
    return state


def build_model(weights: str | os.PathLike | None, dictionary_path: str | os.PathLike | None, remove_hs: bool = False) -> nn.Module:
    """The Uni-Mol v1 molecule model, randomly initialised (``weights`` None) or loaded strictly from ``weights``.

    Every backbone tensor must be present in the file with the right shape; Uni-Mol's pretraining heads
    are ignored. The model is returned in eval mode on the CPU.
    """
    mods = unimol_modules()
    dictionary = str(dictionary_path) if dictionary_path is not None else io.StringIO("\n".join(MOLECULE_VOCABULARY))
    marker = str(weights) if weights is not None else "random-init"
    try:
        model = mods.Model(output_dim=1, data_type="molecule", remove_hs=remove_hs,
                           pretrained_model_path=marker, pretrained_dict_path=dictionary)
    except (OSError, ValueError) as exc:
        raise WeightsError(f"cannot read Uni-Mol dictionary {dictionary_path}: {exc}") from exc
    if weights is not None:
        state = {k: v for k, v in _read_state_dict(Path(weights)).items() if not k.startswith(_PRETRAINING_PREFIXES)}
        expected = model.state_dict()
        missing = sorted(k for k in expected if k not in state and not k.startswith("classification_head."))
        if missing:
            raise WeightsError(f"{weights} is not a Uni-Mol v1 molecule model: {len(missing)} tensors missing (e.g. {missing[0]})")
        for key, value in state.items():
            if key in expected and expected[key].shape != value.shape:
                raise WeightsError(
                    f"{weights} does not fit the dictionary: {key} has shape {tuple(value.shape)}, expected {tuple(expected[key].shape)}"
                )
        model.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=False)
    return model.eval()


def _symbols(smiles: str) -> list[str]:
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise LigandError(f"invalid SMILES '{smiles}'")
    return [atom.GetSymbol() for atom in mol.GetAtoms()]


def check_vocabulary(smiles: str, dictionary: Any, is_metal) -> None:
    """Refuse a ligand with a metal atom or an element missing from Uni-Mol's vocabulary, naming it."""
    for symbol in dict.fromkeys(_symbols(smiles)):
        if symbol not in dictionary:
            raise LigandError(
                f"ligand '{smiles}' contains {symbol}, which is not in Uni-Mol's vocabulary; "
                "ligand SMILES must not carry metal atoms (the core holds them)"
            )
        if is_metal(symbol):
            raise LigandError(f"ligand '{smiles}' contains the metal {symbol}; ligand SMILES must not carry metal atoms (the core holds them)")


@functools.lru_cache(maxsize=65536)
def _conformer(smiles: str, seed: int, remove_hs: bool) -> tuple[tuple[str, ...], np.ndarray]:
    mods = unimol_modules()
    with contextlib.redirect_stdout(io.StringIO()):
        atoms, coordinates, _ = mods.inner_smi2coords(smiles, seed=seed, mode="fast", remove_hs=remove_hs)
    coordinates = np.asarray(coordinates, dtype=np.float32)
    coordinates.setflags(write=False)
    return tuple(atoms), coordinates


def featurize(smiles: str, dictionary: Any, seed: int = 42, remove_hs: bool = False, max_atoms: int = 256) -> dict[str, np.ndarray]:
    """Uni-Mol inputs of one molecule: tokens, distances, coordinates and edge types of an RDKit 3D conformer.

    The conformer comes from ETKDG with ``seed`` then MMFF (unimol-tools' recipe); molecules above
    ``max_atoms`` atoms are cropped with a generator seeded by ``seed``, so features are deterministic.
    """
    atoms, coordinates = _conformer(smiles, seed, remove_hs)
    if len(atoms) > max_atoms:
        keep = np.sort(np.random.default_rng(seed).choice(len(atoms), max_atoms, replace=False))
        atoms, coordinates = tuple(atoms[i] for i in keep), coordinates[keep]
    return unimol_modules().coords2unimol(list(atoms), coordinates, dictionary, max_atoms, remove_hs=remove_hs)


def collate(features: Sequence[dict[str, np.ndarray]], padding_idx: int) -> dict[str, Tensor]:
    """Pad a list of :func:`featurize` outputs into one batch of tensors."""
    mods = unimol_modules()
    return {
        "src_tokens": mods.pad_1d_tokens([torch.as_tensor(f["src_tokens"]).long() for f in features], pad_idx=padding_idx),
        "src_distance": mods.pad_2d([torch.as_tensor(f["src_distance"]).float() for f in features], pad_idx=0.0),
        "src_coord": mods.pad_coords([torch.as_tensor(f["src_coord"]).float() for f in features], pad_idx=0.0),
        "src_edge_type": mods.pad_2d([torch.as_tensor(f["src_edge_type"]).long() for f in features], pad_idx=padding_idx),
    }


def cls_embeddings(model: nn.Module, batch: dict[str, Tensor]) -> Tensor:
    """CLS representations of a collated batch. Shapes: returns ``[B, 512]``."""
    device = next(model.parameters()).device
    return model(**{k: v.to(device) for k, v in batch.items()}, return_repr=True)
