"""What ``core_effect`` (each hit's probability minus its set's mean on the Cu/Ag/Au icosahedron panel) costs a
screen, measured on the shipped libraries with the shipped 3-member ensemble, in the same run as the screen.

Run: ``python benchmarks/core_effect_cost.py [--repeat 3] [--top-k 10,100]``.

Cases: the shipped core library (169 cores) against the shipped ligand library (2,926 sets of 1–2 kinds), and
against every set of 1–3 of the 76 shipped ligands (73,226 sets, a combinatorial library built here with the
ensemble's own ligand encoders). The panel's time is measured inside the screen (embedding the 6 panel cores
by each member once, then scoring each distinct hit set against them once), beside the whole screen's wall
time; each the best of ``--repeat`` runs (the dev box is shared: the load average is printed). The panel's
embedding happens once per core encoder and process: its cold cost is printed on its own.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from colim.defaults import DEFAULT_CORE_LIBRARY, DEFAULT_LIGAND_LIBRARY, DEFAULT_LIGAND_LIST, shipped  # noqa: E402
from colim.libraries.ligand_library import build_combinatorial_library, read_ligand_file  # noqa: E402
from colim.libraries.ligand_sets import SetRule  # noqa: E402
from colim.model.members import load_model  # noqa: E402
from colim.screening import core_effect  # noqa: E402
from colim.screening.screen import ScreenOptions, screen  # noqa: E402

SCREEN_MODULE = sys.modules["colim.screening.screen"]


class TimedPanel(core_effect.CorePanel):
    """The screen's panel, timing its embedding and its scoring, and counting the sets it scores."""

    seconds = 0.0
    scored = 0

    def __init__(self, *args, **kwargs):
        start = time.perf_counter()
        super().__init__(*args, **kwargs)
        TimedPanel.seconds += time.perf_counter() - start

    def set_means(self, set_rows):
        start = time.perf_counter()
        TimedPanel.scored += len({int(r) for r in set_rows} - self._cache.keys())
        out = super().set_means(set_rows)
        TimedPanel.seconds += time.perf_counter() - start
        return out


def run(core_lib, ligand_lib, named, top_k: int, repeat: int) -> dict:
    """Best-of-``repeat`` wall time of the screen and, separately, of its panel part (other jobs only add time)."""
    SCREEN_MODULE.CorePanel = TimedPanel
    walls, panels = [], []
    for _ in range(repeat):
        TimedPanel.seconds, TimedPanel.scored = 0.0, 0
        start = time.perf_counter()
        result = screen(core_lib, ligand_lib, named, options=ScreenOptions(top_k=top_k))
        walls.append(time.perf_counter() - start)
        panels.append(TimedPanel.seconds)
    return {"wall": min(walls), "panel": min(panels), "scored": TimedPanel.scored, "hits": len(result.hits),
            "pairs": result.summary["pairs"], "members": result.summary["members"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top-k", default="10,100")
    args = parser.parse_args()
    named = load_model(None)
    panel_cores = len(core_effect.panel_cores())
    print(f"load average {os.getloadavg()[0]:.2f}; {len(named)} members; panel of {panel_cores} cores ({', '.join(core_effect.panel_ids())})")
    start = time.perf_counter()
    for member in named:
        core_effect.panel_embeddings(member.model.core_encoder)
    print(f"embedding the panel by the {len(named)} members' core encoders (once per process): {time.perf_counter() - start:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        combo = Path(tmp) / "sets1-3.h5"
        build_combinatorial_library(combo, read_ligand_file(shipped(DEFAULT_LIGAND_LIST)), [m.model.ligand_encoder for m in named], SetRule(1, 3))
        print("| ligand library | sets | top-k | pairs | hit rows | distinct hit sets scored on the panel | panel pairs | screen (s) | panel (s) | panel share |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, lib in (("shipped ligands.h5 (1–2 kinds)", shipped(DEFAULT_LIGAND_LIBRARY)), ("every set of 1–3 of the 76 (combinatorial)", combo)):
            for top_k in (int(k) for k in args.top_k.split(",")):
                r = run(shipped(DEFAULT_CORE_LIBRARY), lib, named, top_k, args.repeat)
                sets = r["pairs"] // 169
                print(f"| {label} | {sets:,} | {top_k} | {r['pairs']:,} | {r['hits']:,} | {r['scored']:,} | {r['scored'] * panel_cores * r['members']:,} "
                      f"| {r['wall']:.2f} | {r['panel']:.3f} | {r['panel'] / r['wall']:.1%} |")


if __name__ == "__main__":
    main()
