"""Time the unimol ligand encoder on the shipped ligand library (first pass, cached pass) against the
fingerprint encoder (the peer, same ligands, same run), and `explain_pair` on a real Au25S18 core.

Uses a random-init Uni-Mol (same architecture and cost as the pretrained one; no weights here).
Usage: python benchmarks/unimol_explain.py [--threads N]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import torch

from colim.model.dual_encoder import CoLiMModel
from colim.model.explain import explain_pair
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.structures.core import read_core
from colim.structures.ligands import LigandSet, canonical_smiles

ROOT = Path(__file__).resolve().parents[1]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(ROOT / "libraries" / "ligands" / "ligands.csv") as handle:
        smiles = sorted({canonical_smiles(row["smiles"]) for row in csv.DictReader(handle)})
    print(f"{len(smiles)} ligands, {args.threads} torch thread(s)")

    fingerprint = create_ligand_encoder("fingerprint").eval()
    with torch.no_grad():
        _, fp_s = timed(lambda: fingerprint.embed_ligands(smiles))
    print(f"fingerprint (peer): {fp_s:.2f} s  ({len(smiles) / fp_s:.0f} ligands/s)")

    unimol, build_s = timed(lambda: create_ligand_encoder("unimol", random_init=True).eval())
    print(f"unimol build (import unimol-tools + 47M-parameter model): {build_s:.2f} s")
    with torch.no_grad():
        _, first_s = timed(lambda: unimol.embed_ligands(smiles))
        _, again_s = timed(lambda: unimol.embed_ligands(smiles))
    print(f"unimol first pass (conformers + forward): {first_s:.2f} s  ({len(smiles) / first_s:.1f} ligands/s)")
    print(f"unimol second pass (conformers cached, forward only): {again_s:.2f} s  ({len(smiles) / again_s:.1f} ligands/s)")

    torch.manual_seed(0)
    model = CoLiMModel(create_core_encoder("cgcnn"), fingerprint).eval()
    core = read_core(ROOT / "tests" / "data" / "structures" / "au_thiolate_cifs" / "25_18.cif")
    ligands = LigandSet.parse("[S]CCc1ccccc1.c1ccc(P(c2ccccc2)c2ccccc2)cc1.[O]C=O 12:3:6")
    explain_pair(model, core, ligands, steps=8)  # warm-up
    for steps in (32, 64):
        result, s = timed(lambda: explain_pair(model, core, ligands, steps=steps))
        print(f"explain_pair Au25S18 + 3 ligands, {steps} steps: {s:.2f} s, completeness error {result.completeness_error:.1e}")


if __name__ == "__main__":
    main()
