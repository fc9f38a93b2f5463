"""Every row of the CoLiM paper's Table 1, and the baselines it must beat, cross-validated on one dataset.

Rows: MBTR/SOAP/ACSF + XGBoost (descriptor of the core ⊕ ligand-set fingerprint; need the
colim-dscribe plugin), Fingerprint + XGBoost (the ligand-set fingerprint alone, no core descriptor: a
ligand-only tree model that needs only xgboost), CGCNN, SchNet and GIN (each a core encoder + the fingerprint ligand encoder,
trained from scratch), CoLiM from scratch (cgcnn + the CoLiM ligand encoder) and CoLiM pretrained
(the same, its core encoder loaded from a ``colim pretrain`` checkpoint); then the baselines of
:mod:`colim.evaluation.ablations`: ligand only, core only, family prior and the constant 0.5.

Every row runs on the same folds (:mod:`colim.evaluation.folds`: grouped k-fold over core-geometry
groups by default) and, for trained rows, the same seeds; each metric is reported as the mean, the
sample std and a 95% Student-t interval (clipped to [0, 1]) over the fold × seed test scores (deterministic rows: one
score per fold). Fold × seed scores of one fold share their test pairs, so the interval is a
description of the spread, not an exact coverage guarantee.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from colim.dataset.records import MatchingDataset
from colim.evaluation import ablations, baselines
from colim.evaluation.folds import Fold, make_folds
from colim.evaluation.metrics import CLASSIFICATION_METRICS, classification_metrics, mean_ci
from colim.io.output_files import atomic_output
from colim.plugins.manager import core_encoders, create_core_encoder
from colim.training.batching import featurize_cores
from colim.training.trainer import ModelSpec, TrainConfig, fit, predict

#: ligand encoder of the CoLiM rows when none is given (Uni-Mol needs downloaded weights).
DEFAULT_COLIM_LIGAND_ENCODER = "molgnn"
#: table columns (metric mean ± std [95% CI] over folds × seeds).
TABLE_METRICS = ("auc", "accuracy", "f1")
#: core "encoder" of the descriptor-free XGBoost row: no core features at all.
NO_DESCRIPTOR = "none"
#: kinds of row: how a row is fitted and scored.
ROW_KINDS = ("dual", "xgboost", "ligand-only", "core-only", "family-prior", "kinds-prior", "constant")


@dataclass(frozen=True)
class MethodRow:
    """One row of the table: a dual encoder, a descriptor + XGBoost model or a baseline."""

    label: str
    core_encoder: str
    ligand_encoder: str | None  # None: XGBoost on descriptor ⊕ fingerprint, or no encoder at all
    pretrained: bool = False
    kind: str = "dual"

    @property
    def seeded(self) -> bool:
        return self.kind not in ("family-prior", "kinds-prior", "constant")


def table1_rows(colim_ligand_encoder: str = DEFAULT_COLIM_LIGAND_ENCODER) -> list[MethodRow]:
    """The eight rows of Table 1, in the paper's order, plus the descriptor-free Fingerprint + XGBoost row."""
    fp = baselines.FINGERPRINT_ENCODER
    return [
        MethodRow("MBTR + XGBoost", "mbtr", None, kind="xgboost"),
        MethodRow("SOAP + XGBoost", "soap", None, kind="xgboost"),
        MethodRow("ACSF + XGBoost", "acsf", None, kind="xgboost"),
        MethodRow("Fingerprint + XGBoost", NO_DESCRIPTOR, None, kind="xgboost"),
        MethodRow("CGCNN", "cgcnn", fp),
        MethodRow("SchNet", "schnet", fp),
        MethodRow("GIN", "gin", fp),
        MethodRow("CoLiM (scratch)", "cgcnn", colim_ligand_encoder),
        MethodRow("CoLiM (pretrained)", "cgcnn", colim_ligand_encoder, pretrained=True),
    ]


def baseline_rows() -> list[MethodRow]:
    """The baselines every row must beat: ligand only, core only, family prior, kinds prior, constant."""
    fp = baselines.FINGERPRINT_ENCODER
    return [
        MethodRow("Ligand only", "—", fp, kind="ligand-only"),
        MethodRow("Core only", "cgcnn", "—", kind="core-only"),
        MethodRow("Family prior", "—", "—", kind="family-prior"),
        MethodRow("Kinds prior", "—", "—", kind="kinds-prior"),
        MethodRow("Constant 0.5", "—", "—", kind="constant"),
    ]


def _summary(row: MethodRow, scheme: str, status: str, runs: list[dict[str, Any]], skipped: list[dict[str, str]], seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"scheme": scheme, "model": row.label, "kind": row.kind, "core_encoder": row.core_encoder,
                           "ligand_encoder": row.ligand_encoder or "fingerprint (XGBoost)", "status": status, "runs": runs,
                           "folds_used": len({r["fold"] for r in runs}), "folds_skipped": skipped, "seconds": round(seconds, 1)}
    for m in CLASSIFICATION_METRICS:  # every metric lies in [0, 1]: so does its interval
        ms = mean_ci([r[m] for r in runs])
        out[m] = {**ms, "ci_low": max(ms["ci_low"], 0.0) if not math.isnan(ms["ci_low"]) else ms["ci_low"],
                  "ci_high": min(ms["ci_high"], 1.0) if not math.isnan(ms["ci_high"]) else ms["ci_high"]}
    return out


def _fold_scores(row: MethodRow, fold: MatchingDataset, seeds: Sequence[int], config: TrainConfig, spec: ModelSpec | None,
                 features, descriptors, silent: bool) -> list[dict[str, Any]]:
    """Test metrics of ``row`` on one fold, one dict per seed (one in all for deterministic rows)."""
    test = fold.split_pairs("test")
    y = np.array([p.label for p in test])
    if row.kind == "constant":
        return [{"seed": None, **classification_metrics(y, ablations.predict_constant(test))}]
    if row.kind == "family-prior":
        return [{"seed": None, **classification_metrics(y, ablations.predict_family_prior(fold, test))}]
    if row.kind == "kinds-prior":
        return [{"seed": None, **classification_metrics(y, ablations.predict_prior(fold, test, ablations.kinds_key))}]
    runs = []
    for seed in seeds:
        if row.kind == "xgboost":
            prob = baselines.predict_xgboost(baselines.fit_xgboost(descriptors, fold, seed), descriptors, test)
            runs.append({"seed": seed, **classification_metrics(y, prob)})
            continue
        if row.kind in ("ligand-only", "core-only"):
            result = ablations.fit_ablated(fold, spec, config, "core" if row.kind == "ligand-only" else "ligand", seed, features)
        else:
            result, _ = fit(fold, spec, config, seed, silent=silent, features=features)
        feats = features if features is not None else featurize_cores(result.model.core_encoder, fold.cores)
        runs.append({"seed": seed, "best_epoch": result.best_epoch, **classification_metrics(y, predict(result.model, feats, test))})
    return runs


def compare_methods(
    dataset: MatchingDataset,
    seeds: Sequence[int],
    config: TrainConfig,
    core_args: dict[str, Any] | None = None,
    pretrained_core: str | None = None,
    colim_ligand_encoder: str = DEFAULT_COLIM_LIGAND_ENCODER,
    rows: Sequence[str] | None = None,
    silent: bool = True,
    log=None,
    cv: Sequence[str] = ("grouped",),
    k: int = 5,
    fold_seed: int = 0,
) -> list[dict[str, Any]]:
    """Train and test every row on every fold of each scheme in ``cv`` for each seed; one summary per (scheme, row).

    ``core_args`` apply to the graph encoders trained from scratch; ``rows`` keeps only rows whose
    label contains one of the given strings (case-insensitive). A row that cannot run says why in
    ``status`` ("not installed", "no --pretrained-core given"); folds without both classes on their
    test or training side are listed in ``folds_skipped`` with the reason.
    """
    results = []
    chosen = [r for r in table1_rows(colim_ligand_encoder) + baseline_rows()
              if not rows or any(f.lower() in r.label.lower() for f in rows)]
    for scheme in cv:
        folds: list[Fold] = make_folds(dataset, scheme, k, fold_seed)
        usable = [f for f in folds if not f.skipped]
        skipped = [{"fold": f.name, "reason": f.skipped} for f in folds if f.skipped]
        for row in chosen:
            start = time.perf_counter()
            needs_core = row.kind in ("dual", "xgboost", "ligand-only", "core-only")
            if needs_core and row.core_encoder not in core_encoders() and row.kind != "ligand-only" and row.core_encoder != NO_DESCRIPTOR:
                status = "not installed" if row.kind == "xgboost" else f"core encoder '{row.core_encoder}' not installed"
                results.append(_summary(row, scheme, status, [], skipped, 0.0))
                continue
            if row.pretrained and not pretrained_core:
                results.append(_summary(row, scheme, "no --pretrained-core given", [], skipped, 0.0))
                continue
            if not usable:
                results.append(_summary(row, scheme, "no usable fold", [], skipped, 0.0))
                continue
            spec, features, descriptors = None, None, None
            if row.kind == "xgboost" and row.core_encoder == NO_DESCRIPTOR:
                if not baselines.xgboost_installed():
                    results.append(_summary(row, scheme, "not installed", [], skipped, 0.0))
                    continue
                descriptors = np.zeros((len(dataset.cores), 0), dtype=np.float32)
            elif row.kind == "xgboost":
                descriptors = baselines.core_descriptors(row.core_encoder, dataset, silent=silent)
            elif needs_core:
                core_name = "cgcnn" if row.kind == "ligand-only" else row.core_encoder
                ligand_name = row.ligand_encoder if row.kind != "core-only" else baselines.FINGERPRINT_ENCODER
                spec = ModelSpec(core_name, ligand_name, {} if row.pretrained else dict(core_args or {}), {},
                                 pretrained_core if row.pretrained else None)
                if not row.pretrained:
                    features = featurize_cores(create_core_encoder(core_name, **spec.core_args), dataset.cores)
            runs = []
            for fold in usable:
                runs += [{"fold": fold.name, **r} for r in _fold_scores(row, fold.dataset, seeds, config, spec, features, descriptors, silent)]
            summary = _summary(row, scheme, "ok", runs, skipped, time.perf_counter() - start)
            results.append(summary)
            if log is not None:
                log(format_row(summary))
    return results


def _cell(ms: dict[str, float], ci: bool = False) -> str:
    if math.isnan(ms["mean"]):
        return "—"
    text = f"{ms['mean']:.3f} ± {ms['std']:.3f}" if not math.isnan(ms["std"]) else f"{ms['mean']:.3f}"
    if ci and not math.isnan(ms["ci_low"]):
        text += f" [{ms['ci_low']:.3f}, {ms['ci_high']:.3f}]"
    return text


def format_row(r: dict[str, Any]) -> str:
    if r["status"] != "ok":
        return f"{r['model']:<20} {r['status']}"
    cells = [f"{_cell(r['auc'], ci=True):<30}"] + [f"{_cell(r[m]):<15}" for m in TABLE_METRICS[1:]]
    return f"{r['model']:<20} " + " ".join(cells) + f" {r['auc']['n']:>4}"


def format_table(results: Sequence[dict[str, Any]]) -> str:
    """The table as printed, one block per scheme: model, then AUC mean ± std [95% t-interval], accuracy and F1
    mean ± std over folds × seeds, and n (scores averaged)."""
    header = f"{'model':<20} {'AUC [95% CI]':<30} {'accuracy':<15} {'f1':<15} {'n':>4}"
    lines = []
    for scheme in dict.fromkeys(r["scheme"] for r in results):
        block = [r for r in results if r["scheme"] == scheme]
        used = max((r["folds_used"] for r in block), default=0)
        lines += [f"{scheme} cross-validation: {used} fold(s) used, {len(block[0]['folds_skipped'])} skipped", header, "-" * len(header)]
        lines += [format_row(r) for r in block]
        lines += [f"  skipped {s['fold']}: {s['reason']}" for s in block[0]["folds_skipped"]]
    return "\n".join(lines)


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_results(results: Sequence[dict[str, Any]], info: dict[str, Any], outdir: str | os.PathLike, overwrite: bool = False) -> list[Path]:
    """``comparison.json`` (everything, per fold and seed) and ``comparison.csv`` (one line per scheme and row) in ``outdir``."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = out / "comparison.json", out / "comparison.csv"
    with atomic_output(json_path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(_nan_to_none({**info, "rows": list(results)}), indent=2))
    stats = ("mean", "std", "ci_low", "ci_high")
    with atomic_output(csv_path, overwrite=overwrite) as tmp:
        with open(tmp, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["scheme", "model", "core_encoder", "ligand_encoder", "status", "folds", "runs", "seconds"]
                            + [f"{m}_{s}" for m in CLASSIFICATION_METRICS for s in stats])
            for r in results:
                writer.writerow([r["scheme"], r["model"], r["core_encoder"], r["ligand_encoder"], r["status"], r["folds_used"], len(r["runs"]), r["seconds"]]
                                + ["" if math.isnan(r[m][s]) else f"{r[m][s]:.4f}" for m in CLASSIFICATION_METRICS for s in stats])
    return [json_path, csv_path]
