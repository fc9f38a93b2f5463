"""Do known clusters as composition-level positives on idealised cores help? (issue 18 §1)

Two arms, both fine-tuned from the MetaLig pair model as ``libraries/build.sh`` makes the default (cgcnn +
fingerprint, hidden 64, lr 2e-4, 30 epochs, patience 5, one model per seed):

* without: the shipped cluster dataset (``libraries/dataset/shared_structures.h5``) as it is;
* with: the same dataset plus the rows of ``known_clusters.csv`` as training positives on idealised cores
  (``colim.dataset.idealised``), leaving out the rows of the papers held out in that fold.

Cross-matching (``colim cross-match``) scores the known clusters themselves, so the "with" arm is run as
leave-papers-out folds: the rows of ``known_clusters.csv`` are grouped by paper (DOI, else source URL, else
formula: one paper's near-identical clusters never sit on both sides), the groups holding cross-match items
are dealt into ``--folds`` folds, and each item is scored by the ensemble of the fold that did not train on its
paper. The "without" arm never sees any known cluster. Both arms are also evaluated on the cluster dataset's
test split (the same 26 pairs in both: adding idealised positives does not change a pair of the dataset).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/idealised_clusters.py --folds 5 --seeds 0,1,2 --fold-seed 0 \
        -o benchmarks/results/idealised_clusters_foldseed0.json          # and --fold-seed 1, 2, 3 (other draws of the folds)
    python benchmarks/idealised_clusters.py --summarise benchmarks/results/idealised_clusters*.json
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from colim import api
from colim.dataset.builder import read_ligand_pool
from colim.dataset.idealised import add_idealised_clusters
from colim.dataset.records import load_dataset
from colim.evaluation.cross_matching import bootstrap_interval, items_from_csv

ROOT = Path(__file__).resolve().parent.parent
CLUSTERS = ROOT / "tests/data/reference/known_clusters.csv"
DATASET = ROOT / "libraries/dataset/shared_structures.h5"
POOL = ROOT / "libraries/ligands/ligands.csv"
PAIR_MODEL = ROOT / "libraries/models/pair_metalig.pt"
METALS = ("Cu", "Ag", "Au")
TRAIN = dict(core_encoder="cgcnn", ligand_encoder="fingerprint", init_model=PAIR_MODEL, hidden_dims=(64,), lr=2e-4, epochs=30, patience=5)


def paper(row: dict) -> str:
    """The group of a row: its DOI, else its source URL, else its formula."""
    return (row.get("doi") or "").strip() or (row.get("source_url") or "").strip() or row["formula"]


def write_rows(rows: list[dict], fields: list[str], path: Path) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def deal_folds(rows: list[dict], item_names: set[str], folds: int, seed: int) -> list[set[str]]:
    """Papers holding cross-match items, dealt so each fold gets about as many items (greedy, shuffled order)."""
    counts: dict[str, int] = {}
    for row in rows:
        if row["formula"] in item_names:
            counts[paper(row)] = counts.get(paper(row), 0) + 1
    order = sorted(counts)
    np.random.default_rng(seed).shuffle(order)
    order.sort(key=lambda g: -counts[g])  # stable: big groups first, ties in shuffled order
    out: list[set[str]] = [set() for _ in range(folds)]
    filled = [0] * folds
    for g in order:
        k = int(np.argmin(filled))
        out[k].add(g)
        filled[k] += counts[g]
    return out


def test_metrics(model_dir: Path) -> dict:
    report = api.evaluate(DATASET, model=model_dir, bootstrap=1000)
    return {"per_seed_auc": [m["auc"] for m in report["models"]], "ensemble_auc": report["ensemble"]["auc"],
            "ensemble_auc_ci95": report["bootstrap_ci95"]["auc"], "ensemble": report["ensemble"]}


def balanced(per_item: list[dict]) -> dict:
    aucs = np.array([r["auc"] for r in per_item], dtype=float)
    metals = [r["metal"] for r in per_item]
    by_metal = {m: float(np.nanmean(aucs[[i for i, x in enumerate(metals) if x == m]])) for m in METALS if m in metals}
    low, high = bootstrap_interval(aucs, metals, METALS)
    return {"auc": float(np.mean(list(by_metal.values()))), "ci95": [low, high], "by_metal": by_metal,
            "items": {m: metals.count(m) for m in METALS}}


def paired(with_items: list[dict], without_items: list[dict], n_boot: int = 1000, seed: int = 0) -> dict:
    """Metal-balanced difference (with − without) and its percentile interval over items resampled within metal."""
    base = {r["name"]: r["auc"] for r in without_items}
    diffs = np.array([r["auc"] - base[r["name"]] for r in with_items])
    metals = [r["metal"] for r in with_items]
    groups = [diffs[[i for i, m in enumerate(metals) if m == metal]] for metal in METALS if metal in metals]
    rng = np.random.default_rng(seed)
    values = [float(np.mean([rng.choice(g, size=len(g)).mean() for g in groups])) for _ in range(n_boot)]
    return {"diff": float(np.mean([g.mean() for g in groups])), "ci95": [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))],
            "items_changed": int((np.abs(diffs) > 1e-12).sum())}


def summarise(files: list[str]) -> None:
    """Print each run's figures, and each set's AUC averaged over the runs' fold draws (both arms, paired)."""
    runs = [json.loads(Path(f).read_text()) for f in files]
    for f, run in zip(files, runs):
        s = run["summary"]
        d = s["cross_match_with_minus_without"]
        t = np.array(s["test_auc_with_per_fold_seed"])
        print(f"{f}: with {s['cross_match_with']['auc']:.3f} [{s['cross_match_with']['ci95'][0]:.3f}, {s['cross_match_with']['ci95'][1]:.3f}] "
              f"{ {m: round(v, 3) for m, v in s['cross_match_with']['by_metal'].items()} }; with - without {d['diff']:+.3f} "
              f"[{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]; test AUC with {t.mean():.3f} (n {len(t)})")
    without = runs[0]["without"]["cross_match"]
    mean_with = []
    for item in without:
        aucs = [r["auc"] for run in runs for r in run["with"]["cross_match"] if r["name"] == item["name"]]
        mean_with.append({**item, "auc": float(np.mean(aucs))})
    s_without, s_with = balanced(without), balanced(mean_with)
    d = paired(mean_with, without)
    print(f"over {len(runs)} fold draws, each set's AUC averaged: without {s_without['auc']:.3f} [{s_without['ci95'][0]:.3f}, "
          f"{s_without['ci95'][1]:.3f}], with {s_with['auc']:.3f} [{s_with['ci95'][0]:.3f}, {s_with['ci95'][1]:.3f}] "
          f"{ {m: round(v, 3) for m, v in s_with['by_metal'].items()} }; with - without {d['diff']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]")
    for metal in METALS:
        sel = [i for i, r in enumerate(without) if r["metal"] == metal]
        diff = np.array([mean_with[i]["auc"] - without[i]["auc"] for i in sel])
        rng = np.random.default_rng(0)
        boot = [rng.choice(diff, size=len(diff)).mean() for _ in range(1000)]
        print(f"  {metal} ({len(sel)} sets): with - without {diff.mean():+.3f} [{np.percentile(boot, 2.5):+.3f}, {np.percentile(boot, 97.5):+.3f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summarise", nargs="+", metavar="JSON", help="Only print the figures of earlier runs (their -o files).")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--fold-seed", type=int, default=0)
    parser.add_argument("--work", default="/tmp/idealised_clusters")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    if args.summarise:
        summarise(args.summarise)
        return
    if not args.output:
        parser.error("-o/--output is required (or --summarise)")
    seeds = [int(s) for s in args.seeds.split(",")]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(CLUSTERS, newline="") as fh:
        reader = csv.DictReader(fh)
        rows, fields = list(reader), list(reader.fieldnames or [])
    items, _ = items_from_csv(CLUSTERS)
    names = {i.name for i in items}
    folds = deal_folds(rows, names, args.folds, args.fold_seed)
    base = load_dataset(DATASET)
    pool = read_ligand_pool(POOL)
    out: dict = {"command": "python benchmarks/idealised_clusters.py " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
                 "seeds": seeds, "train": {k: str(v) for k, v in TRAIN.items()}, "folds": [sorted(f) for f in folds],
                 "items": len(items), "dataset_hash": base.content_hash()}

    without_dir = work / "without"
    api.train(base, without_dir, seeds=seeds, overwrite=True, **TRAIN)
    out["without"] = {"test": test_metrics(without_dir), "cross_match": api.cross_match(CLUSTERS, model=without_dir)["items"],
                      "seconds": time.perf_counter() - start}
    print(f"without: test AUC {out['without']['test']['ensemble_auc']:.3f} ({time.perf_counter() - start:.0f} s)", flush=True)

    with_items, fold_reports = [], []
    for k, held in enumerate(folds):
        train_rows = [r for r in rows if paper(r) not in held]
        test_rows = [r for r in rows if paper(r) in held]
        train_csv = write_rows(train_rows, fields, work / f"fold{k}_train.csv")
        test_csv = write_rows(test_rows, fields, work / f"fold{k}_test.csv")
        data = add_idealised_clusters(base, train_csv, seed=0, ligand_pool=pool)
        model_dir = work / f"with_fold{k}"
        api.train(data, model_dir, seeds=seeds, overwrite=True, **TRAIN)
        got = api.cross_match(test_csv, model=model_dir)["items"]
        with_items += got
        fold_reports.append({"fold": k, "held_out_papers": sorted(held), "train_rows": len(train_rows), "held_out_items": len(got),
                             "idealised_pairs": len(data.pairs) - len(base.pairs), "test": test_metrics(model_dir)})
        print(f"fold {k}: {len(got)} held-out items, test AUC {fold_reports[-1]['test']['ensemble_auc']:.3f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    out["with"] = {"folds": fold_reports, "cross_match": with_items}
    out["summary"] = {
        "cross_match_without": balanced(out["without"]["cross_match"]),
        "cross_match_with": balanced(with_items),
        "cross_match_with_minus_without": paired(with_items, out["without"]["cross_match"]),
        "test_auc_without_per_seed": out["without"]["test"]["per_seed_auc"],
        "test_auc_with_per_fold_seed": [a for f in fold_reports for a in f["test"]["per_seed_auc"]],
        "test_auc_without_ensemble": [out["without"]["test"]["ensemble_auc"], out["without"]["test"]["ensemble_auc_ci95"]],
        "test_auc_with_ensemble_per_fold": [[f["test"]["ensemble_auc"], f["test"]["ensemble_auc_ci95"]] for f in fold_reports],
    }
    out["seconds"] = time.perf_counter() - start
    Path(args.output).write_text(json.dumps(out, indent=2, default=str))
    print(json.dumps(out["summary"], indent=2, default=str))


if __name__ == "__main__":
    main()
