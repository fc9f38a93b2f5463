"""Cut a MetaLig copy: the complexes of some metals and exactly the ligands (rows and graphs) they hold,
lines copied unchanged (gzip without timestamps, so a rerun gives the same bytes).

    python libraries/metalig/make_copy.py ../shared/data/metalig libraries/metalig --metals Cu,Ag,Au
    python libraries/metalig/make_copy.py ../shared/data/metalig tests/data/metalig --metals Cu,Ag,Au,Pd \
        --per-metal 60 --must unq_CSD-OZOHAN-01-a,unq_CSD-OZOCUD-01-a,unq_CSD-PADYOJ-01-a,unq_CSD-PAGFIO-01-a
``--per-metal N`` keeps N complexes per metal (seed 0), first those holding a ``--must`` ligand.
"""

import argparse
import gzip
import json
import random
from pathlib import Path


def lines(path):
    with gzip.open(path, "rt", newline="") as fh:
        return fh.read().splitlines(keepends=True)


def write(path, rows):
    with gzip.GzipFile(path, "wb", mtime=0) as out:
        out.write("".join(rows).encode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("target")
    ap.add_argument("--metals", default="Cu,Ag,Au")
    ap.add_argument("--per-metal", type=int)
    ap.add_argument("--must", default="")
    a = ap.parse_args()
    src, dst = Path(a.source), Path(a.target)
    metals, must = a.metals.split(","), set(filter(None, a.must.split(",")))
    complexes = lines(src / "complexes.csv.gz")
    header, rows = complexes[0], complexes[1:]
    by_metal = {m: [r for r in rows if r.split(",")[1] == m] for m in metals}
    rng = random.Random(0)
    keep = []
    for m, items in by_metal.items():
        if a.per_metal:
            first = [r for r in items if must & set(r.split(",")[5].split())][: a.per_metal // 2]
            rest = [r for r in items if r not in first]
            items = first + rng.sample(rest, min(len(rest), a.per_metal - len(first)))
        keep.extend(items)
    keep = [r for r in rows if r in set(keep)]
    ids = {i for r in keep for i in r.split(",")[5].split()}
    ligands = lines(src / "ligands.csv.gz")
    graphs = lines(src / "ligand_graphs.jsonl.gz")
    write(dst / "complexes.csv.gz", [header] + keep)
    write(dst / "ligands.csv.gz", [ligands[0]] + [r for r in ligands[1:] if r.split(",", 1)[0] in ids])
    write(dst / "ligand_graphs.jsonl.gz", [g for g in graphs if json.loads(g)["ligand_id"] in ids])
    print(len(keep), "complexes,", len(ids), "ligands")


if __name__ == "__main__":
    main()
