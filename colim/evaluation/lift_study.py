"""The core-lift study: does the core change the answer? One cross-validated run of a dual-encoder model and
the baselines it must beat, on the same folds and seeds.

Rows: the model (core encoder + ligand encoder), ligand only (the same network without the core), the
additive model (ligand-only logit + metal offset), the metal prior, and XGBoost on fingerprint + metal
one-hot (:mod:`colim.evaluation.metal_baselines`). Per fold × seed and row: pooled AUC, per-metal AUC,
metal-blind AUC and core lift (:mod:`colim.evaluation.core_lift`) on the test split, and the
cross-matching AUC over known clusters (:mod:`colim.evaluation.cross_matching`). Each metric is then
summarised as mean, sample std and 95% Student-t interval over fold × seed; the model's advantage over the
additive and ligand-only rows is also given as the same interval over *paired* differences (same fold,
same seed). Folds default to scaffold-grouped k-fold (:func:`colim.evaluation.folds.scaffold_groups`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from ase import Atoms

from colim.choices import resolve_choice
from colim.dataset.records import MatchingDataset
from colim.evaluation import metal_baselines as mb
from colim.evaluation.ablations import fit_ablated
from colim.evaluation.core_lift import COINAGE, Scorer, core_lift, core_metal
from colim.evaluation.cross_matching import ClusterItem, cross_matching
from colim.evaluation.folds import make_folds
from colim.evaluation.metrics import mean_ci
from colim.io.output_files import atomic_output
from colim.plugins.manager import create_core_encoder
from colim.training.batching import featurize_cores
from colim.training.trainer import ModelSpec, TrainConfig, fit

#: rows of the study, in table order.
LIFT_ROWS = ("model", "ligand-only", "additive", "metal-prior", "xgboost-metal")
ROW_LABELS = {"model": "Model (core + ligands)", "ligand-only": "Ligand only", "additive": "Additive (ligand + metal)",
              "metal-prior": "Metal prior", "xgboost-metal": "XGBoost (fingerprint + metal)"}
#: rows the model is compared with by paired differences.
PAIRED_AGAINST = ("additive", "ligand-only")
#: the JSON file :func:`write_lift_study` writes.
LIFT_JSON = "core_lift.json"


@dataclass
class LiftStudy:
    """What one study runs: the model, its training, the folds, the rows and the cross-matching inputs."""

    spec: ModelSpec
    config: TrainConfig
    seeds: Sequence[int] = (0, 1)
    folds: int = 5
    fold_seed: int = 0
    scheme: str = "scaffold"
    rows: Sequence[str] = LIFT_ROWS
    cluster_items: Sequence[ClusterItem] = ()
    templates: Sequence[Atoms] | None = None  # cross-matching panel templates; default: reference_cores(dataset)
    metals: Sequence[str] = COINAGE
    info: dict[str, Any] = field(default_factory=dict)


def metric_names(metals: Sequence[str] = COINAGE) -> list[str]:
    """Every per-run metric of the study, in report order."""
    names = ["auc", "blind_auc", "lift"]
    for m in metals:
        names += [f"auc_{m}", f"blind_auc_{m}", f"lift_{m}"]
    return names + ["cross_auc", "cross_auc_items"] + [f"cross_auc_{m}" for m in metals]


def _bounded(name: str, ms: dict[str, float], difference: bool = False) -> dict[str, float]:
    """Clip an interval to what the metric can take: [0, 1] for an AUC, [-1, 1] for a lift or a difference."""
    low, high = (-1.0, 1.0) if difference or name.startswith("lift") else (0.0, 1.0)
    if not math.isnan(ms["ci_low"]):
        ms = {**ms, "ci_low": max(ms["ci_low"], low), "ci_high": min(ms["ci_high"], high)}
    return ms


def reference_cores(dataset: MatchingDataset, metals: Sequence[str] = COINAGE) -> list[Atoms]:
    """Per metal, the dataset core of that single coinage metal that carries the most pairs (metals without one
    are left out): the default cross-matching templates."""
    counts: dict[int, int] = {}
    for p in dataset.pairs:
        counts[p.core_index] = counts.get(p.core_index, 0) + 1
    out = []
    for metal in metals:
        best = sorted((-n, i) for i, n in counts.items() if core_metal(dataset.cores[i]) == metal)
        if best:
            out.append(dataset.cores[best[0][1]])
    return out


def _run_metrics(scorer: Scorer, fold: MatchingDataset, study: LiftStudy, templates: Sequence[Atoms]) -> dict[str, Any]:
    out: dict[str, Any] = dict(core_lift(scorer, fold.cores, fold.split_pairs("test"), study.metals))
    if study.cluster_items and templates:
        cm = cross_matching(scorer, study.cluster_items, templates, study.metals)
        out["cross_auc"], out["cross_auc_items"] = cm["auc"], cm["auc_items"]
        out.update({f"cross_auc_{m}": cm[f"auc_{m}"] for m in study.metals})
    return out


def _fold_runs(fold: MatchingDataset, study: LiftStudy, templates: Sequence[Atoms], features: Any, silent: bool) -> list[dict[str, Any]]:
    """Every row's metrics on one fold: one run per seed for trained rows, one for the metal prior."""
    runs = []
    if "metal-prior" in study.rows:
        runs.append({"row": "metal-prior", "seed": None, **_run_metrics(mb.metal_prior_scorer(fold), fold, study, templates)})
    for seed in study.seeds:
        if "ligand-only" in study.rows or "additive" in study.rows:
            ligand_only = mb.model_scorer(fit_ablated(fold, study.spec, study.config, "core", seed, features).model)
            if "ligand-only" in study.rows:
                runs.append({"row": "ligand-only", "seed": seed, **_run_metrics(ligand_only, fold, study, templates)})
            if "additive" in study.rows:
                additive, info = mb.additive_scorer(ligand_only, fold)
                runs.append({"row": "additive", "seed": seed, "fit": info, **_run_metrics(additive, fold, study, templates)})
        if "model" in study.rows:
            result, _ = fit(fold, study.spec, study.config, seed, silent=silent, features=features)
            runs.append({"row": "model", "seed": seed, "best_epoch": result.best_epoch,
                         **_run_metrics(mb.model_scorer(result.model), fold, study, templates)})
        if "xgboost-metal" in study.rows:
            runs.append({"row": "xgboost-metal", "seed": seed, **_run_metrics(mb.xgboost_metal_scorer(fold, seed), fold, study, templates)})
    return runs


def _summaries(runs: Sequence[dict[str, Any]], rows: Sequence[str], names: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        mine = [r for r in runs if r["row"] == row]
        out[row] = {"label": ROW_LABELS[row], "n": len(mine), **{m: _bounded(m, mean_ci([r.get(m, math.nan) for r in mine])) for m in names}}
    return out


def _paired(runs: Sequence[dict[str, Any]], names: Sequence[str], against: str) -> dict[str, Any]:
    """Model minus ``against`` on the same fold and seed: mean, std and 95% interval of the differences."""
    other = {(r["fold"], r["seed"]): r for r in runs if r["row"] == against}
    diffs = {m: [] for m in names}
    for r in runs:
        if r["row"] == "model" and (r["fold"], r["seed"]) in other:
            for m in names:
                diffs[m].append(r.get(m, math.nan) - other[(r["fold"], r["seed"])].get(m, math.nan))
    return {m: _bounded(m, mean_ci(v), difference=True) for m, v in diffs.items()}


def run_lift_study(dataset: MatchingDataset, study: LiftStudy, silent: bool = True,
                   log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every row of ``study`` on every usable fold; the runs, per-row summaries and paired differences."""
    rows = [resolve_choice(r, LIFT_ROWS, "core-lift row") for r in study.rows]
    study = dataclasses.replace(study, rows=rows)  # the caller's study stays as given
    start = time.perf_counter()
    folds = make_folds(dataset, study.scheme, study.folds, study.fold_seed)
    templates = list(study.templates) if study.templates is not None else reference_cores(dataset, study.metals)
    features = None
    if study.spec.pretrained_core is None:
        features = featurize_cores(create_core_encoder(study.spec.core_encoder, **study.spec.core_args), dataset.cores)
    runs: list[dict[str, Any]] = []
    for fold in folds:
        if fold.skipped:
            continue
        fold_runs = [{"fold": fold.name, **r} for r in _fold_runs(fold.dataset, study, templates, features, silent)]
        runs += fold_runs
        if log is not None:
            log(f"{fold.name}: " + ", ".join(f"{row} AUC {np.nanmean([r['auc'] for r in fold_runs if r['row'] == row]):.3f}"
                                             for row in dict.fromkeys(r["row"] for r in fold_runs)))
    names = metric_names(study.metals)
    report = {
        "scheme": study.scheme, "folds": study.folds, "fold_seed": study.fold_seed, "seeds": list(study.seeds), "rows": rows,
        "metals": list(study.metals), "folds_used": [f.name for f in folds if not f.skipped],
        "folds_skipped": [{"fold": f.name, "reason": f.skipped} for f in folds if f.skipped],
        "fold_sizes": {f.name: {**f.sizes(), "left_out": f.dropped} for f in folds},
        "spec": {"core_encoder": study.spec.core_encoder, "ligand_encoder": study.spec.ligand_encoder,
                 "core_args": study.spec.core_args, "ligand_args": study.spec.ligand_args, "pretrained_core": study.spec.pretrained_core},
        "config": study.config.as_dict(), "dataset_hash": dataset.content_hash(), "pairs": len(dataset.pairs),
        "cross_matching": {"items": len(study.cluster_items), "templates": [str(t.info.get("id", "")) for t in templates],
                           "items_per_metal": {m: sum(i.metal == m for i in study.cluster_items) for m in study.metals}},
        "ci": "mean, sample std and 95% Student-t interval over fold x seed test scores (deterministic rows: one per fold)",
        **study.info,
    }
    report["summary"] = _summaries(runs, rows, names)
    if "model" in rows:
        report["paired"] = {a: _paired(runs, names, a) for a in PAIRED_AGAINST if a in rows}
    report["runs"] = runs
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


def _cell(ms: dict[str, float], ci: bool = True) -> str:
    if ms["n"] == 0 or math.isnan(ms["mean"]):
        return "—"
    text = f"{ms['mean']:.3f}"
    if not math.isnan(ms["std"]):
        text += f" ± {ms['std']:.3f}"
        if ci:
            text += f" [{ms['ci_low']:.3f}, {ms['ci_high']:.3f}]"
    return text


def format_lift_table(report: dict[str, Any]) -> str:
    """The study as printed: per row, pooled AUC and per-metal AUC / lift (mean ± std [95% CI]), cross-matching AUC;
    then the model's paired differences."""
    metals = report["metals"]
    lines = [f"{report['scheme']} {report['folds']}-fold CV, {len(report['folds_used'])} fold(s) used, seeds "
             f"{','.join(map(str, report['seeds']))}: mean ± std [95% CI] over folds × seeds"]
    for row, s in report["summary"].items():
        lines.append(f"{s['label']} (n = {s['n']})")
        lines.append(f"  AUC {_cell(s['auc'])}   metal-blind {_cell(s['blind_auc'], False)}   lift {_cell(s['lift'])}")
        for m in metals:
            lines.append(f"  {m}: AUC {_cell(s[f'auc_{m}'])}   lift {_cell(s[f'lift_{m}'])}")
        if report["cross_matching"]["items"]:
            lines.append(f"  cross-matching AUC {_cell(s['cross_auc'])}  (" + ", ".join(
                f"{m} {_cell(s[f'cross_auc_{m}'], False)}" for m in metals) + ")")
    for against, diffs in report.get("paired", {}).items():
        lines.append(f"Model − {ROW_LABELS[against]} (paired, same fold and seed)")
        lines.append("  AUC " + _cell(diffs["auc"]) + "   " + "   ".join(f"{m} {_cell(diffs[f'auc_{m}'])}" for m in metals))
    for s in report["folds_skipped"]:
        lines.append(f"  skipped {s['fold']}: {s['reason']}")
    return "\n".join(lines)


def jsonable(value: Any) -> Any:
    """``value`` with NaN as None and numpy scalars as Python numbers (for strict JSON)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return jsonable(value.item())
    return value


def write_lift_study(report: dict[str, Any], outdir: str | os.PathLike, overwrite: bool = False) -> Path:
    """``core_lift.json`` (everything, per fold, seed and row; NaN as null) in ``outdir``."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LIFT_JSON
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(jsonable(report), indent=2))
    return path
