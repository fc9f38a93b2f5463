"""``colim core-lift``: does the core change the answer? Per-metal AUC, core lift and the baselines, cross-validated."""

from __future__ import annotations

from pathlib import Path

import click

from colim import api
from colim.cli import options


@click.command("core-lift")
@click.option("--dataset", required=True, type=click.Path(dir_okay=False), help="Matching dataset (.h5) with Cu/Ag/Au cores and metal-conditional labels.")
@options.encoder_options
@click.option("--rows", default=",".join(api.CORE_LIFT_ROWS), show_default=True, help="Comma-separated rows to run.")
@click.option("--cv", default="scaffold", show_default=True, help="Cross-validation scheme: scaffold (ligand Murcko scaffolds never on both sides), grouped, family, metal or split.")
@click.option("--folds", "k", default=5, show_default=True, type=click.IntRange(3), help="Number of folds.")
@click.option("--fold-seed", default=0, show_default=True, help="Seed that deals the groups into folds.")
@click.option("--clusters", multiple=True, type=click.Path(dir_okay=False),
              help="Known clusters for cross-matching: a known_clusters.csv or a cluster dataset (.h5); repeatable.")
@click.option("--panel", multiple=True, type=click.Path(dir_okay=False),
              help="Cross-matching template cores (one coinage metal each; default: each metal's most used dataset core); repeatable.")
@options.training_options
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Directory for core_lift.json.")
@click.option("--overwrite", is_flag=True, help="Replace an existing core_lift.json.")
@click.option("--silent", is_flag=True, help="No progress lines; print only the final table.")
def command(dataset: str, core_encoder: str, ligand_encoder: str, core_args: dict, ligand_args: dict, pretrained_core: str | None,
            rows: str, cv: str, k: int, fold_seed: int, clusters: tuple[str, ...], panel: tuple[str, ...], epochs: int, batch_size: int,
            lr: float, patience: int, hidden_dims: tuple[int, ...], dropout: float, seeds: list[int], output: str, overwrite: bool,
            silent: bool) -> None:
    """Train the model (core + ligands) and its baselines (ligand only, additive ligand + metal, metal prior,
    XGBoost on fingerprint + metal) on the same folds and seeds; print per-metal AUC, metal-blind AUC, core
    lift and cross-matching AUC as mean ± std [95% CI] over folds × seeds, and the model's paired differences.
    """
    report = api.core_lift(dataset, output, core_encoder=core_encoder, ligand_encoder=ligand_encoder, core_args=core_args,
                           ligand_args=ligand_args, pretrained_core=pretrained_core, seeds=seeds, folds=k, cv=cv, fold_seed=fold_seed,
                           rows=[r.strip() for r in rows.split(",") if r.strip()], clusters=list(clusters), panel=list(panel) or None,
                           overwrite=overwrite, progress=False, log=None if silent else click.echo, epochs=epochs, batch_size=batch_size,
                           lr=lr, patience=patience, hidden_dims=hidden_dims, dropout=dropout)
    click.echo(f"{report['pairs']} pairs; cross-matching: {report['cross_matching']['items']} known cluster(s)")
    click.echo(api.format_core_lift(report))
    if not silent:
        click.echo(f"results -> {Path(output) / 'core_lift.json'}")
