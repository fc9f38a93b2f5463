"""The ``fingerprint`` ligand encoder: Morgan count fingerprints + RDKit descriptors → a small MLP.

Needs no download. Features are computed once per SMILES (cached); the projection is trainable.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np
import torch
from rdkit import Chem
from rdkit.Chem import Descriptors, rdFingerprintGenerator
from torch import Tensor

from colim import Registrar, hookimpl
from colim.encoders import LigandEncoder
from colim.encoders.projected import ProjectedLigandEncoder
from colim.errors import LigandError

#: RDKit descriptors appended to the fingerprint (scaled by log1p of their magnitude).
DESCRIPTORS = (
    "MolWt", "HeavyAtomCount", "NumHDonors", "NumHAcceptors", "NumRotatableBonds", "RingCount",
    "NumAromaticRings", "FractionCSP3", "TPSA", "MolLogP", "NumValenceElectrons", "NumRadicalElectrons",
)


@functools.lru_cache(maxsize=65536)
def ligand_features(smiles: str, radius: int = 2, n_bits: int = 1024) -> np.ndarray:
    """``log1p`` Morgan counts (``n_bits``) followed by signed-``log1p`` RDKit descriptors, float32."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise LigandError(f"invalid SMILES '{smiles}'")
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    counts = generator.GetCountFingerprintAsNumPy(mol).astype(np.float32)
    desc = np.array([getattr(Descriptors, d)(mol) for d in DESCRIPTORS], dtype=np.float32)
    desc = np.sign(desc) * np.log1p(np.abs(desc))
    return np.concatenate([np.log1p(counts), desc])


class FingerprintLigandEncoder(ProjectedLigandEncoder):
    """Morgan counts + descriptors → Linear → Softplus → Linear (``embedding_dim``), pooled per set."""

    name = "fingerprint"

    def __init__(self, embedding_dim: int = 128, radius: int = 2, n_bits: int = 1024, pooling: str = "mean"):
        super().__init__()
        self.radius = radius
        self.n_bits = n_bits
        self.init_projection(n_bits + len(DESCRIPTORS), embedding_dim, pooling)

    def featurize(self, smiles: Sequence[str]) -> Tensor:
        """Raw features ``[len(smiles), n_bits + n_descriptors]`` (no gradient)."""
        rows = [ligand_features(s, self.radius, self.n_bits) for s in smiles]
        return torch.from_numpy(np.stack(rows)) if rows else torch.zeros(0, self.n_bits + len(DESCRIPTORS))


@hookimpl
def colim_register_ligand_encoders(register: Registrar[LigandEncoder]) -> None:
    register.add(FingerprintLigandEncoder)
