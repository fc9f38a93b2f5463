"""Throughput of the built-in encoders on the CPU: graph building (colim's torch.cdist neighbour
search vs ASE's neighbour list, the peer) and cores/s of each core encoder on Au25 and Au144 cores,
plus ligands/s of the no-download ligand encoders (cached, and the first featurisation of the shipped list).

Run: ``python benchmarks/encoders.py [--repeat 5] [--batch-size 32] [--threads 1] [--clock cpu|wall]``.

``--clock cpu`` (the default) times with the process's CPU time, so figures stay comparable on a
shared, loaded machine; with ``--threads 1`` they are throughput per CPU core.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from ase import Atoms
from ase.neighborlist import neighbor_list

from colim.encoders.graph import DEFAULT_CUTOFF, core_graph
from colim.io.structure_readers import read_structure
from colim.plugins.builtin.fingerprint import ligand_features as fingerprint_features
from colim.plugins.builtin.ligand_chemistry import chemistry_features
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.structures.core import is_metal, make_core
from colim.structures.ligand_files import read_ligand_file
from colim.structures.ligands import LigandSet

STRUCTURES = Path(__file__).resolve().parents[1] / "tests" / "data" / "structures"
CORES = {"Au25": "au_sch3_dft/au25_opt.xyz", "Au144": "nanomodeler_au_sr/au144SR60.pdb"}
SHIPPED_LIGANDS = Path(__file__).resolve().parents[1] / "libraries" / "ligands" / "ligands.csv"
LIGANDS = ("[S]CCc1ccccc1", "C[S]", "O=C(O)c1ccc([S])cc1", "c1ccc(P(c2ccccc2)c2ccccc2)cc1", "O=C[O]")


def metal_core(relative: str) -> Atoms:
    atoms = read_structure(STRUCTURES / relative)
    return make_core(atoms[[i for i, s in enumerate(atoms.get_chemical_symbols()) if is_metal(s)]])


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
CLOCK = CLOCKS["cpu"]


def best_rate(work: Callable[[], None], items: int, repeat: int) -> float:
    """Items per second of the fastest of ``repeat`` runs (after one warm-up run)."""
    work()
    best = min(_timed(work) for _ in range(repeat))
    return items / max(best, 1e-9)


def _timed(work: Callable[[], None]) -> float:
    start = CLOCK()
    work()
    return CLOCK() - start


def _synced(encoder: torch.nn.Module, batch, device: str) -> None:
    encoder(batch)
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="time with process CPU time or wall time")
    parser.add_argument("--device", default="cpu", help="device of the encoders (cpu, cuda)")
    args = parser.parse_args()
    global CLOCK
    CLOCK = CLOCKS[args.clock]
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n = args.batch_size
    print(f"torch {torch.__version__}, {args.threads} threads, device {args.device}, batch {n}, best of {args.repeat}, {args.clock} clock")

    print("\ngraph building (cutoff 4.0 Å), cores/s")
    print(f"{'core':8s} {'colim core_graph':>18s} {'ASE neighbor_list':>18s}")
    for label, path in CORES.items():
        core = metal_core(path)
        ours = best_rate(lambda: [core_graph(core, DEFAULT_CUTOFF) for _ in range(n)], n, args.repeat)
        peer = best_rate(lambda: [neighbor_list("ijd", core, DEFAULT_CUTOFF) for _ in range(n)], n, args.repeat)
        print(f"{label:8s} {ours:18.0f} {peer:18.0f}")

    print("\ncore encoders (default options, eval mode), cores/s: featurize+forward | forward only")
    for name in ("cgcnn", "schnet", "gin"):
        encoder = create_core_encoder(name).to(args.device).eval()
        row = []
        for label, path in CORES.items():
            cores = [metal_core(path)] * n
            full = best_rate(lambda: encoder.encode(cores, batch_size=n), n, args.repeat)
            batch = encoder.to_device(encoder.collate([encoder.featurize(c) for c in cores]), torch.device(args.device))
            with torch.no_grad():
                forward = best_rate(lambda: _synced(encoder, batch, args.device), n, args.repeat)
            row.append(f"{label} {full:7.0f} | {forward:7.0f}")
        print(f"{name:8s} " + "   ".join(row))

    print("\nligand encoders (default options, eval mode), ligands/s (features cached after the first call)")
    sets = [LigandSet.of([smi]) for smi in LIGANDS] * (n // len(LIGANDS) + 1)
    for name in ("fingerprint", "ligchem", "molgnn"):
        encoder = create_ligand_encoder(name).to(args.device).eval()
        rate = best_rate(lambda: encoder.encode(sets), len(sets), args.repeat)
        print(f"{name:12s} {rate:9.0f}")

    shipped = [lig.smiles for lig in read_ligand_file(SHIPPED_LIGANDS)]
    print(f"\nfirst featurisation of the {len(shipped)} shipped ligands (empty caches), ligands/s")
    for name, features in (("fingerprint", fingerprint_features), ("ligchem", chemistry_features)):
        features.cache_clear()
        start = CLOCK()
        for smi in shipped:
            features(smi)
        print(f"{name:12s} {len(shipped) / max(CLOCK() - start, 1e-9):9.1f}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
