"""Crystallographic disorder in CIF files, resolved as crystallographers read it.

A CIF may hold partially occupied sites: mixed occupancy (Au 0.7 / Ag 0.3 on one site), alternative
positions (disorder groups, or partial sites a fraction of an ångström apart) and sites of occupancy
0. Read naively every site becomes a full atom (a half-Ag Au25 turned into AgAu25 with overlapping
atoms). Here occupancy-0 sites are dropped, each disorder assembly keeps its highest-occupancy group,
and of partial sites closer than :data:`ALTERNATIVE_DISTANCE` only the most occupied one stays. The
reader says what it did in one note line.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io.cif import CIFBlock, parse_cif

from colim.notes import note

#: partial sites closer than this (Å) are alternatives of one atom.
ALTERNATIVE_DISTANCE = 1.0


def _floats(values, default: float) -> np.ndarray:
    out = []
    for v in values:
        try:
            out.append(float(str(v).split("(")[0]))
        except ValueError:  # '?' or '.'
            out.append(default)
    return np.array(out, dtype=float)


def _site_keys(block: CIFBlock) -> list[str]:
    labels = block.get("_atom_site_label") or block.get("_atom_site_type_symbol") or []
    n = len(labels)
    return [k for k in block if k.startswith("_atom_site_") and not k.startswith("_atom_site_aniso") and isinstance(block[k], list) and len(block[k]) == n]


def resolve_block(block: CIFBlock) -> tuple[CIFBlock, list[str]]:
    """A copy of ``block`` keeping one ordered structure, and what was removed (empty when nothing was)."""
    occ_raw = block.get("_atom_site_occupancy")
    if occ_raw is None:
        return block, []
    occ = _floats(occ_raw, 1.0)
    keep = occ > 0
    done = []
    zero = int((~keep).sum())
    if zero:
        done.append(f"{zero} site(s) of occupancy 0 dropped")
    groups = block.get("_atom_site_disorder_group")
    if groups is not None:
        assemblies = block.get("_atom_site_disorder_assembly") or ["."] * len(groups)
        members: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, (asm, grp) in enumerate(zip(assemblies, groups)):
            if keep[i] and str(grp) not in (".", "?", "0"):
                members[str(asm)][str(grp)].append(i)
        for asm, by_group in members.items():
            if len(by_group) < 2:
                continue
            best = max(by_group, key=lambda g: (float(np.mean(occ[by_group[g]])), -_group_order(g)))
            dropped = [i for g, idx in by_group.items() if g != best for i in idx]
            keep[dropped] = False
            done.append(f"disorder {'assembly ' + asm + ' ' if asm not in ('.', '?') else ''}kept group {best} "
                        f"(occupancy {np.mean(occ[by_group[best]]):.2f}), {len(dropped)} site(s) of the other group(s) dropped")
    frac = block._raw_scaled_positions()
    cart = frac @ block.get_cell().array if frac is not None and block.get_cell().rank == 3 else block._raw_positions()
    partial = [i for i in np.nonzero(keep & (occ < 1))[0]]
    if cart is not None and partial:
        alternatives, winners = 0, set()
        for i in sorted(partial, key=lambda i: (-occ[i], i)):
            if not keep[i]:
                continue
            near = [j for j in partial if j != i and keep[j] and np.linalg.norm(cart[i] - cart[j]) < ALTERNATIVE_DISTANCE]
            for j in near:
                keep[j] = False
                alternatives += 1
            if near:
                winners.add(i)
        if alternatives:
            done.append(f"{alternatives} alternative partial site(s) dropped for a more occupied one at the same place")
        left = sum(1 for i in partial if keep[i] and i not in winners)
        if left:
            done.append(f"{left} partially occupied site(s) without an alternative kept as full atoms")
    if not done:
        return block, []
    tags = dict(block._tags)
    for key in _site_keys(block):
        tags[key] = [v for v, k in zip(block[key], keep) if k]
    tags.pop("_atom_site_occupancy", None)
    return CIFBlock(block.name, tags), done


def _group_order(group: str) -> float:
    try:
        return abs(float(group))
    except ValueError:
        return 0.0


def read_cif_ordered(path: Path, index: int | str) -> Atoms | list[Atoms]:
    """The structure(s) of a CIF with disorder resolved; one note line per block that needed it."""
    with open(path, "rb") as fh:
        blocks = [b for b in parse_cif(fh) if b.get("_atom_site_fract_x") is not None or b.get("_atom_site_cartn_x") is not None]
    if not blocks:
        raise ValueError("no atom sites in the file")
    frames = []
    for block in blocks:
        ordered, done = resolve_block(block)
        if done:
            note(f"{path}: partial occupancies resolved ({'; '.join(done)})")
        frames.append(ordered.get_atoms(fractional_occupancies=False))
    return frames if index == ":" else frames[index]
