"""``colim compare``: every row of the CoLiM paper's Table 1 and its baselines, cross-validated on the same folds and seeds."""

from __future__ import annotations

from pathlib import Path

import click

from colim import api
from colim.cli import options


@click.command("compare")
@click.option("--dataset", required=True, type=click.Path(dir_okay=False), help="Matching dataset (.h5) from 'colim dataset build'.")
@click.option("--pretrained-core", type=click.Path(dir_okay=False), default=None, help="cgcnn checkpoint from 'colim pretrain' for the 'CoLiM (pretrained)' row.")
@click.option("--core-args", default=None, callback=options.json_object, help="JSON init args of the graph encoders trained from scratch, e.g. '{\"embedding_dim\": 64}'.")
@click.option("--colim-ligand-encoder", default=api.DEFAULT_COLIM_LIGAND_ENCODER, show_default=True, help="Ligand encoder of the CoLiM rows (the paper's is unimol).")
@click.option("--rows", default=None, help="Comma-separated substrings of row names to run (default: every row).")
@click.option("--cv", default="grouped", show_default=True,
              help=f"Comma-separated cross-validation schemes: {', '.join(api.CV_SCHEMES)} (grouped k-fold over core-geometry groups, "
                   "leave-one-ligand-family-out, leave-one-metal-out, the dataset's own split).")
@click.option("--folds", "k", default=5, show_default=True, type=click.IntRange(3), help="Folds of the grouped scheme.")
@options.training_options
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Directory for comparison.csv and comparison.json.")
@click.option("--overwrite", is_flag=True, help="Replace existing results.")
@click.option("--silent", is_flag=True, help="No progress bars; print only the final table.")
def command(dataset: str, pretrained_core: str | None, core_args: dict, colim_ligand_encoder: str, rows: str | None, cv: str, k: int,
            epochs: int, batch_size: int, lr: float, patience: int, hidden_dims: tuple[int, ...], dropout: float, seeds: list[int],
            output: str, overwrite: bool, silent: bool) -> None:
    """Train and test MBTR/SOAP/ACSF + XGBoost, CGCNN, SchNet, GIN, CoLiM scratch and CoLiM pretrained,
    and the baselines ligand only, core only, family prior and constant 0.5.

    All rows use the same folds and seeds; the table shows the test-set mean ± std and a 95% Student-t
    interval over fold × seed scores. Descriptor rows need the colim-dscribe plugin, else they say
    "not installed"; folds without positives or negatives on a side are skipped with the reason.
    """
    result = api.compare(dataset, output, seeds=seeds, pretrained_core=pretrained_core, core_args=core_args, colim_ligand_encoder=colim_ligand_encoder,
                         rows=rows.split(",") if rows else None, cv=cv, folds=k, overwrite=overwrite, progress=not silent,
                         log=None if silent else click.echo, epochs=epochs, batch_size=batch_size, lr=lr, patience=patience,
                         hidden_dims=hidden_dims, dropout=dropout)
    click.echo(f"{result['pairs']} pairs, {result['groups']} core-geometry groups; seeds {','.join(map(str, seeds))}; "
               f"mean ± std [95% t-interval] over folds × seeds")
    click.echo(api.format_comparison(result["rows"]))
    if not silent:
        click.echo(f"results -> {Path(output) / 'comparison.csv'}, {Path(output) / 'comparison.json'}")
