"""Exact pruned top-k vs brute force, measured in one run on real ligands, the shipped cores and a shipped model.

Ligands: the MetaLig ligands seen on Cu, Ag or Au (the shipped Cu/Ag/Au copy ``libraries/metalig/ligands.csv.gz``, or
``--metalig``), most frequent first (occurrences on those metals), read in colim's convention; the first
N that the model's ligand encoder can featurise. Sets: every combination of 1–3 kinds (a combinatorial
library: 300 ligands → 4,545,100 sets, 1,000 → 166,667,500). Cores: the first ``--cores`` of the shipped
core library. Each stage runs in its own process (its peak resident memory is its own ``ru_maxrss``).

Stages: (1) 300 ligands × 20 cores, top-10: brute force (``prune=False``) and pruned in the same run,
identical hits checked (sets, order, scores to 1e-6, per-member lists), speed-up; (2) 1,000 ligands ×
100 cores, top-10, pruned (brute force projected from stage 1's pairs/s); (3) the projections for a
1.7e11-pair screen (1,000 ligands → 1.7e8 sets × 1,000 cores). Every figure says the machine's load
(``os.getloadavg``) since the box may be shared.

Run: ``python benchmarks/screen_prune.py [--model DIR] [--small 300] [--large 1000] [--small-cores 20] [--large-cores 100]``
(libraries are cached under ``--workdir``, default ``/tmp/colim-screen-prune``; features in the feature cache).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from colim import api  # noqa: E402
from colim.libraries.ligand_library import build_combinatorial_library  # noqa: E402
from colim.libraries.ligand_sets import SetRule  # noqa: E402
from colim.libraries.views import open_core_library, open_ligand_library  # noqa: E402
from colim.screening.engine import EngineOptions, ScreenEngine  # noqa: E402
from colim.screening.screen import build_members  # noqa: E402
from colim.structures.families import ligand_family  # noqa: E402
from colim.structures.ligand_files import Ligand  # noqa: E402
from colim.structures.ligands import canonical_smiles  # noqa: E402

#: the Cu/Ag/Au part of MetaLig shipped with colim (MIT; libraries/metalig/README.md).
METALIG = ROOT / "libraries" / "metalig" / "ligands.csv.gz"
_ENCODER = []


def metal_counts(metals: str) -> int:
    """Occurrences on Cu, Ag or Au in MetaLig's ``metals`` field (``Cu(1):12 Ag(1):3 ...``)."""
    return sum(int(m.group(2)) for m in re.finditer(r"(Cu|Ag|Au)\([^)]*\):(\d+)", str(metals)))


def candidates(path: Path) -> list[str]:
    """Canonical SMILES of the ligands seen on Cu/Ag/Au, most frequent first (ties by MetaLig id), deduplicated."""
    df = pd.read_csv(path, usecols=["ligand_id", "smiles", "metals"])
    df["count"] = df["metals"].map(metal_counts)
    df = df[df["count"] > 0].sort_values(["count", "ligand_id"], ascending=[False, True])
    out: dict[str, None] = {}
    for smi in df["smiles"].dropna():
        try:
            out.setdefault(canonical_smiles(smi))
        except Exception:  # noqa: BLE001 - colim cannot read it: not a candidate
            continue
    return list(out)


def _init(model: str | None) -> None:
    _ENCODER.append(api.load_model(model)[0].model.ligand_encoder.eval())


def _featurisable(smiles: str) -> bool:
    try:
        _ENCODER[0].embed_ligands([smiles])
        ligand_family(smiles)
        return True
    except Exception:  # noqa: BLE001 - any refusal means "colim cannot featurise it"
        return False


def choose_ligands(model: str | None, n: int, metalig: Path, workers: int) -> list[str]:
    """The ``n`` most frequent Cu/Ag/Au ligands the model's ligand encoder can featurise (a process pool tries them)."""
    pool = candidates(metalig)
    chosen: list[str] = []
    context = multiprocessing.get_context("spawn")  # fork after torch's threads start can deadlock the children
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(model,)) as ex:
        start = 0
        while len(chosen) < n and start < len(pool):
            chunk = pool[start : start + max(64, int(1.2 * (n - len(chosen))))]
            chosen += [s for s, ok in zip(chunk, ex.map(_featurisable, chunk)) if ok]
            start += len(chunk)
    return chosen[:n]


def ligand_library(model: str | None, n: int, workdir: Path, metalig: Path, workers: int) -> Path:
    """The combinatorial (1–3 kinds) library of the ``n`` chosen ligands, built once per model (the file name
    carries a hash of the members' checkpoints, so a retrained model never reads another model's library)."""
    members = api.load_model(model)
    digest = hashlib.sha256(b"".join(Path(m.name).read_bytes() for m in members)).hexdigest()[:12]
    tag = re.sub(r"[^A-Za-z0-9]+", "_", str(model or "shipped"))[-40:]
    path = workdir / f"metalig{n}_{tag}_{digest}.h5"
    if path.exists():
        return path
    smiles = choose_ligands(model, n, metalig, workers)
    ligands = [Ligand(s, s, ligand_family(s)) for s in smiles]
    encoders = [m.model.ligand_encoder for m in members]
    tmp = path.with_suffix(".part.h5")
    build_combinatorial_library(tmp, ligands, encoders, SetRule(1, 3), overwrite=True)
    os.replace(tmp, path)
    return path


def stage(args: argparse.Namespace) -> dict:
    """One measurement in this process: ``args.stage`` = ``brute`` or ``pruned``."""
    load = os.getloadavg()[0]
    members = api.load_model(args.model)
    cores = open_core_library(api.shipped(api.DEFAULT_CORE_LIBRARY))
    ligands = open_ligand_library(args.library)
    views = build_members(members, cores, ligands)
    n = min(args.n_cores, len(cores))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.stage == "pruned":  # numba compiles (or loads its cache) outside the clock, on a throwaway engine
        warm = ScreenEngine(views, EngineOptions(top_k=10, prune=True), "cpu")
        warm.score_task(0, 1, *warm.set_blocks()[0])
    start = time.perf_counter()  # the engine's construction (the pruning trial) counts
    engine = ScreenEngine(views, EngineOptions(top_k=10, prune=args.stage == "pruned"), "cpu")
    blocks = []
    for a, b in [(a, min(b, n)) for a, b in engine.blocks() if a < n]:
        blocks.append(engine.merge([engine.score_task(a, b, s0, s1) for s0, s1 in engine.set_blocks()]))
    seconds = time.perf_counter() - start
    cat = lambda name, axis=0: np.concatenate([getattr(x, name) for x in blocks], axis=axis)  # noqa: E731
    np.savez(args.hits, top_index=cat("top_index"), top_score=cat("top_score"), member_index=cat("member_index", 1),
             member_score=cat("member_score", 1))
    return {"stage": args.stage, "cores": n, "sets": len(views[0].sets), "seconds": seconds, "pairs": n * len(views[0].sets),
            "pairs_scored": int(sum(x.scored_pairs for x in blocks)), "fallback_tiles": int(engine.fallback_tiles),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_mb": rss0 / 1024,
            "load_before": load, "load_after": os.getloadavg()[0], "pruning": engine.pruning}


def _status(field: str) -> float:
    """A ``/proc/self/status`` memory field in MB (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith(field))


def memory_stage(args: argparse.Namespace) -> dict:
    """Peak resident memory above the loaded model of one brute-force task (``args.n_cores`` cores × the first
    set block) under ``--memory-mb args.memory_mb``: VmHWM minus VmRSS after loading and compiling."""
    members = api.load_model(args.model)
    views = build_members(members, open_core_library(api.shipped(api.DEFAULT_CORE_LIBRARY)), open_ligand_library(args.library))
    engine = ScreenEngine(views, EngineOptions(top_k=10, prune=False, memory_mb=args.memory_mb, core_block=args.n_cores), "cpu")
    engine.score_task(0, 1, 0, 10)  # compile outside the measurement
    base = _status("VmRSS")
    engine.score_task(0, min(args.n_cores, engine.num_cores), *engine.set_blocks()[0])
    return {"stage": "memory", "memory_mb": args.memory_mb, "set_block": engine.set_block, "tile": [engine.cores_per_tile, engine.sets_per_tile],
            "loaded_mb": base, "peak_mb": _status("VmHWM"), "above_loaded_mb": _status("VmHWM") - base}


def run_stage(args: argparse.Namespace, name: str, library: Path, n_cores: int, hits: Path, memory_mb: float | None = None) -> dict:
    cmd = [sys.executable, __file__, "--stage", name, "--library", str(library), "--n-cores", str(n_cores), "--hits", str(hits)]
    if memory_mb is not None:
        cmd += ["--memory-mb", str(memory_mb)]
    if args.model:
        cmd += ["--model", args.model]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def identical(a: Path, b: Path) -> bool:
    x, y = np.load(a), np.load(b)
    return bool((x["top_index"] == y["top_index"]).all() and (x["member_index"] == y["member_index"]).all()
                and np.abs(x["top_score"] - y["top_score"]).max() <= 1e-6 and np.abs(x["member_score"] - y["member_score"]).max() <= 1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="checkpoint or ensemble folder (default: the shipped model)")
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--small-cores", type=int, default=20)
    parser.add_argument("--large-cores", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/colim-screen-prune"))
    parser.add_argument("--metalig", type=Path, default=METALIG)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--memory", type=float, nargs="*", default=[64, 256], help="--memory-mb budgets to measure peak memory at")
    parser.add_argument("--stage", choices=["brute", "pruned", "memory"], help=argparse.SUPPRESS)
    parser.add_argument("--memory-mb", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--n-cores", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--hits", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(memory_stage(args) if args.stage == "memory" else stage(args)))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    members = api.load_model(args.model)
    print(f"model: {args.model or 'shipped default'} ({len(members)} member(s), ligand encoder {members[0].model.ligand_encoder.name}, "
          f"head {members[0].model.head.hidden_dims}); machine: {os.cpu_count()} cores, load {os.getloadavg()}", flush=True)
    t = time.perf_counter()
    small = ligand_library(args.model, args.small, args.workdir, args.metalig, args.workers)
    print(f"{args.small}-ligand library ready in {time.perf_counter() - t:.0f} s: {small}", flush=True)
    brute = run_stage(args, "brute", small, args.small_cores, args.workdir / "brute.npz")
    pruned = run_stage(args, "pruned", small, args.small_cores, args.workdir / "pruned.npz")
    same = identical(args.workdir / "brute.npz", args.workdir / "pruned.npz")
    rate = brute["pairs"] / brute["seconds"]
    print(f"{args.small} ligands ({brute['sets']:,} sets) x {brute['cores']} cores, top-10: brute force {brute['seconds']:.1f} s "
          f"({brute['pairs']:,} pairs, {rate:.3g} pairs/s), pruned {pruned['seconds']:.1f} s ({pruned['pairs_scored']:,} pairs scored, "
          f"{pruned['pairs_scored'] / pruned['pairs']:.2e} of them); speed-up {brute['seconds'] / pruned['seconds']:.1f}x; identical hits: {same}", flush=True)
    for budget in args.memory:
        m = run_stage(args, "memory", small, 160, args.workdir / "memory.npz", budget)
        print(f"--memory-mb {budget:g}: peak {m['above_loaded_mb']:.0f} MB above the loaded model ({m['above_loaded_mb'] / budget:.2f} of the budget; "
              f"set block {m['set_block']:,}, tiles {m['tile'][0]} x {m['tile'][1]:,})", flush=True)
    if args.skip_large:
        return
    t = time.perf_counter()
    large = ligand_library(args.model, args.large, args.workdir, args.metalig, args.workers)
    print(f"{args.large}-ligand library ready in {time.perf_counter() - t:.0f} s: {large}", flush=True)
    big = run_stage(args, "pruned", large, args.large_cores, args.workdir / "large.npz")
    brute_big = big["pairs"] / rate
    print(f"{args.large} ligands ({big['sets']:,} sets) x {big['cores']} cores, top-10, pruned: {big['seconds']:.1f} s, "
          f"{big['pairs_scored']:,} of {big['pairs']:,} pairs scored, peak RSS {big['peak_rss_mb']:.0f} MB; "
          f"brute force projected {brute_big:.0f} s ({brute_big / 3600:.1f} h) at {rate:.3g} pairs/s", flush=True)
    per_core = big["seconds"] / big["cores"]
    total = comb(args.large, 1) + comb(args.large, 2) + comb(args.large, 3)
    print(f"projection, {total:,} sets x 1,000 cores = {total * 1000:.3g} pairs: brute force {total * 1000 / rate / 3600:.1f} h, "
          f"pruned {per_core * 1000 / 60:.1f} min ({per_core:.2f} s per core, measured on {big['cores']} cores)", flush=True)


if __name__ == "__main__":
    main()
