"""Reading pretraining sets: gas-phase clusters with energies → non-periodic Atoms with ``e_form``/``gap``.

A pretraining set is an (optionally gzipped) extended-XYZ file, one cluster per frame. Each frame
either already carries ``e_form`` (formation energy per atom, eV/atom; sets written by
``colim pretrain-data generate`` do, together with ``e_form_reference``) or a total energy (``energy``
in the frame's info or calculator, eV) from which E_form is computed against per-element reference
energies:

    E_form = (E_total - sum_i mu[element_i]) / n_atoms

The default references (:data:`DFT_REFERENCES`) are for the VASP-PBE ML-Au set
(``shared/data/pretrain/ml_au_dft.extxyz.gz``), which has no isolated-atom energy: mu_Au is the
least-squares chemical potential over all 38,276 frames (minimises sum (E_total - n mu)^2), so
E_form is the energy per atom relative to that fitted Au chemical potential. See docs/pretraining.md.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
from ase import Atoms
from ase.io.extxyz import key_val_str_to_dict

from colim.choices import resolve_choice
from colim.errors import ColimError

#: targets a pretraining frame can carry; ``load_pretraining_set(target=...)`` requires one of them.
TARGETS: tuple[str, ...] = ("e_form", "gap")

#: least-squares Au chemical potential of the ML-Au VASP-PBE set (eV/atom), fitted over all 38,276 frames.
ML_AU_MU_AU = -2.2406731864252447

#: name of the default reference (recorded in every frame as ``info['e_form_reference']``).
DFT_REFERENCE_NAME = "ml-au-vasp-pbe-lsq"

#: per-element reference energies (eV/atom) used for frames that hold only a total energy.
DFT_REFERENCES: dict[str, float] = {"Au": ML_AU_MU_AU}

#: info keys accepted as the total energy of a frame, in order of preference.
ENERGY_KEYS: tuple[str, ...] = ("energy", "total_energy", "E", "free_energy")


class PretrainDataError(ColimError):
    """A pretraining set is missing, unreadable, or lacks the requested target."""


def _open_text(path: Path):
    """Open ``path`` for reading as text, transparently un-gzipping ``.gz`` files."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt")
    return open(path, "r")


def _total_energy(atoms: Atoms) -> float | None:
    """Total energy of a frame from its header (ASE writes a calculator's energy there as ``energy``), else None."""
    for key in ENERGY_KEYS:
        if key in atoms.info:
            return float(atoms.info[key])
    return None


def formation_energy(atoms: Atoms, energy: float, references: Mapping[str, float]) -> float:
    """E_form per atom (eV/atom) of a cluster with total ``energy`` against per-element ``references``."""
    symbols = atoms.get_chemical_symbols()
    missing = sorted(set(symbols) - set(references))
    if missing:
        raise PretrainDataError(
            f"no reference energy for element(s) {', '.join(missing)}; pass references={{element: eV/atom}} "
            f"(known: {', '.join(sorted(references))})"
        )
    return (energy - sum(references[s] for s in symbols)) / len(atoms)


def _frame_id(atoms: Atoms, stem: str, index: int) -> str:
    """A stable id for a frame: its own ``id``/``source_id`` or ``<file stem>/<index>``."""
    for key in ("id", "source_id"):
        if key in atoms.info:
            return str(atoms.info[key])
    return f"{stem}/{index}"


def _clean(atoms: Atoms) -> Atoms:
    """A non-periodic copy holding only symbols and positions (the calculator is dropped)."""
    out = Atoms(symbols=atoms.get_chemical_symbols(), positions=atoms.get_positions(), pbc=False)
    return out


def _columns(properties: str, src: Path) -> tuple[int, int]:
    """Column indices of the species and the first position column from an extXYZ ``Properties`` string."""
    fields = properties.split(":")
    col, species, pos = 0, None, None
    for name, _kind, width in zip(fields[0::3], fields[1::3], fields[2::3]):
        if name == "species":
            species = col
        elif name in ("pos", "positions"):
            pos = col
        col += int(width)
    if species is None or pos is None:
        raise PretrainDataError(f"{src}: extended-XYZ Properties lack species or pos ({properties})")
    return species, pos


def _raw_frames(handle, src: Path) -> Iterator[Atoms]:
    """Stream raw frames of an extended-XYZ file (symbols, positions, header key=values as info).

    A minimal parser instead of ASE's, which needs ~10 ms per frame (minutes for 38k clusters).
    """
    index = 0
    while True:
        count_line = handle.readline()
        if not count_line:
            return
        if not count_line.strip():
            continue
        try:
            n_atoms = int(count_line.split()[0])
            header = handle.readline()
            info = key_val_str_to_dict(header.strip()) if header.strip() else {}
            species, pos = _columns(str(info.pop("Properties", "species:S:1:pos:R:3")), src)
            symbols, positions = [], []
            for _ in range(n_atoms):
                parts = handle.readline().split()
                symbols.append(parts[species])
                positions.append((float(parts[pos]), float(parts[pos + 1]), float(parts[pos + 2])))
            info.pop("pbc", None)
            info.pop("Lattice", None)
            atoms = Atoms(symbols=symbols, positions=np.array(positions).reshape(-1, 3), pbc=False)
        except (ValueError, KeyError, IndexError) as exc:
            raise PretrainDataError(f"{src}: frame {index} is not valid extended XYZ ({exc})") from exc
        atoms.info.update(info)
        yield atoms
        index += 1


def iter_pretraining_set(
    path: str | os.PathLike,
    target: str = "e_form",
    references: Mapping[str, float] | None = None,
) -> Iterator[Atoms]:
    """Yield the frames of a pretraining set one by one (see :func:`load_pretraining_set`)."""
    target = resolve_choice(target, TARGETS, "pretraining target")
    refs = DFT_REFERENCES if references is None else dict(references)
    ref_name = DFT_REFERENCE_NAME if references is None else "user"
    src = Path(path)
    if not src.is_file():
        raise PretrainDataError(f"{src}: no such pretraining set")
    stem = src.name.split(".")[0]
    try:
        with _open_text(src) as handle:
            for index, atoms in enumerate(_raw_frames(handle, src)):
                yield _convert(atoms, target, refs, ref_name, stem, index, src)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise PretrainDataError(f"{src}: cannot read ({exc})") from exc


def _convert(
    atoms: Atoms, target: str, refs: Mapping[str, float], ref_name: str, stem: str, index: int, src: Path
) -> Atoms:
    """Turn one raw frame into a clean Atoms with ``id``, ``e_form``/``gap`` and provenance in info."""
    out = _clean(atoms)
    info = atoms.info
    out.info.update({k: v for k, v in info.items() if isinstance(v, (str, int, float, np.number)) and k != "pbc"})
    out.info["id"] = _frame_id(atoms, stem, index)
    energy = _total_energy(atoms)
    if energy is not None:
        out.info["energy"] = energy
    if "e_form" in info:
        out.info["e_form"] = float(info["e_form"])
        out.info["e_form_reference"] = str(info.get("e_form_reference", "file"))
    elif energy is not None and (target == "e_form" or set(out.get_chemical_symbols()) <= set(refs)):
        out.info["e_form"] = formation_energy(out, energy, refs)
        out.info["e_form_reference"] = ref_name
    if "gap" in info and np.isfinite(float(info["gap"])):
        out.info["gap"] = float(info["gap"])
    if target not in out.info:
        what = "an energy or e_form" if target == "e_form" else "a gap"
        raise PretrainDataError(f"{src}: frame {index} ({out.info['id']}) lacks {what} (target '{target}')")
    return out


def load_pretraining_set(
    path: str | os.PathLike,
    target: str = "e_form",
    limit: int | None = None,
    references: Mapping[str, float] | None = None,
) -> list[Atoms]:
    """Read a pretraining set into non-periodic Atoms with ``info['id']``, ``info[target]`` and ``gap`` if known.

    Args:
        path: extended-XYZ file, optionally gzipped (``.gz``).
        target: ``e_form`` or ``gap``; every frame must provide it, else :class:`PretrainDataError`.
        limit: read only the first ``limit`` frames.
        references: per-element reference energies (eV/atom) for frames holding only a total energy;
            defaults to :data:`DFT_REFERENCES` (ML-Au VASP-PBE fitted mu_Au).
    """
    if limit is not None and limit < 0:
        raise PretrainDataError(f"limit must be >= 0, got {limit}")
    out: list[Atoms] = []
    if limit == 0:
        return out
    for atoms in iter_pretraining_set(path, target=target, references=references):
        out.append(atoms)
        if limit is not None and len(out) >= limit:
            break
    return out
