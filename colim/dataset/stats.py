"""Dataset statistics in the style of the paper's Tables S10–S15, as text tables and a PNG figure."""

from __future__ import annotations

import os
from collections import Counter

from matplotlib.figure import Figure

from colim.dataset.records import SPLITS, MatchingDataset
from colim.io.output_files import atomic_output
from colim.structures.core import CLUSTER_CHARGE, is_metal, oxidation_state
from colim.structures.families import FAMILIES, ligand_family

ALLOYING = {1: "monometallic", 2: "bimetallic", 3: "trimetallic"}


def metal_composition(core) -> str:
    """The metal elements of a core in alphabetical order, without counts (``Au``, ``AuPd``): its metal class."""
    return "".join(sorted({s for s in core.get_chemical_symbols() if is_metal(s)}))


def dataset_stats(ds: MatchingDataset) -> dict[str, dict]:
    """Counts behind every table: size, nuclearity, alloying, metals, ligand kinds, families, labels per split."""
    used = sorted({p.core_index for p in ds.pairs})
    positives = [p for p in ds.pairs if p.label == 1]
    ligands = sorted({s for p in ds.pairs for s in p.ligand_set.smiles})
    positive_ligands = sorted({s for p in positives for s in p.ligand_set.smiles})
    nuclearity: Counter = Counter()
    alloying: Counter = Counter()
    for i in used:
        symbols = ds.cores[i].get_chemical_symbols()
        metals = [s for s in symbols if is_metal(s)]
        nuclearity[len(metals)] += 1
        n_el = len(set(metals))
        alloying[ALLOYING.get(n_el, f"{n_el}-metallic")] += 1
    size = {
        "cores": len(ds.cores),
        "geometry classes": len({c.info.get("geometry_class", i) for i, c in enumerate(ds.cores)}),
        "type I cores": sum(1 for c in ds.cores if c.info.get("core_type") == "I"),
        "type II cores": sum(1 for c in ds.cores if c.info.get("core_type") == "II"),
        "pairs": len(ds.pairs),
        "positive pairs": len(positives),
        "negative pairs": len(ds.pairs) - len(positives),
        "sampled negatives": sum(1 for p in ds.pairs if p.origin == "sampled"),
        "reported negatives": sum(1 for p in ds.pairs if p.origin == "reported_negative"),
        "unique ligands": len(ligands),
        "unique ligand sets": len({p.ligand_set.key for p in ds.pairs}),
        "positive ligands (distinct SMILES)": len(positive_ligands),
        "positive ligand sets (distinct)": len({p.ligand_set.key for p in positives}),
        "type II negatives": sum(1 for p in ds.pairs if p.label == 0 and ds.cores[p.core_index].info.get("core_type") == "II"),
        "cores with a stated charge": sum(1 for c in ds.cores if CLUSTER_CHARGE in c.info),
        "cores with an oxidation state": sum(1 for c in ds.cores if oxidation_state(c) is not None),
    }
    idealised = sum(1 for c in ds.cores if c.info.get("idealised"))
    if idealised:  # composition-level cores (--idealised-clusters): made-up geometries, counted apart
        size["idealised cores (composition only)"] = idealised
        size["idealised pairs (train only)"] = sum(1 for p in ds.pairs if ds.cores[p.core_index].info.get("idealised"))
    metals: dict[str, dict[str, int]] = {}
    for i in used:
        key = metal_composition(ds.cores[i])
        row = metals.setdefault(key, {"cores": 0, "positive pairs": 0, "negative pairs": 0})
        row["cores"] += 1
    for p in ds.pairs:
        metals[metal_composition(ds.cores[p.core_index])]["positive pairs" if p.label == 1 else "negative pairs"] += 1
    kinds = {
        f"{k} kind(s)": {"positive": sum(1 for p in positives if len(p.ligand_set) == k),
                         "negative": sum(1 for p in ds.pairs if p.label == 0 and len(p.ligand_set) == k)}
        for k in range(1, 5)
    }
    families = {
        f: {"ligands": sum(1 for s in ligands if ligand_family(s) == f),
            "positive ligands": sum(1 for s in positive_ligands if ligand_family(s) == f),
            "positive pairs": sum(1 for p in positives if any(ligand_family(s) == f for s in p.ligand_set.smiles)),
            "negative pairs": sum(1 for p in ds.pairs if p.label == 0 and any(ligand_family(s) == f for s in p.ligand_set.smiles))}
        for f in FAMILIES
    }
    splits = {s: {"positive": sum(1 for p in ds.pairs if p.split == s and p.label == 1),
                  "negative": sum(1 for p in ds.pairs if p.split == s and p.label == 0),
                  "groups": len({p.group for p in ds.pairs if p.split == s})} for s in SPLITS}
    return {
        "size": size,
        "nuclearity": {str(k): v for k, v in sorted(nuclearity.items())},
        "alloying": dict(sorted(alloying.items())),
        "metals": dict(sorted(metals.items(), key=lambda kv: (-kv[1]["cores"], kv[0]))),
        "ligand kinds": kinds,
        "ligand families": families,
        "splits": splits,
    }


def _table(title: str, rows: dict) -> list[str]:
    first = next(iter(rows.values()), None)
    if isinstance(first, dict):
        columns = list(first)
        body = [[str(k)] + [str(v[c]) for c in columns] for k, v in rows.items()]
        header = [""] + columns
    else:
        body = [[str(k), str(v)] for k, v in rows.items()]
        header = ["", "count"]
    widths = [max(len(r[i]) for r in body + [header]) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return [f"## {title}", fmt(header), "  ".join("-" * w for w in widths)] + [fmt(r) for r in body] + [""]


def format_stats(stats: dict[str, dict]) -> str:
    """Text tables (one per statistic), S10–S15 style."""
    titles = {
        "size": "Dataset size",
        "nuclearity": "Nuclearity (metal atoms per core)",
        "alloying": "Alloying",
        "metals": "Cores per metal composition",
        "ligand kinds": "Number of ligand kinds per pair",
        "ligand families": "Ligand families",
        "splits": "Labels per split",
    }
    lines: list[str] = []
    for key, title in titles.items():
        lines.extend(_table(title, stats[key]))
    return "\n".join(lines)


def _label_bars(ax, counts: dict, title: str) -> None:
    """Side-by-side positive/negative bars, one pair per row of ``counts``."""
    x = range(len(counts))
    ax.bar([i - 0.2 for i in x], [v["positive"] for v in counts.values()], 0.4, label="positive")
    ax.bar([i + 0.2 for i in x], [v["negative"] for v in counts.values()], 0.4, label="negative")
    ax.set(title=title, xticks=list(x), xticklabels=list(counts), ylabel="pairs")
    ax.legend()


def plot_stats(stats: dict[str, dict], path: str | os.PathLike, overwrite: bool = False) -> None:
    """Write a six-panel PNG of the statistics (a matplotlib Figure, no pyplot state), atomically."""
    fig = Figure(figsize=(15, 8))
    axes = fig.subplots(2, 3)
    nuc = stats["nuclearity"]
    axes[0, 0].bar(list(nuc), list(nuc.values()), color="goldenrod")
    axes[0, 0].set(title="Nuclearity", xlabel="metal atoms", ylabel="cores")
    axes[0, 0].tick_params(axis="x", labelrotation=90, labelsize=8 if len(nuc) <= 30 else 6)
    if len(nuc) > 40:  # label every other size so the labels stay readable
        axes[0, 0].set_xticks(range(0, len(nuc), 2), list(nuc)[::2])
    metals = stats["metals"]
    axes[0, 1].bar(list(metals), [v["cores"] for v in metals.values()], color="slategray")
    axes[0, 1].set(title="Cores per metal composition", ylabel="cores")
    _label_bars(axes[0, 2], stats["ligand kinds"], "Ligand kinds per pair")
    fam = stats["ligand families"]
    axes[1, 0].barh(list(fam), [v["ligands"] for v in fam.values()], color="teal")
    axes[1, 0].set(title="Ligand families", xlabel="unique ligands")
    axes[1, 1].barh(list(fam), [v["positive pairs"] for v in fam.values()], color="seagreen", label="positive")
    axes[1, 1].barh(list(fam), [v["negative pairs"] for v in fam.values()], left=[v["positive pairs"] for v in fam.values()], color="indianred", label="negative")
    axes[1, 1].set(title="Pairs holding each family", xlabel="pairs")
    axes[1, 1].legend()
    _label_bars(axes[1, 2], stats["splits"], "Labels per split")
    fig.tight_layout()
    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
