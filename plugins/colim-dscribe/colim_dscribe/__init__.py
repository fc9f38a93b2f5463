"""colim-dscribe: fixed DScribe descriptors (SOAP, ACSF, MBTR) as colim core encoders.

These are the descriptor baselines of the CoLiM paper's Table 1 (descriptor + XGBoost). Each encoder
turns a core into one fixed vector: SOAP and ACSF averaged over atoms, MBTR global. They have no
trainable weights (``trainable = False``); ``forward`` returns the featurised vectors unchanged.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import torch
from ase import Atoms
from torch import Tensor

from colim import Registrar, hookimpl
from colim.encoders import CoreEncoder
from colim.errors import StructureError

__version__ = "0.1.0"

# dscribe 2.1.2 calls Atoms.get_calculator(), which ase 3.26 deprecates; the warning is not the user's to act on.
warnings.filterwarnings("ignore", message="Please use atoms.calc", category=FutureWarning)

#: elements every descriptor covers by default: coinage and neighbouring metals (Cd, Hg: the NC_Database dopants) plus common core/ligand anchors.
DEFAULT_SPECIES: tuple[str, ...] = ("Au", "Ag", "Cu", "Pd", "Pt", "Cd", "Hg", "S", "Cl", "Br", "I", "Se", "O", "H", "C", "P", "N")


class DescriptorEncoder(CoreEncoder):
    """Base of the DScribe encoders: ``featurize`` computes a float32 vector, ``forward`` passes it through."""

    trainable = False
    version = "1"

    def __init__(self, species: Sequence[str] = DEFAULT_SPECIES, **options: Any):
        species = [str(s) for s in species]
        super().__init__()
        self.record_init_args(species=species)
        self.species = species
        self.descriptor = self._build(species, **options)
        self.embedding_dim = int(self.descriptor.get_number_of_features())

    def _build(self, species: list[str], **options: Any) -> Any:
        raise NotImplementedError

    def _create(self, core: Atoms) -> np.ndarray:
        return self.descriptor.create(core)

    def featurize(self, core: Atoms) -> Tensor:
        """The descriptor of one core, ``[embedding_dim]`` float32."""
        unknown = sorted(set(core.get_chemical_symbols()) - set(self.species))
        if unknown:
            raise StructureError(
                f"core {core.info.get('id', core.get_chemical_formula())} has element(s) {', '.join(unknown)} "
                f"that the {self.name} descriptor does not cover; pass species=[...] including them"
            )
        bare = Atoms(numbers=core.numbers, positions=core.positions)
        vector = np.asarray(self._create(bare), dtype=np.float32).reshape(-1)
        return torch.from_numpy(vector)

    def collate(self, items: Sequence[Tensor]) -> Tensor:
        return torch.stack(list(items)) if items else torch.zeros(0, self.embedding_dim)

    def forward(self, batch: Tensor) -> Tensor:
        """Shapes: ``[B, embedding_dim]`` in, the same out."""
        return batch


class SOAPEncoder(DescriptorEncoder):
    """SOAP power spectrum averaged over atoms ("inner" average), non-periodic."""

    name = "soap"

    def __init__(self, species: Sequence[str] = DEFAULT_SPECIES, r_cut: float = 5.0, n_max: int = 4, l_max: int = 3, sigma: float = 0.5):
        super().__init__(species, r_cut=r_cut, n_max=n_max, l_max=l_max, sigma=sigma)

    def _build(self, species: list[str], **o: Any) -> Any:
        from dscribe.descriptors import SOAP

        return SOAP(species=species, r_cut=o["r_cut"], n_max=o["n_max"], l_max=o["l_max"], sigma=o["sigma"],
                    average="inner", periodic=False, dtype="float32")


class ACSFEncoder(DescriptorEncoder):
    """Behler–Parrinello symmetry functions (G2 radial, G4 angular) averaged over atoms."""

    name = "acsf"

    def __init__(self, species: Sequence[str] = DEFAULT_SPECIES, r_cut: float = 6.0):
        super().__init__(species, r_cut=r_cut)

    def _build(self, species: list[str], **o: Any) -> Any:
        from dscribe.descriptors import ACSF

        return ACSF(species=species, r_cut=o["r_cut"], g2_params=[[1.0, 2.5], [1.0, 3.0], [1.0, 4.0], [0.5, 5.0]],
                    g4_params=[[0.05, 1.0, 1.0], [0.05, 1.0, -1.0], [0.05, 4.0, 1.0], [0.05, 4.0, -1.0]], periodic=False)

    def _create(self, core: Atoms) -> np.ndarray:
        return self.descriptor.create(core).mean(axis=0)


class MBTREncoder(DescriptorEncoder):
    """Global many-body tensor representation: k=2 inverse distances, exponentially weighted, L2-normalised."""

    name = "mbtr"

    def __init__(self, species: Sequence[str] = DEFAULT_SPECIES, n_grid: int = 50, sigma: float = 0.02):
        super().__init__(species, n_grid=n_grid, sigma=sigma)

    def _build(self, species: list[str], **o: Any) -> Any:
        from dscribe.descriptors import MBTR

        return MBTR(species=species, geometry={"function": "inverse_distance"},
                    grid={"min": 0.0, "max": 1.0, "n": o["n_grid"], "sigma": o["sigma"]},
                    weighting={"function": "exp", "scale": 0.5, "threshold": 1e-3},
                    normalization="l2", periodic=False, dtype="float32")


@hookimpl
def colim_register_core_encoders(register: Registrar[CoreEncoder]) -> None:
    register.add(SOAPEncoder)
    register.add(ACSFEncoder)
    register.add(MBTREncoder)
