"""Screening throughput: the folded engine vs the naive loop (full model per pair, re-encoding core and
ligand set each time), in the same run, plus the head's FLOP bound on the device.

Run: ``python benchmarks/screen.py`` (CPU) or ``python benchmarks/screen.py --device cuda``.
"""

from __future__ import annotations

import argparse
import time

import torch

from colim.core import read_core
from colim.ligands import LigandSet
from colim.model import CoLiMModel
from colim.plugin_manager import create_core_encoder, create_ligand_encoder
from colim.screening.engine import Member, ScreenEngine
from colim.screening.folded import FoldedHead
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMILES = ["[S]CCc1ccccc1", "[S]C", "c1ccc(P(c2ccccc2)c2ccccc2)cc1", "[O]C=O", "CC(=O)[O]", "[C]#Cc1ccccc1", "[Cl]", "[S]c1ccccc1"]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device: torch.device, n: int) -> float:
    """Achieved float32 GFLOP/s of an n×n matmul (the device's practical peak)."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    sync(device)
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < 2.0:
        a @ b
        reps += 1
    sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - start) / 1e9


def engine_rate(head, device, cores: int, sets: int, block_pairs, dim: int) -> float:
    c, s = torch.randn(cores, dim), torch.randn(sets, dim)
    engine = ScreenEngine([Member(head, c, s)], top_k=10, device=device, block_pairs=block_pairs, core_block=cores)
    engine.score_block(0, min(cores, 4))
    sync(device)
    start = time.perf_counter()
    engine.score_block(0, cores)
    sync(device)
    return cores * sets / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dim", type=int, default=256, help="core and ligand embedding size")
    parser.add_argument("--hidden", default="256,128", help="hidden sizes of the head (comma-separated)")
    parser.add_argument("--cores", type=int, default=None)
    parser.add_argument("--sets", type=int, default=None)
    parser.add_argument("--block-pairs", type=int, default=None)
    parser.add_argument("--naive-pairs", type=int, default=40)
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
    rate = engine_rate(head, device, cores, sets, args.block_pairs, args.dim)
    # naive loop: the full model per pair, re-encoding core and ligand set every time (CPU, as a user would)
    files = sorted((ROOT / "tests" / "data" / "structures" / "au_sch3_dft").glob("*.xyz"))
    real_cores = [read_core(f) for f in files]
    pairs = [(real_cores[i % len(real_cores)], LigandSet.of([SMILES[i % len(SMILES)], SMILES[(3 * i + 1) % len(SMILES)]])) for i in range(args.naive_pairs)]
    with torch.no_grad():
        start = time.perf_counter()
        for core, ls in pairs:
            enc = model.core_encoder
            model(enc.collate([enc.featurize(core)]), [ls])
        naive = len(pairs) / (time.perf_counter() - start)
    bound = peak * 1e9 / flops
    print(f"device: {device} ({torch.cuda.get_device_name(device) if gpu else f'{torch.get_num_threads()} CPU threads'})")
    print(f"head: embeddings {args.dim}+{args.dim}, hidden {hidden}; {flops} FLOP per pair after folding")
    print(f"matmul peak measured: {peak:.1f} GFLOP/s -> FLOP bound {bound:.3g} pairs/s")
    print(f"engine: {rate:.3g} pairs/s ({cores} cores x {sets} sets) = {rate * flops / 1e9:.1f} GFLOP/s, {100 * rate / bound:.0f}% of the bound")
    print(f"naive loop (full model per pair, re-encoding): {naive:.3g} pairs/s")
    print(f"speed-up over naive: {rate / naive:.3g}x")


if __name__ == "__main__":
    main()
