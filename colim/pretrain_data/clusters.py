"""Building one gas-phase metal cluster: a seed shape cut to size, alloyed, rattled, briefly relaxed with EMT.

Every random choice for cluster ``index`` comes from ``numpy.random.default_rng([seed, index])``, so a
cluster is the same whatever the number of workers, the chunking, or whether the run was resumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.emt import EMT
from ase.cluster import Decahedron, FaceCenteredCubic, Icosahedron
from ase.data import atomic_numbers, reference_states
from ase.optimize import FIRE

#: elements ASE's EMT potential parameterises (and so the generator supports).
EMT_ELEMENTS: tuple[str, ...] = ("Ag", "Cu", "Au", "Pd", "Pt", "Ni", "Al")

#: host elements preferred when present in the element list (the coinage metals).
COINAGE: tuple[str, ...] = ("Ag", "Cu", "Au")

#: seed shapes, drawn uniformly per cluster.
SEED_KINDS: tuple[str, ...] = ("icosahedron", "decahedron", "fcc", "random")

#: name recorded in ``info['e_form_reference']`` for EMT formation energies.
EMT_REFERENCE_NAME = "emt-isolated-atoms"


@dataclass(frozen=True)
class ClusterRecipe:
    """Parameters of the generator that fix every cluster (same recipe + index → same cluster)."""

    elements: tuple[str, ...] = ("Ag", "Cu", "Au", "Pd", "Pt")
    min_size: int = 4
    max_size: int = 100
    seed: int = 0
    alloy_probability: float = 0.5
    max_dopant_fraction: float = 0.5
    rattle: float = 0.1
    relax_steps: int = 30
    fmax: float = 0.1
    backend: str = "emt"

    def as_dict(self) -> dict:
        """Plain-data view (for the resume manifest)."""
        return {
            "elements": list(self.elements), "min_size": self.min_size, "max_size": self.max_size,
            "seed": self.seed, "alloy_probability": self.alloy_probability,
            "max_dopant_fraction": self.max_dopant_fraction, "rattle": self.rattle,
            "relax_steps": self.relax_steps, "fmax": self.fmax, "backend": self.backend,
        }


def nearest_neighbour_distance(element: str) -> float:
    """fcc nearest-neighbour distance (Å) of ``element`` from ASE's reference lattice constant."""
    return reference_states[atomic_numbers[element]]["a"] / np.sqrt(2.0)


def isolated_atom_energy(element: str) -> float:
    """EMT energy (eV) of one isolated atom of ``element`` (EMT's zero is the bulk fcc crystal)."""
    atom = Atoms(element)
    atom.calc = EMT()
    return float(atom.get_potential_energy())


def _shape_seed(kind: str, element: str, size: int, rng: np.random.Generator) -> Atoms:
    """A closed-shell-ish shape of ``kind`` with at least ``size`` atoms."""
    a = reference_states[atomic_numbers[element]]["a"]
    if kind == "icosahedron":
        shells = 1
        while 10 * shells**3 / 3 - 5 * shells**2 + 11 * shells / 3 - 1 < size:
            shells += 1
        return Icosahedron(element, shells, latticeconstant=a)
    if kind == "decahedron":
        p = 1
        while True:
            atoms = Decahedron(element, p, p, int(rng.integers(0, 2)), latticeconstant=a)
            if len(atoms) >= size:
                return atoms
            p += 1
    layers = 1
    while True:
        atoms = FaceCenteredCubic(element, [(1, 0, 0), (1, 1, 0), (1, 1, 1)], [layers, layers, layers], latticeconstant=a)
        if len(atoms) >= size:
            return atoms
        layers += 1


def _random_compact(element: str, size: int, rng: np.random.Generator) -> Atoms:
    """A random compact cluster grown atom by atom, each new atom at the best-coordinated of 12 trial sites."""
    d = nearest_neighbour_distance(element)
    positions = [np.zeros(3)]
    while len(positions) < size:
        pos = np.array(positions)
        best, best_score = None, -1
        for _ in range(12):
            anchor = pos[rng.integers(len(pos))]
            direction = rng.normal(size=3)
            trial = anchor + d * direction / np.linalg.norm(direction)
            dist = np.linalg.norm(pos - trial, axis=1)
            if dist.min() < 0.85 * d:
                continue
            score = int((dist < 1.25 * d).sum())
            if score > best_score:
                best, best_score = trial, score
        if best is not None:
            positions.append(best)
    return Atoms(element * size, positions=np.array(positions))


def _cut(atoms: Atoms, size: int, element: str, rng: np.random.Generator) -> Atoms:
    """The ``size`` atoms nearest a point jittered around the centroid (varied, compact fragments)."""
    centre = atoms.positions.mean(axis=0) + rng.normal(scale=0.3 * nearest_neighbour_distance(element), size=3)
    order = np.argsort(np.linalg.norm(atoms.positions - centre, axis=1), kind="stable")[:size]
    return Atoms(element * size, positions=atoms.positions[np.sort(order)])


def _alloy(atoms: Atoms, recipe: ClusterRecipe, host: str, rng: np.random.Generator) -> Atoms:
    """Substitute a random fraction of the atoms with one other element of the recipe (with some probability)."""
    others = [e for e in recipe.elements if e != host]
    out = atoms.copy()
    if not others or rng.random() >= recipe.alloy_probability or len(out) < 2:
        return out
    dopant = others[int(rng.integers(len(others)))]
    n_max = max(1, int(recipe.max_dopant_fraction * len(out)))
    n_dopant = int(rng.integers(1, n_max + 1))
    symbols = out.get_chemical_symbols()
    for i in rng.choice(len(out), size=n_dopant, replace=False):
        symbols[int(i)] = dopant
    out.set_chemical_symbols(symbols)
    return out


def build_seed(recipe: ClusterRecipe, index: int) -> tuple[Atoms, str]:
    """The unrelaxed, rattled cluster number ``index`` of ``recipe`` and the name of its seed shape."""
    rng = np.random.default_rng([recipe.seed, index])
    size = int(rng.integers(recipe.min_size, recipe.max_size + 1))
    kind = SEED_KINDS[int(rng.integers(len(SEED_KINDS)))]
    hosts = [e for e in recipe.elements if e in COINAGE] or list(recipe.elements)
    host = hosts[int(rng.integers(len(hosts)))]
    if kind == "random":
        atoms = _random_compact(host, size, rng)
    else:
        atoms = _cut(_shape_seed(kind, host, size, rng), size, host, rng)
    atoms = _alloy(atoms, recipe, host, rng)
    atoms.positions += rng.normal(scale=recipe.rattle, size=atoms.positions.shape)
    atoms.positions -= atoms.positions.mean(axis=0)
    atoms.pbc = False
    return atoms, kind


def emt_formation_energy(atoms: Atoms, energy: float) -> float:
    """EMT E_form per atom (eV/atom) against isolated atoms: (E - sum_i E_atom(el_i)) / n (negative = bound)."""
    atom_energies = {el: isolated_atom_energy(el) for el in set(atoms.get_chemical_symbols())}
    return (energy - sum(atom_energies[s] for s in atoms.get_chemical_symbols())) / len(atoms)


def make_cluster(recipe: ClusterRecipe, index: int) -> Atoms:
    """Cluster ``index`` of ``recipe``: seed, EMT relaxation (FIRE), energies and E_form in ``info``.

    ``info`` holds ``id`` (``s<seed>-<index>``), ``seed_kind``, ``energy_unrelaxed`` and ``energy``
    (EMT, eV), ``e_form`` (eV/atom vs isolated EMT atoms), ``e_form_reference``, ``relax_steps``
    and ``fmax`` (largest residual force, eV/Å). The input recipe is not changed.
    """
    atoms, kind = build_seed(recipe, index)
    atoms.calc = EMT()
    e0 = float(atoms.get_potential_energy())
    opt = FIRE(atoms, logfile=None)
    opt.run(fmax=recipe.fmax, steps=recipe.relax_steps)
    energy = float(atoms.get_potential_energy())
    fmax = float(np.linalg.norm(atoms.get_forces(), axis=1).max())
    out = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions - atoms.positions.mean(axis=0), pbc=False)
    out.info.update({
        "id": f"s{recipe.seed}-{index:07d}",
        "seed_kind": kind,
        "energy_unrelaxed": e0,
        "energy": energy,
        "e_form": emt_formation_energy(out, energy),
        "e_form_reference": EMT_REFERENCE_NAME,
        "relax_steps": int(opt.nsteps),
        "fmax": fmax,
    })
    return out
