"""``colim cross-match``: does a trained model score known clusters' ligand sets higher on cores of their own metal?"""

from __future__ import annotations

import math

import click

from colim import api


def _fmt(value: float) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


@click.command("cross-match")
@click.option("--clusters", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Known clusters: a known_clusters.csv (formula, ligand_smiles, metal_family) or a cluster dataset (.h5); repeatable.")
@click.option("--model", "models", multiple=True, help="Checkpoint(s) or ensemble directory (default: the shipped model); repeatable.")
@click.option("--panel", multiple=True, type=click.Path(dir_okay=False),
              help="Template cores of one coinage metal each, transmuted to Cu, Ag and Au (default: the shipped Au25 core); repeatable.")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False), help="JSON file with every set's AUC.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def command(clusters: tuple[str, ...], models: tuple[str, ...], panel: tuple[str, ...], output: str | None, overwrite: bool) -> None:
    """Cross-matching AUC: each known cluster's ligand set scored on the panel cores made of its own metal
    against the same cores made of the other coinage metals (0.5: the core's metal does not matter).
    """
    report = api.cross_match(list(clusters), list(models) or None, list(panel) or None, output, overwrite)
    metals = ("Cu", "Ag", "Au")
    click.echo(f"{len(report['items'])} known cluster(s) on {report['templates']} template core(s) x 3 metals; "
               f"{len(report['skipped'])} row(s) left out")
    click.echo(f"cross-matching AUC {_fmt(report['auc'])} [{_fmt(report['ci_low'])}, {_fmt(report['ci_high'])}] "
               f"(mean over metals, 95% bootstrap interval over sets; over sets {_fmt(report['auc_items'])}): "
               + ", ".join(f"{m} {_fmt(report[f'auc_{m}'])} ({report[f'items_{m}']} sets)" for m in metals))
    if output:
        click.echo(f"wrote {output}")
