"""Example colim plugins (the two tutorials of docs/plugins.md).

- ``coulomb-eigen``: a fixed core encoder, the sorted eigenvalues of the core's Coulomb matrix
  (Rupp et al., PRL 2012), padded or truncated to ``size``. Invariant to rotation, translation and
  atom order by construction; needs no training.
- ``breathe``: an edit operator that scales one shell of atoms (atoms at about the same distance from
  the core's centre) radially by a factor, e.g. ``breathe:1.05`` expands a shell by 5 %.

This module imports only colim's public API, as any third-party plugin should.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from ase import Atoms
from torch import Tensor
from torch_geometric.data import Data

from colim import Registrar, hookimpl
from colim.editing import EditError, EditOperator, EditSite
from colim.encoders import CoreEncoder
from colim.errors import PluginError


def coulomb_matrix(core: Atoms) -> np.ndarray:
    """The Coulomb matrix: ``0.5 Z_i^2.4`` on the diagonal, ``Z_i Z_j / r_ij`` (r in Å) off it."""
    z = core.numbers.astype(np.float64)
    pos = core.get_positions()
    dist = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=-1)
    np.fill_diagonal(dist, 1.0)
    matrix = np.outer(z, z) / dist
    np.fill_diagonal(matrix, 0.5 * z**2.4)
    return matrix


def coulomb_eigenvalues(core: Atoms, size: int, log_scale: bool = True) -> np.ndarray:
    """Eigenvalues of the Coulomb matrix, largest first, zero-padded or truncated to ``size`` (float32).

    With ``log_scale`` the values are ``sign(x) log(1 + |x|)``: a gold atom's diagonal term is
    about 2e4, so raw eigenvalues would swamp a network's first layer.
    """
    values = np.sort(np.linalg.eigvalsh(coulomb_matrix(core)))[::-1][:size]
    if log_scale:
        values = np.sign(values) * np.log1p(np.abs(values))
    out = np.zeros(size, dtype=np.float32)
    out[: len(values)] = values
    return out


class CoulombEigenEncoder(CoreEncoder):
    """Sorted Coulomb-matrix eigenvalues of the core, padded/truncated to ``size`` (fixed, not trained)."""

    name = "coulomb-eigen"
    version = "1"
    trainable = False

    def __init__(self, size: int = 64, log_scale: bool = True):
        super().__init__()
        if size < 1:
            raise PluginError(f"coulomb-eigen: size must be at least 1, got {size}")
        self.size = size
        self.log_scale = log_scale
        self.embedding_dim = size

    def featurize(self, core: Atoms) -> Data:
        """A one-node PyG ``Data`` whose ``coulomb`` attribute is the ``[1, size]`` eigenvalue vector."""
        vector = torch.from_numpy(coulomb_eigenvalues(core, self.size, self.log_scale))
        return Data(coulomb=vector.unsqueeze(0), num_nodes=1)

    def forward(self, batch: Any) -> Tensor:
        """Shapes: ``batch.coulomb`` is already ``[num_cores, size]``; returned as is."""
        return batch.coulomb


def radial_shells(core: Atoms, tolerance: float) -> list[tuple[int, ...]]:
    """Atoms grouped by distance from the core's centroid: a new shell starts at a radial gap > ``tolerance`` Å.

    Atoms at the centre itself (radius < ``tolerance``) belong to no shell: scaling them does nothing.
    """
    radii = np.linalg.norm(core.get_positions() - core.get_positions().mean(axis=0), axis=1)
    order = np.argsort(radii, kind="stable")
    shells: list[list[int]] = []
    previous = None
    for i in order:
        if radii[i] < tolerance:
            continue
        if previous is None or radii[i] - previous > tolerance:
            shells.append([])
        shells[-1].append(int(i))
        previous = radii[i]
    return [tuple(sorted(shell)) for shell in shells]


class BreatheOperator(EditOperator):
    """Scale one radial shell of atoms about the core's centroid by a factor (``breathe:1.05``)."""

    name = "breathe"
    version = "1"
    takes_arguments = True
    needs_arguments = True
    arguments_are_elements = False   # a scale factor, not element symbols: checked in __init__
    #: atoms whose distances from the centroid differ by at most this (Å) share a shell.
    shell_tolerance = 0.3

    def __init__(self, arguments: Sequence[str] = ("1.05",)):
        args = tuple(arguments)
        if len(args) != 1:
            raise EditError(f"breathe needs exactly one argument, the scale factor (e.g. breathe:1.05), got {len(args)}")
        try:
            factor = float(args[0])
        except ValueError:
            factor = float("nan")
        if not (0.5 <= factor <= 2.0):
            raise EditError(f"breathe: the scale factor must be a number between 0.5 and 2, got '{args[0]}'")
        super().__init__(args)
        self.factor = factor

    def sites(self, core: Atoms) -> list[EditSite]:
        """One site per radial shell, innermost first, labelled ``shell1*1.05``, ``shell2*1.05``, ...

        The factor is part of the label so that the edited cores' ids (built from operator name and
        site) differ between ``breathe:0.97`` and ``breathe:1.05``.
        """
        shells = radial_shells(core, self.shell_tolerance)
        return [EditSite(indices=shell, label=f"shell{k}*{self.arguments[0]}") for k, shell in enumerate(shells, start=1)]

    def apply(self, core: Atoms, site: EditSite) -> Atoms:
        """A copy of ``core`` whose ``site.indices`` atoms moved radially by ``factor`` about the centroid,
        with provenance (parent, operator, site) stamped by :meth:`EditOperator.child`."""
        edited = core.copy()
        positions = edited.get_positions()
        centre = core.get_positions().mean(axis=0)
        index = list(site.indices)
        positions[index] = centre + self.factor * (positions[index] - centre)
        edited.set_positions(positions)
        return self.child(core, edited, site)


@hookimpl
def colim_register_core_encoders(register: Registrar[CoreEncoder]) -> None:
    register.add(CoulombEigenEncoder)


@hookimpl
def colim_register_edit_operators(register: Registrar[EditOperator]) -> None:
    register.add(BreatheOperator)
