"""Benchmark: enumerate every symmetry-unique single edit of the Au144 core, and compare the
symmetry-based deduplication with the brute-force pairwise RMSD peer on the Au25 core.

Run: ``python benchmarks/edit_enumeration.py`` (prints one line per measurement).
"""

from __future__ import annotations

import time
from pathlib import Path

from colim.editing.bruteforce import brute_force_edits
from colim.editing.enumerate import enumerate_edits
from colim.editing.spec import parse_operator, parse_operators
from colim.io.edited_cores import load_core
from colim.plugins.manager import load_plugins

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "structures"
AU144 = DATA / "nanomodeler_au_sr" / "au144SR60_NM.pdb"
AU25 = DATA / "au_sch3_dft" / "au25_opt.xyz"
OPS = "remove,substitute:Ag+Cu,add:Au"


def timed_enumeration(core, ops: str, tol: float):
    start, cpu = time.perf_counter(), time.process_time()
    result = enumerate_edits(core, parse_operators(ops), tol=tol)
    return (time.perf_counter() - start, time.process_time() - cpu), result


def report(label: str, seconds: tuple[float, float], result) -> None:
    parts = [f"{s.operator}: {s.candidates} sites, {s.classes} classes, {s.unique} unique, {sum(s.rejected.values())} rejected" for s in result.stats]
    print(f"{label}: {seconds[0]:.2f} s wall, {seconds[1]:.2f} s CPU, {len(result.cores)} unique cores ({'; '.join(parts)})")


def main() -> None:
    load_plugins()
    au144 = load_core(AU144, core_only=True)
    for tol in (0.1, 0.4):
        seconds, result = timed_enumeration(au144, OPS, tol)
        report(f"Au144 {OPS} tol={tol}", seconds, result)
    au25 = load_core(AU25, core_only=True)
    seconds, result = timed_enumeration(au25, OPS, 0.2)
    report(f"Au25 {OPS} tol=0.2 symmetry", seconds, result)
    start, cpu = time.perf_counter(), time.process_time()
    brute = sum(len(brute_force_edits(au25, parse_operator(spec), 0.2)[0]) for spec in OPS.split(",") if spec)
    print(f"Au25 {OPS} tol=0.2 brute-force RMSD peer: {time.perf_counter() - start:.2f} s wall, "
          f"{time.process_time() - cpu:.2f} s CPU, {brute} unique cores")


if __name__ == "__main__":
    main()
