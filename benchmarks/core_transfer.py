"""How a core encoder treats metals it was (or was not) trained on: embedding norms of the shipped Au25
core, a Cu55 icosahedron and an Ag38 truncated octahedron (ASE), their distances to Au25, and, with
``--model``, the spread of each ensemble member's logits over ligand sets for each core.

    python benchmarks/core_transfer.py --encoder OLD.pt --encoder NEW.pt [--model DIR --ligands libraries/ligands/ligands.csv]

Prints one row per encoder (or model member); the figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import itertools

import torch
from ase.cluster import Icosahedron, Octahedron
from ase.io import read

from colim.model.checkpoint import load_encoder_checkpoint
from colim.model.members import load_model


def cores():
    au25 = read("libraries/cores/au25_core.xyz")
    return {"Au25": au25, "Cu55": Icosahedron("Cu", noshells=3), "Ag38": Octahedron("Ag", length=4, cutoff=1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", action="append", default=[], help="core encoder or model checkpoint")
    parser.add_argument("--model", default=None, help="model checkpoint or ensemble directory")
    parser.add_argument("--ligands", default="libraries/ligands/ligands.csv")
    args = parser.parse_args()
    named = cores()
    for path in args.encoder:
        enc, _ = load_encoder_checkpoint(path)
        emb = enc.encode(list(named.values()))
        norms = " ".join(f"|{k}| {float(v.norm()):.3g}" for k, v in zip(named, emb))
        dist = " ".join(f"d({k},Au25) {float((v - emb[0]).norm()):.3g}" for k, v in list(zip(named, emb))[1:])
        a = enc.init_args()
        print(f"{path}: atom_features={a['atom_features']} readout_norm={a['readout_norm']}  {norms}  {dist}")
    if args.model:
        from colim.structures.ligand_files import read_ligand_file
        from colim.structures.ligands import LigandSet

        smiles = sorted({lig.smiles for lig in read_ligand_file(args.ligands)})
        sets = [LigandSet.parse(s) for s in smiles] + [LigandSet.parse(f"{a}.{b}") for a, b in itertools.islice(itertools.combinations(smiles, 2), 66)]
        for i, model in enumerate(m.model for m in load_model(args.model)):
            with torch.no_grad():
                core_emb = model.core_encoder.encode(list(named.values()))
                lig = model.ligand_encoder.encode(sets)
                for k, c in zip(named, core_emb):
                    logits = model.head(c.expand(len(sets), -1), lig).squeeze(-1)
                    p = torch.sigmoid(logits)
                    print(f"member {i} {k}: logits {float(logits.min()):+.3g}..{float(logits.max()):+.3g}, "
                          f"p {float(p.min()):.3f}..{float(p.max()):.3f}, sets within 0.01 of 0 or 1: "
                          f"{int(((p < 0.01) | (p > 0.99)).sum())}/{len(sets)}")


if __name__ == "__main__":
    main()
