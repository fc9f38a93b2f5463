"""Time `colim dataset build` on all shared structures, against reading the same files alone (the peer).

Usage: python benchmarks/dataset_build.py [STRUCTURES_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from colim.dataset.builder import build, collect_inputs
from colim.dataset.records import save_dataset
from colim.errors import ColimError
from colim.io.structure_readers import read_structure

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "tests" / "data" / "structures"


def main() -> None:
    files = collect_inputs([ROOT])
    start = time.perf_counter()
    for path in files:
        try:
            read_structure(path)
        except ColimError:
            pass
    read_s = time.perf_counter() - start
    for placeholder in (False, True):
        start = time.perf_counter()
        ds, report = build([ROOT], seed=0, anchor_placeholder=placeholder)
        with tempfile.TemporaryDirectory() as tmp:
            save_dataset(ds, Path(tmp) / "d.h5")
        total = time.perf_counter() - start
        pos = sum(p.label for p in ds.pairs)
        print(
            f"build (anchor_placeholder={placeholder}): {len(files)} files, {report.structures} structures -> "
            f"{len(ds.cores)} cores, {len(ds.pairs)} pairs ({pos} pos) in {total:.2f} s "
            f"({report.structures / total:.1f} structures/s); reading alone {read_s:.2f} s"
        )


if __name__ == "__main__":
    main()
