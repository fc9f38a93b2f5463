"""Screening throughput: the folded engine vs the naive loop (full model per pair, re-encoding core and
ligand set each time), in the same run, plus the head's FLOP bound on the device.

Run: ``python benchmarks/screen.py [--hidden 256]`` (CPU) or ``python benchmarks/screen.py --device cuda``.
The engine is timed ``--repeat`` times (best and median printed, with the load average: the dev box is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from colim.model.dual_encoder import CoLiMModel
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.screening.engine import EngineOptions, Member, ScreenEngine
from colim.screening.folded import FoldedHead
from colim.structures.core import read_core
from colim.structures.ligands import LigandSet

ROOT = Path(__file__).resolve().parents[1]
SMILES = ["[S]CCc1ccccc1", "[S]C", "c1ccc(P(c2ccccc2)c2ccccc2)cc1", "[O]C=O", "CC(=O)[O]", "[C]#Cc1ccccc1", "[Cl]", "[S]c1ccccc1"]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device: torch.device, n: int, windows: int = 8) -> float:
    """Best float32 GFLOP/s of an n×n matmul over short windows (the device's practical peak; the best
    window, because other jobs on a shared box only ever lower it)."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    best = 0.0
    for _ in range(windows):
        sync(device)
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.25:
            a @ b
            reps += 1
        sync(device)
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - start) / 1e9)
    return best


def engine_rates(heads, device, cores: int, sets: int, block_pairs, dim: int, repeat: int, fused: bool = True) -> list[float]:
    """pairs/s of ``repeat`` timed runs (one core block of ``cores × sets``) after a warm-up block."""
    c, s = torch.randn(cores, dim), torch.randn(sets, dim)
    engine = ScreenEngine([Member(h, c, s) for h in heads], EngineOptions(top_k=10, block_pairs=block_pairs, core_block=cores, fused=fused, prune=False), device)
    engine.score_block(0, min(cores, 4))
    rates = []
    for _ in range(repeat):
        sync(device)
        start = time.perf_counter()
        engine.score_block(0, cores)
        sync(device)
        rates.append(cores * sets / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dim", type=int, default=256, help="core and ligand embedding size")
    parser.add_argument("--hidden", default="256,128", help="hidden sizes of the head (comma-separated)")
    parser.add_argument("--cores", type=int, default=None)
    parser.add_argument("--sets", type=int, default=None)
    parser.add_argument("--block-pairs", type=int, default=None)
    parser.add_argument("--naive-pairs", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5, help="timed engine runs (best and median are printed)")
    parser.add_argument("--ensemble", type=int, default=2, help="also time an ensemble of this many heads (0: skip)")
    args = parser.parse_args()
    device = torch.device(args.device)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    torch.manual_seed(0)
    model = CoLiMModel(create_core_encoder("cgcnn", embedding_dim=args.dim), create_ligand_encoder("fingerprint", embedding_dim=args.dim), hidden_dims=hidden).eval()
    head = FoldedHead(model.head)
    flops = head.flops_per_pair()
    gpu = device.type == "cuda"
    cores = args.cores or (4096 if gpu else 512)
    sets = args.sets or (65536 if gpu else 2048)
    peak = matmul_peak(device, 8192 if gpu else 1024)
    load = os.getloadavg()[0]
    rates = engine_rates([head], device, cores, sets, args.block_pairs, args.dim, args.repeat)
    rate, median = max(rates), statistics.median(rates)
    if args.ensemble > 1:
        heads = [head] + [FoldedHead(CoLiMModel(model.core_encoder, model.ligand_encoder, hidden_dims=hidden).eval().head) for _ in range(args.ensemble - 1)]
        ens = engine_rates(heads, device, cores, sets, args.block_pairs, args.dim, max(1, args.repeat // 2))
    plain = max(engine_rates([head], device, cores, sets, args.block_pairs, args.dim, 1, fused=False)) if not gpu else None
    # naive loop: the full model per pair, re-encoding core and ligand set every time (CPU, as a user would)
    files = sorted((ROOT / "tests" / "data" / "structures" / "au_sch3_dft").glob("*.xyz"))
    real_cores = [read_core(f) for f in files]
    pairs = [(real_cores[i % len(real_cores)], LigandSet.of([SMILES[i % len(SMILES)], SMILES[(3 * i + 1) % len(SMILES)]])) for i in range(args.naive_pairs)]
    with torch.no_grad():
        enc = model.core_encoder
        model(enc.collate([enc.featurize(pairs[0][0])]), [pairs[0][1]])  # warm-up: lazy init is not per-pair cost
        start = time.perf_counter()
        for core, ls in pairs:
            enc = model.core_encoder
            model(enc.collate([enc.featurize(core)]), [ls])
        naive = len(pairs) / (time.perf_counter() - start)
    peak = max(peak, matmul_peak(device, 8192 if gpu else 1024))  # again after the engine: load drifts
    bound = peak * 1e9 / flops
    print(f"device: {device} ({torch.cuda.get_device_name(device) if gpu else f'{torch.get_num_threads()} CPU threads'})")
    print(f"head: embeddings {args.dim}+{args.dim}, hidden {hidden}; {flops} FLOP per pair after folding")
    print(f"matmul peak measured (best window): {peak:.1f} GFLOP/s -> FLOP bound {bound:.3g} pairs/s")
    print(f"load average (1 min) at start: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"engine: best {rate:.3g} pairs/s, median {median:.3g} of {len(rates)} runs ({cores} cores x {sets} sets) "
          f"= {rate * flops / 1e9:.1f} GFLOP/s, {100 * rate / bound:.0f}% of the bound")
    if plain is not None:
        print(f"plain torch path (fused=False, the engine before the numba kernels): {plain:.3g} pairs/s -> fused is {rate / plain:.3g}x")
    if args.ensemble > 1:
        print(f"ensemble of {args.ensemble}: best {max(ens):.3g} pairs/s ({max(ens) * args.ensemble:.3g} head evaluations/s)")
    print(f"naive loop (full model per pair, re-encoding): {naive:.3g} pairs/s")
    print(f"speed-up over naive: {rate / naive:.3g}x (median engine: {median / naive:.3g}x)")


if __name__ == "__main__":
    main()
