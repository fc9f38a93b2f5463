"""Does the core change the answer? Screen ASE icosahedra of Cu, Ag and Au (55 atoms) against every set of the
shipped ligand library with a model (default: the shipped one) and print the Spearman rank correlation of
their scores over all sets, and the ligand families that move up on one metal against another.

    python benchmarks/metal_dependence.py [--model libraries/models/default] [--out-dir DIR]

Uses only colim.api (build_core_library, screen), as a user would; the top-k is every set.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from ase.cluster import Icosahedron
from scipy.stats import spearmanr

from colim import api
from colim.defaults import DEFAULT_LIGAND_LIBRARY, shipped
from colim.libraries.ligand_library import load_ligand_library
from colim.structures.families import ligand_family


def scores(model: str | None, folder: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    """Ensemble-mean probability of every shipped set on Cu55, Ag55 and Au55 (ASE icosahedra, 3 shells)."""
    cores = []
    for element in ("Cu", "Ag", "Au"):
        core = Icosahedron(element, 3)
        core.info["id"] = f"{element}55"
        cores.append(core)
    library = folder / "icosahedra.h5"
    api.build_core_library(cores, library, model=model, overwrite=True)
    n_sets = len(load_ligand_library(shipped(DEFAULT_LIGAND_LIBRARY)).sets)
    hits = api.screen(library, None, model, top_k=n_sets).hits
    keys = sorted(set(hits["ligand_set"]))
    out = {}
    for core_id, group in hits.groupby("core_id"):
        by_set = dict(zip(group["ligand_set"], group["probability"]))
        out[core_id.replace("55", "")] = np.array([by_set[k] for k in keys])
    return out, keys


def family_shift(keys: list[str], up: np.ndarray, down: np.ndarray) -> list[tuple[str, int, float]]:
    """Mean rank gain of each family combination on ``up`` against ``down`` (positive: ranks higher on ``up``)."""
    rank_up, rank_down = np.argsort(np.argsort(-up)), np.argsort(np.argsort(-down))
    shift: dict[str, list[int]] = {}
    for key, a, b in zip(keys, rank_up, rank_down):
        families = "+".join(sorted({ligand_family(s) for s in key.split(" ")[0].split(".")}))
        shift.setdefault(families, []).append(int(b - a))
    return sorted(((f, len(v), float(np.mean(v))) for f, v in shift.items()), key=lambda t: -t[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model or ensemble (default: the shipped one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        probs, keys = scores(args.model, Path(tmp))
    print(f"{len(keys)} sets of the shipped ligand library; Spearman over all sets:")
    for a, b in (("Cu", "Au"), ("Cu", "Ag"), ("Ag", "Au")):
        print(f"  {a}55 vs {b}55: {spearmanr(probs[a], probs[b])[0]:.3f}")
    for element in ("Cu", "Ag", "Au"):
        top = np.argsort(-probs[element])[:5]
        print(f"{element}55 top 5: " + "; ".join(f"{keys[i]} {probs[element][i]:.3f}" for i in top))
    shifts = family_shift(keys, probs["Cu"], probs["Au"])
    single = [s for s in shifts if "+" not in s[0]]
    print("single-family sets, mean rank gain on Cu55 against Au55 (sets, positions of 2,926):")
    for family, n, gain in single:
        print(f"  {family:16s} {n:4d} {gain:+8.1f}")


if __name__ == "__main__":
    main()
