"""``colim evaluate``: test-set metrics of one model or a seed ensemble, with figures (PNG) and a JSON report."""

from __future__ import annotations

from pathlib import Path

import click

from colim.output_files import check_output_path
from colim.model.checkpoint import load_checkpoint, resolve_checkpoints
from colim.dataset.records import load_dataset
from colim.training.evaluation import (
    CONFUSION_PNG,
    RELIABILITY_PNG,
    REPORT_JSON,
    ROC_PNG,
    TSNE_PNG,
    EvaluationSettings,
    evaluate_models,
    format_report,
    write_report,
)


@click.command("evaluate")
@click.option("--dataset", required=True, type=click.Path(dir_okay=False), help="Matching dataset (.h5) the models were trained on.")
@click.option("--model", "models", required=True, multiple=True,
              help="Checkpoint(s): a .pt, comma-separated .pt files, or an ensemble directory from 'colim train'; repeatable.")
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "val", "test"]), help="Which split to evaluate.")
@click.option("--bootstrap", default=1000, show_default=True, help="Bootstrap resamples for the 95% confidence intervals.")
@click.option("--bins", default=10, show_default=True, help="Bins of the reliability diagram and ECE.")
@click.option("--top-k", default=5, show_default=True, help="k of the top-k stability across models.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Directory for evaluation.json and the PNG figures.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs.")
@click.option("--silent", is_flag=True, help="No progress bars or summary.")
def command(dataset: str, models: tuple[str, ...], split: str, bootstrap: int, bins: int, top_k: int, output: str,
            overwrite: bool, silent: bool) -> None:
    """AUC, accuracy, precision, recall, F1 (mean ± std over models), bootstrap 95% CIs, confusion matrix,
    ECE + reliability diagram, ROC curve, t-SNE of pair embeddings (Davies–Bouldin, Calinski–Harabasz)
    and top-k ranking stability across the models.
    """
    for name in (REPORT_JSON, ROC_PNG, RELIABILITY_PNG, CONFUSION_PNG, TSNE_PNG):
        check_output_path(Path(output) / name, overwrite)
    data = load_dataset(dataset)
    loaded = []
    for path in resolve_checkpoints(list(models)):
        model, info = load_checkpoint(path)
        info["path"] = str(path)
        loaded.append((model, info))
    report = evaluate_models(loaded, data, EvaluationSettings(split=split, n_boot=bootstrap, n_bins=bins, top_k=top_k), silent=silent)
    hashes = {i["metadata"].get("dataset_hash") for _, i in loaded}
    report["dataset_hash"] = data.content_hash()
    report["trained_on_this_dataset"] = hashes == {data.content_hash()}
    written = write_report(report, output, overwrite)
    if not silent:
        if not report["trained_on_this_dataset"]:
            click.echo("warning: some models were trained on a different dataset (content hash differs)")
        click.echo(format_report(report))
        click.echo("wrote " + ", ".join(str(p) for p in written))
