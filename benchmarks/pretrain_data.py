"""Pretraining-data speed: cluster generation (1 vs 2 workers) and the reader (colim's vs ASE's extXYZ parser).

Usage: python benchmarks/pretrain_data.py [--n 100] [--sizes 4-100] [--xtb 0]
Prints clusters/s for the EMT generator with 1 and 2 worker processes on the same recipe (the files
must be identical), optionally the GFN1-xTB backend on --xtb small clusters, and frames/s for reading
the shipped ML-Au subset with colim's reader and with ase.io.read (the peer).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import ase.io

from colim.pretrain_data import load_pretraining_set
from colim.pretrain_data.clusters import ClusterRecipe
from colim.pretrain_data.generator import generate, parse_sizes

SUBSET = Path(__file__).parents[1] / "tests" / "data" / "pretrain" / "ml_au_dft_subset.extxyz.gz"


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def time_generate(n: int, recipe: ClusterRecipe, workers: int, folder: Path) -> tuple[float, float, Path]:
    """Wall and CPU seconds to generate ``n`` clusters with ``workers`` processes, and the file written."""
    out = folder / f"w{workers}-{recipe.backend}.extxyz"
    cpu, start = _cpu_seconds(), time.perf_counter()
    generate(out, n, recipe, workers=workers)
    return time.perf_counter() - start, _cpu_seconds() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="clusters per generator run")
    parser.add_argument("--sizes", default="4-100")
    parser.add_argument("--elements", default="Ag,Cu,Au,Pd,Pt")
    parser.add_argument("--xtb", type=int, default=0, help="also time the xtb backend on this many 4-20 atom clusters")
    args = parser.parse_args()
    low, high = parse_sizes(args.sizes)
    recipe = ClusterRecipe(elements=tuple(args.elements.split(",")), min_size=low, max_size=high, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {}
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        for workers in (1, 2):
            seconds, cpu, out = time_generate(args.n, recipe, workers, folder)
            results[workers] = (seconds, out)
            print(f"generate emt  n={args.n} sizes={args.sizes} workers={workers}: {seconds:.1f} s wall, "
                  f"{args.n / seconds:.2f} clusters/s, {cpu / args.n:.3f} CPU-s/cluster")
        same = results[1][1].read_bytes() == results[2][1].read_bytes()
        print(f"speed-up 2 vs 1 workers: {results[1][0] / results[2][0]:.2f}x; identical files: {same}")
        if args.xtb:
            small = ClusterRecipe(elements=recipe.elements, min_size=4, max_size=20, seed=0, backend="xtb")
            seconds, _, out = time_generate(args.xtb, small, 1, folder)
            gaps = sum("gap" in a.info for a in load_pretraining_set(out))
            print(f"generate xtb  n={args.xtb} sizes=4-20 workers=1: {seconds:.1f} s, {args.xtb / seconds:.3f} clusters/s, "
                  f"{gaps}/{args.xtb} with a gap")
    start = time.perf_counter()
    frames = load_pretraining_set(SUBSET)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    peer = ase.io.read(SUBSET, index=":", format="extxyz")
    theirs = time.perf_counter() - start
    assert len(frames) == len(peer)
    print(f"read {len(frames)} ML-Au frames: colim {ours:.2f} s ({len(frames) / ours:.0f} frames/s), "
          f"ase.io.read {theirs:.2f} s ({len(peer) / theirs:.0f} frames/s), {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
