"""Evaluating trained models (one per seed) on a dataset's test split: every metric of the paper.

Per model: AUC, accuracy, precision, recall, F1 (then mean ± std over models). For the ensemble
(mean probability): bootstrap 95% CIs, confusion matrix, ECE and reliability bins, ROC curve. For
the first model: t-SNE of pair embeddings with Davies–Bouldin and Calinski–Harabasz indices of the
label clusters. Across models: top-k stability of the per-core ligand-set rankings.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from sklearn.manifold import TSNE
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

from colim.dataset.records import MatchingDataset, PairRecord
from colim.evaluation import plots
from colim.io.output_files import atomic_output
from colim.model.dual_encoder import CoLiMModel
from colim.model.members import ModelMember
from colim.structures.ligands import LigandSet
from colim.training.batching import featurize_cores
from colim.evaluation.metrics import (
    CLASSIFICATION_METRICS,
    bootstrap_ci,
    calibration,
    classification_metrics,
    confusion,
    mean_std,
    ranking_stability,
    safe_auc,
)
from colim.training.trainer import model_device, pair_embeddings, predict

#: files ``evaluate`` writes into its output directory.
REPORT_JSON = "evaluation.json"
ROC_PNG = "roc.png"
RELIABILITY_PNG = "reliability.png"
CONFUSION_PNG = "confusion.png"
TSNE_PNG = "tsne.png"


@dataclass
class EvaluationSettings:
    """Knobs of :func:`evaluate_models`."""

    split: str = "test"
    n_boot: int = 1000
    n_bins: int = 10
    top_k: int = 5
    threshold: float = 0.5
    seed: int = 0


def _metric_fns() -> dict[str, Any]:
    def at(name: str):
        return lambda y, p: classification_metrics(y, p)[name]

    fns = {name: at(name) for name in CLASSIFICATION_METRICS}
    fns["auc"] = safe_auc
    return fns


def embedding_clusters(embeddings: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """t-SNE of ``embeddings`` to 2-D, plus Davies–Bouldin and Calinski–Harabasz indices of the label clusters.

    Indices are computed on the embeddings themselves (not the t-SNE map); NaN when only one label occurs.
    """
    n = len(embeddings)
    out: dict[str, Any] = {"davies_bouldin": float("nan"), "calinski_harabasz": float("nan"), "points": np.zeros((n, 2))}
    if n < 3:
        return out
    if len(np.unique(labels)) > 1:
        out["davies_bouldin"] = float(davies_bouldin_score(embeddings, labels))
        out["calinski_harabasz"] = float(calinski_harabasz_score(embeddings, labels))
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3)))
    out["points"] = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(embeddings)
    return out


@torch.no_grad()
def score_matrix(model: CoLiMModel, features: Sequence[Any], core_indices: Sequence[int], sets: Sequence[LigandSet]) -> np.ndarray:
    """P(compatible) of every (core, ligand set) combination, ``[len(core_indices), len(sets)]``."""
    model.eval()
    device = model_device(model)
    h_sets = model.ligand_encoder(list(sets))
    rows = []
    for ci in core_indices:
        h_core = model.core_encoder(model.core_encoder.to_device(model.core_encoder.collate([features[ci]]), device))
        logits = model.head(h_core.expand(len(sets), -1), h_sets)
        rows.append(torch.sigmoid(logits).double().cpu().numpy())
    return np.stack(rows) if rows else np.zeros((0, len(sets)))


def evaluate_models(
    models: Sequence[ModelMember],
    dataset: MatchingDataset,
    settings: EvaluationSettings | None = None,
    silent: bool = True,
) -> dict[str, Any]:
    """Every metric of the module docstring on ``settings.split``; returns a JSON-ready dict.

    Arrays needed for figures are kept under the ``"_arrays"`` key (dropped before saving).
    """
    s = settings or EvaluationSettings()
    pairs: list[PairRecord] = dataset.split_pairs(s.split)
    y = np.array([p.label for p in pairs], dtype=int)
    per_model, probs, feats_first, seeds = [], [], None, []
    for i, (model, info) in enumerate((m.model, m.info) for m in models):
        feats = featurize_cores(model.core_encoder, dataset.cores, silent=silent)
        feats_first = feats if i == 0 else feats_first
        prob = predict(model, feats, pairs) if pairs else np.zeros(0)
        probs.append(prob)
        seed = info.get("metadata", {}).get("seed")
        seeds.append(seed)
        per_model.append({"seed": seed, "checkpoint": info.get("path"), **classification_metrics(y, prob, s.threshold)})
    report: dict[str, Any] = {
        "split": s.split,
        "pairs": len(pairs),
        "positives": int(y.sum()),
        "models": per_model,
        "summary": {m: mean_std([row[m] for row in per_model]) for m in CLASSIFICATION_METRICS},
    }
    ensemble = np.mean(probs, axis=0) if probs else np.zeros(0)
    report["ensemble"] = classification_metrics(y, ensemble, s.threshold) if len(pairs) else {}
    report["bootstrap_ci95"] = {
        name: list(bootstrap_ci(y, ensemble, fn, n_boot=s.n_boot, seed=s.seed)) for name, fn in _metric_fns().items()
    } if len(pairs) else {}
    report["confusion_matrix"] = confusion(y, ensemble, s.threshold) if len(pairs) else [[0, 0], [0, 0]]
    ece, bins = calibration(y, ensemble, s.n_bins)
    report["ece"], report["reliability_bins"] = ece, bins
    model0 = models[0].model
    emb = pair_embeddings(model0, feats_first, pairs) if pairs else np.zeros((0, 1))
    clusters = embedding_clusters(emb, y, s.seed)
    report["embedding_clusters"] = {"davies_bouldin": clusters["davies_bouldin"], "calinski_harabasz": clusters["calinski_harabasz"],
                                    "model_seed": seeds[0], "pairs": len(pairs)}
    report["topk_stability"] = _stability(models, dataset, pairs, s.top_k, silent)
    report["_arrays"] = {"y": y, "probs": probs, "ensemble": ensemble, "tsne": clusters["points"], "seeds": seeds}
    return report


def _stability(models: Sequence[ModelMember], dataset: MatchingDataset, pairs: Sequence[PairRecord],
               k: int, silent: bool) -> dict[str, Any]:
    """Ranking agreement between models over every (split core × dataset ligand set) combination."""
    cores = sorted({p.core_index for p in pairs})
    by_key = {p.ligand_set.key: p.ligand_set.smiles for p in dataset.pairs}
    sets = [LigandSet.of(list(by_key[key])) for key in sorted(by_key)]
    if len(models) < 2 or not cores or len(sets) < 2:
        return {"k": k, "overlap_at_k": float("nan"), "spearman": float("nan"), "cores": len(cores), "ligand_sets": len(sets),
                "model_pairs": 0, "note": "needs at least two models, one core and two ligand sets"}
    matrices = [score_matrix(m, featurize_cores(m.core_encoder, dataset.cores, silent=silent), cores, sets) for m in (member.model for member in models)]
    return {**ranking_stability(matrices, k), "cores": len(cores), "ligand_sets": len(sets)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k != "_arrays"}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return _jsonable(value.item())
    return value


def write_report(report: dict[str, Any], outdir: str | os.PathLike, overwrite: bool = False) -> list[Path]:
    """Write ``evaluation.json`` (NaN as null) and the PNG figures into ``outdir``; returns the paths."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    arrays = report["_arrays"]
    written = []
    target = out / REPORT_JSON
    with atomic_output(target, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(_jsonable(report), indent=2))
    written.append(target)
    curves = [(f"seed {seed}", arrays["y"], p) for seed, p in zip(arrays["seeds"], arrays["probs"])]
    if len(arrays["probs"]) > 1:
        curves.append(("ensemble", arrays["y"], arrays["ensemble"]))
    plots.plot_roc(curves, out / ROC_PNG, overwrite)
    plots.plot_reliability(report["reliability_bins"], report["ece"], out / RELIABILITY_PNG, overwrite)
    plots.plot_confusion(report["confusion_matrix"], out / CONFUSION_PNG, overwrite)
    ec = report["embedding_clusters"]
    plots.plot_tsne(arrays["tsne"], arrays["y"], f"t-SNE of pair embeddings (DB {ec['davies_bouldin']:.2f}, CH {ec['calinski_harabasz']:.1f})",
                    out / TSNE_PNG, overwrite)
    written += [out / ROC_PNG, out / RELIABILITY_PNG, out / CONFUSION_PNG, out / TSNE_PNG]
    return written


def format_report(report: dict[str, Any]) -> str:
    """Human-readable summary lines of an evaluation report."""
    lines = [f"{report['split']} split: {report['pairs']} pairs ({report['positives']} positive), {len(report['models'])} model(s)"]
    for name in CLASSIFICATION_METRICS:
        ms = report["summary"][name]
        ci = report["bootstrap_ci95"].get(name, [float("nan")] * 2)
        lines.append(f"  {name:<9} {ms['mean']:.3f} ± {ms['std']:.3f}   ensemble 95% CI [{ci[0]:.3f}, {ci[1]:.3f}]")
    (tn, fp), (fn, tp) = report["confusion_matrix"]
    lines.append(f"  confusion (ensemble): TN {tn}  FP {fp}  FN {fn}  TP {tp}")
    lines.append(f"  ECE {report['ece']:.3f}")
    ec = report["embedding_clusters"]
    lines.append(f"  pair embeddings: Davies–Bouldin {ec['davies_bouldin']:.3f}, Calinski–Harabasz {ec['calinski_harabasz']:.2f}")
    st = report["topk_stability"]
    lines.append(f"  top-{st['k']} stability across models: overlap@{st['k']} {st['overlap_at_k']:.3f}, "
                 f"Spearman {st['spearman']:.3f} ({st['cores']} cores × {st['ligand_sets']} ligand sets, {st['model_pairs']} model pair(s))")
    return "\n".join(lines)
