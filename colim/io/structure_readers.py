"""Reading structures into ``ase.Atoms``: cores and whole clusters from every format in :data:`FORMATS`
(XYZ/extXYZ, CIF, PDB, GRO, ASE trajectories, VASP POSCAR, XSF, Gaussian cube, mol2, SDF/MOL).

Every failure is a :class:`StructureError` with one line naming the file and the problem. Finite
clusters stored in a periodic box (CIF from Materials Studio, GROMACS boxes) are unwrapped into
non-periodic Atoms; truly extended structures (crystals, slabs) are refused.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from dataclasses import dataclass
from typing import Callable

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from ase.io import read as ase_read

from colim.errors import StructureError
from colim.io.file_table import FileTable
from colim.io.cif_disorder import read_cif_ordered
from colim.io.gro import read_gro

BOND_TOLERANCE = 1.2  # bonded if d < tolerance * (r_cov,i + r_cov,j)


def _rdkit_atoms(mol) -> Atoms:
    """The atoms of an RDKit molecule's first conformer."""
    return Atoms(symbols=[atom.GetSymbol() for atom in mol.GetAtoms()], positions=mol.GetConformer().GetPositions())


def _read_mol2(path: Path, index: int | str = 0) -> Atoms:
    from rdkit import Chem

    mol = Chem.MolFromMol2File(str(path), sanitize=False, removeHs=False)
    if mol is None or mol.GetNumConformers() == 0:
        raise StructureError(
            f"{path}: RDKit cannot read this mol2 file (Open Babel's aromatic carboxylates are a known cause; "
            "convert it to XYZ or CIF)"
        )
    return _rdkit_atoms(mol)


def _read_sdf(path: Path, index: int | str = ":") -> Atoms | list[Atoms]:
    """Record ``index`` (``":"``: every record) of an SDF/MOL file, read through RDKit without sanitising (metal bonds)."""
    from rdkit import Chem

    frames = []
    for i, mol in enumerate(Chem.SDMolSupplier(str(path), sanitize=False, removeHs=False)):
        if mol is None or mol.GetNumConformers() == 0:
            raise StructureError(f"{path}: RDKit cannot read record {i + 1} of this SDF/MOL file")
        frames.append(_rdkit_atoms(mol))
    return frames if index == ":" else frames[index]


@dataclass(frozen=True)
class StructureReader:
    """One structure format: ``name`` (the ASE format name when ASE reads it; errors say it) and, for
    formats colim reads itself, ``read(path, index)`` returning one Atoms or (index ``":"``) a list."""

    name: str
    read: Callable[[Path, int | str], Atoms | list[Atoms]] | None = None


#: the structure readers: file suffix (or exact name) -> its reader. One row per format; ``colim inspect``,
#: ``colim.read_cores`` and every reader use it.
FORMATS: FileTable[StructureReader] = FileTable("structure format", StructureError)
FORMATS.add((".xyz", ".extxyz"), StructureReader("extxyz"))
FORMATS.add(".cif", StructureReader("cif", read_cif_ordered))
FORMATS.add(".pdb", StructureReader("proteindatabank"))
FORMATS.add(".gro", StructureReader("gromacs", read_gro))
FORMATS.add(".traj", StructureReader("traj"))
FORMATS.add((".vasp", ".poscar", "POSCAR", "CONTCAR"), StructureReader("vasp"))
FORMATS.add(".xsf", StructureReader("xsf"))
FORMATS.add(".cube", StructureReader("cube"))
FORMATS.add(".mol2", StructureReader("mol2", _read_mol2))
FORMATS.add((".sdf", ".mol"), StructureReader("sdf", _read_sdf))


def _read_bare_xyz(path: Path) -> Atoms | None:
    """Read an XYZ file without the count and comment lines (``El x y z`` rows only), else None."""
    rows = [line.split() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    if not rows or rows[0][0].isdigit() or any(len(r) != 4 for r in rows):
        return None
    try:
        positions = [[float(x) for x in r[1:]] for r in rows]
    except ValueError:
        return None
    return Atoms(symbols=[r[0] for r in rows], positions=positions)


def _xyz_count_problem(path: Path) -> str | None:
    """Say which XYZ frame's atom-count line disagrees with its atom rows (ASE's own message does not), else None."""
    lines = path.read_text(errors="replace").splitlines()
    start, frame = 0, 1
    while start < len(lines) and lines[start].strip():
        head = lines[start].split()
        if len(head) != 1 or not head[0].isdigit():
            return None
        rows = 0
        for line in lines[start + 2:]:
            fields = line.split()
            if len(fields) < 4 or fields[0].lstrip("-").replace(".", "", 1).isdigit():
                break
            rows += 1
        if rows != int(head[0]):
            return f"frame {frame} says {head[0]} atoms on its first line but {rows} atom lines follow"
        start, frame = start + 2 + rows, frame + 1
    return None


def _guess_format(path: Path, fmt: str | None) -> StructureReader:
    """The reader of ``path``: by its suffix, or ASE's reader of format ``fmt`` when one is named."""
    return StructureReader(fmt) if fmt is not None else FORMATS.lookup(path)


def bonded_pairs(atoms: Atoms, tolerance: float = BOND_TOLERANCE, mic: bool = False) -> np.ndarray:
    """Index pairs ``(i, j), i < j`` closer than ``tolerance`` times the sum of covalent radii."""
    n = len(atoms)
    if n < 2:
        return np.zeros((0, 2), dtype=int)
    radii = covalent_radii[atoms.numbers]
    dist = atoms.get_all_distances(mic=mic)
    cutoff = tolerance * (radii[:, None] + radii[None, :])
    i, j = np.nonzero(np.triu(dist < cutoff, k=1))
    return np.stack([i, j], axis=1)


def _unwrap_finite(atoms: Atoms, path: Path) -> Atoms:
    """Make a cluster stored in a periodic box whole and non-periodic, or refuse an extended structure."""
    cell = atoms.cell
    if cell.rank < 3 or not atoms.pbc.any():
        out = atoms.copy()
        out.pbc = False
        out.cell = None
        return out
    frac = atoms.get_scaled_positions(wrap=False)
    n = len(atoms)
    radii = covalent_radii[atoms.numbers]
    # Bonds under the minimum-image convention, with the lattice shift each one crosses.
    delta = frac[None, :, :] - frac[:, None, :]
    shift = -np.round(delta)
    cart = (delta + shift) @ cell.array
    dist = np.linalg.norm(cart, axis=-1)
    bonded = dist < BOND_TOLERANCE * (radii[:, None] + radii[None, :])
    np.fill_diagonal(bonded, False)
    unwrapped = frac.copy()
    seen = np.zeros(n, dtype=bool)
    for start in range(n):
        if seen[start]:
            continue
        seen[start] = True
        stack = [start]
        while stack:
            i = stack.pop()
            for j in np.nonzero(bonded[i])[0]:
                target = unwrapped[i] + delta[i, j] + shift[i, j]
                if not seen[j]:
                    seen[j] = True
                    unwrapped[j] = target
                    stack.append(j)
                elif np.abs(unwrapped[j] - target).max() > 1e-3:
                    raise StructureError(f"{path}: the structure is periodic (bonds run across the cell); colim needs a finite cluster")
    out = Atoms(numbers=atoms.numbers, positions=unwrapped @ cell.array, pbc=False)
    # Fragments (e.g. separate ligands) are brought next to the largest fragment's centre.
    return out


def validate_atoms(atoms: Atoms, source: str, min_distance: float = 0.5) -> Atoms:
    """Check coordinates are finite, elements known and no two atoms overlap; return ``atoms``."""
    if len(atoms) == 0:
        raise StructureError(f"{source}: no atoms")
    positions = atoms.get_positions()
    if not np.isfinite(positions).all():
        raise StructureError(f"{source}: coordinates contain NaN or infinity")
    if (atoms.numbers <= 0).any():
        raise StructureError(f"{source}: unknown element (atomic number 0)")
    if len(atoms) > 1:
        dist = atoms.get_all_distances()
        np.fill_diagonal(dist, np.inf)
        i, j = np.unravel_index(np.argmin(dist), dist.shape)
        if dist[i, j] < min_distance:
            raise StructureError(
                f"{source}: atoms {min(i, j)} and {max(i, j)} overlap ({dist[i, j]:.2f} Å apart, minimum {min_distance} Å)"
            )
    return atoms


def _read_raw(path: Path, index: int | str, fmt: str | None) -> Atoms | list[Atoms]:
    """Frame ``index`` (or ``":"`` for all) of ``path``, every failure turned into one StructureError line."""
    if not path.is_file():
        raise StructureError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise StructureError(f"{path}: empty file")
    reader = _guess_format(path, fmt)
    ase_format = reader.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if reader.read is not None:
                return reader.read(path, index)
            bare = _read_bare_xyz(path) if ase_format == "extxyz" and path.suffix.lower() != ".gz" else None
            if bare is not None:
                return bare
            return ase_read(path, index=index, format=ase_format)
    except StructureError:
        raise
    except KeyError as exc:
        raise StructureError(f"{path}: unknown element {exc}") from None
    except Exception as exc:  # noqa: BLE001 - every reader failure becomes one clear line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if ase_format == "extxyz" and path.suffix.lower() != ".gz":
            message = _xyz_count_problem(path) or message
        raise StructureError(f"{path}: cannot read as {ase_format}: {message}") from None


def _finish(atoms: Atoms, path: Path, default_id: str) -> Atoms:
    """Unwrap, validate and label one frame read from ``path``."""
    # extXYZ parses numeric-looking values (``site=24``, ``depth=1``) as numpy scalars: keep them as Python ones.
    info = {k: v.item() if isinstance(v, np.generic) else v for k, v in atoms.info.items()}
    info = {k: v for k, v in info.items() if isinstance(v, (str, int, float))}
    atoms = _unwrap_finite(atoms, path)
    validate_atoms(atoms, f"{path} ({default_id})" if default_id != path.stem else str(path))
    atoms.info = info
    atoms.info.setdefault("id", default_id)
    atoms.info["source"] = str(path)
    return atoms


def read_structure(path: str | os.PathLike, index: int = 0, fmt: str | None = None) -> Atoms:
    """Read one structure (frame ``index``) from ``path`` as non-periodic, validated ``ase.Atoms``.

    The structure's id (``atoms.info['id']``) defaults to the file's stem.
    """
    path = Path(path)
    atoms = _read_raw(path, index, fmt)
    if not isinstance(atoms, Atoms):
        raise StructureError(f"{path}: not a single structure")
    return _finish(atoms, path, path.stem)


def read_frames(path: str | os.PathLike, fmt: str | None = None) -> list[Atoms]:
    """Every frame of a (multi-frame) structure file; ids default to ``<stem>#<frame>`` (the stem for one frame)."""
    path = Path(path)
    frames = _read_raw(path, ":", fmt)
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    if not frames:
        raise StructureError(f"{path}: no structures")
    if len(frames) == 1:
        return [_finish(frames[0], path, path.stem)]
    return [_finish(atoms, path, f"{path.stem}#{i}") for i, atoms in enumerate(frames)]


def read_structures(paths: list[str | os.PathLike]) -> list[Atoms]:
    """Read several structure files (one frame each)."""
    return [read_structure(p) for p in paths]


def element_symbol_ok(symbol: str) -> bool:
    """True if ``symbol`` is a chemical element ASE knows."""
    return symbol in atomic_numbers and atomic_numbers[symbol] > 0
