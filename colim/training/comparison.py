"""Every row of the CoLiM paper's Table 1 on one dataset, one grouped split and the same seeds.

Rows: MBTR/SOAP/ACSF + XGBoost (descriptor of the core ⊕ ligand-set fingerprint; need the
colim-dscribe plugin), CGCNN, SchNet and GIN (each a core encoder + the fingerprint ligand encoder,
trained from scratch), CoLiM from scratch (cgcnn + the CoLiM ligand encoder) and CoLiM pretrained
(the same, its core encoder loaded from a ``colim pretrain`` checkpoint).
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

from colim.output_files import atomic_output
from colim.dataset.records import MatchingDataset
from colim.plugin_manager import core_encoders, create_core_encoder
from colim.training import baselines
from colim.training.batching import featurize_cores
from colim.training.metrics import CLASSIFICATION_METRICS, classification_metrics, mean_std
from colim.training.trainer import ModelSpec, TrainConfig, fit, predict

#: ligand encoder of the CoLiM rows when none is given (Uni-Mol needs downloaded weights).
DEFAULT_COLIM_LIGAND_ENCODER = "molgnn"
#: table columns (metric means ± std over seeds).
TABLE_METRICS = ("auc", "accuracy", "f1")


@dataclass(frozen=True)
class MethodRow:
    """One row of Table 1: a descriptor + XGBoost model or a neural dual encoder."""

    label: str
    core_encoder: str
    ligand_encoder: str | None  # None: XGBoost on descriptor ⊕ fingerprint
    pretrained: bool = False


def table1_rows(colim_ligand_encoder: str = DEFAULT_COLIM_LIGAND_ENCODER) -> list[MethodRow]:
    """The eight rows of Table 1, in the paper's order."""
    fp = baselines.FINGERPRINT_ENCODER
    return [
        MethodRow("MBTR + XGBoost", "mbtr", None),
        MethodRow("SOAP + XGBoost", "soap", None),
        MethodRow("ACSF + XGBoost", "acsf", None),
        MethodRow("CGCNN", "cgcnn", fp),
        MethodRow("SchNet", "schnet", fp),
        MethodRow("GIN", "gin", fp),
        MethodRow("CoLiM (scratch)", "cgcnn", colim_ligand_encoder),
        MethodRow("CoLiM (pretrained)", "cgcnn", colim_ligand_encoder, pretrained=True),
    ]


def _summary(row: MethodRow, status: str, per_seed: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"model": row.label, "core_encoder": row.core_encoder, "ligand_encoder": row.ligand_encoder or "fingerprint (XGBoost)",
                           "status": status, "per_seed": per_seed, "seconds": round(seconds, 1)}
    for m in CLASSIFICATION_METRICS:
        out[m] = mean_std([r[m] for r in per_seed]) if per_seed else {"mean": float("nan"), "std": float("nan")}
    return out


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
) -> list[dict[str, Any]]:
    """Train and test every row on ``dataset``'s split for each seed; returns one summary dict per row.

    ``core_args`` apply to the graph encoders trained from scratch; ``rows`` keeps only rows whose
    label contains one of the given strings (case-insensitive). A row that cannot run says why in
    ``status`` ("not installed", "no --pretrained-core given").
    """
    test = dataset.split_pairs("test")
    y = np.array([p.label for p in test])
    results = []
    for row in table1_rows(colim_ligand_encoder):
        if rows and not any(r.lower() in row.label.lower() for r in rows):
            continue
        start = time.perf_counter()
        if row.core_encoder not in core_encoders():
            results.append(_summary(row, "not installed" if row.ligand_encoder is None else f"core encoder '{row.core_encoder}' not installed", [], 0.0))
            continue
        if row.pretrained and not pretrained_core:
            results.append(_summary(row, "no --pretrained-core given", [], 0.0))
            continue
        per_seed = []
        if row.ligand_encoder is None:
            descriptors = baselines.core_descriptors(row.core_encoder, dataset, silent=silent)
            for seed in seeds:
                model = baselines.fit_xgboost(descriptors, dataset, seed)
                per_seed.append({"seed": seed, **classification_metrics(y, baselines.predict_xgboost(model, descriptors, test))})
        else:
            spec = ModelSpec(row.core_encoder, row.ligand_encoder, {} if row.pretrained else dict(core_args or {}), {},
                             pretrained_core if row.pretrained else None)
            features = None if row.pretrained else featurize_cores(create_core_encoder(row.core_encoder, **spec.core_args), dataset.cores)
            for seed in seeds:
                result, _ = fit(dataset, spec, config, seed, silent=silent, features=features)
                feats = features if features is not None else featurize_cores(result.model.core_encoder, dataset.cores)
                prob = predict(result.model, feats, test)
                per_seed.append({"seed": seed, "best_epoch": result.best_epoch, **classification_metrics(y, prob)})
        summary = _summary(row, "ok", per_seed, time.perf_counter() - start)
        results.append(summary)
        if log is not None:
            log(format_row(summary))
    return results


def _cell(ms: dict[str, float]) -> str:
    if math.isnan(ms["mean"]):
        return "—"
    return f"{ms['mean']:.3f} ± {ms['std']:.3f}"


def format_row(r: dict[str, Any]) -> str:
    cells = [_cell(r[m]) for m in TABLE_METRICS] if r["status"] == "ok" else [r["status"], "", ""]
    return f"{r['model']:<20} " + " ".join(f"{c:<15}" for c in cells)


def format_table(results: Sequence[dict[str, Any]]) -> str:
    """The table as printed: model, then mean ± std over seeds of AUC, accuracy and F1."""
    header = f"{'model':<20} " + " ".join(f"{m.upper() if m == 'auc' else m:<15}" for m in TABLE_METRICS)
    return "\n".join([header, "-" * len(header)] + [format_row(r) for r in results])


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_results(results: Sequence[dict[str, Any]], info: dict[str, Any], outdir: str | os.PathLike, overwrite: bool = False) -> list[Path]:
    """``comparison.json`` (everything, per seed) and ``comparison.csv`` (one line per row) in ``outdir``."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = out / "comparison.json", out / "comparison.csv"
    with atomic_output(json_path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(_nan_to_none({**info, "rows": list(results)}), indent=2))
    with atomic_output(csv_path, overwrite=overwrite) as tmp:
        with open(tmp, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["model", "core_encoder", "ligand_encoder", "status", "seeds", "seconds"]
                            + [f"{m}_{s}" for m in CLASSIFICATION_METRICS for s in ("mean", "std")])
            for r in results:
                writer.writerow([r["model"], r["core_encoder"], r["ligand_encoder"], r["status"], len(r["per_seed"]), r["seconds"]]
                                + ["" if math.isnan(r[m][s]) else f"{r[m][s]:.4f}" for m in CLASSIFICATION_METRICS for s in ("mean", "std")])
    return [json_path, csv_path]
