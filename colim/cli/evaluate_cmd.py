"""``colim evaluate``: test-set metrics of one model or a seed ensemble, with figures (PNG) and a JSON report."""

from __future__ import annotations

import click

from colim import api


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
    report = api.evaluate(dataset, list(models), output, split=split, bootstrap=bootstrap, bins=bins, top_k=top_k,
                          overwrite=overwrite, progress=not silent)
    if not silent:
        if not report["trained_on_this_dataset"]:
            click.echo("warning: some models were trained on a different dataset (content hash differs)")
        click.echo(api.format_evaluation(report))
        click.echo("wrote " + ", ".join(report["files"]))
