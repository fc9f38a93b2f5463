"""``colim pretrain``: pretrain a core encoder on gas-phase cluster E_form and/or gap from one or more
sources (one task per target and source); save an encoder checkpoint."""

from __future__ import annotations

import click

from colim import api
from colim.cli import options


@click.command("pretrain")
@click.option("--data", required=True, multiple=True, type=click.Path(dir_okay=False),
              help="Extended-XYZ pretraining set (.extxyz, optionally .gz); repeat for several sources (each E_form reference gets its own head).")
@click.option("--target", default=("e_form",), show_default=True, multiple=True, type=click.Choice(["e_form", "gap"]),
              help="Property to regress; repeat for both (frames lacking one are masked for it).")
@click.option("--core-encoder", default="cgcnn", show_default=True, help="Core encoder plugin name (must be trainable).")
@click.option("--core-args", default=None, callback=options.json_object, help="JSON object of core encoder init args, e.g. '{\"embedding_dim\": 64}'.")
@click.option("--epochs", default=10, show_default=True, help="Maximum epochs (early stopping on validation MAE).")
@click.option("--batch-size", default=64, show_default=True, help="Clusters per batch.")
@click.option("--lr", default=1e-3, show_default=True, help="Adam learning rate.")
@click.option("--patience", default=5, show_default=True, help="Stop after this many epochs without a better validation MAE.")
@click.option("--seed", default=0, show_default=True, help="Seed of the split, initialisation and shuffling.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Use a random subset of LIMIT clusters of each file, drawn with --seed (files are often sorted by size).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Encoder checkpoint (.pt) to write.")
@click.option("--overwrite", is_flag=True, help="Replace an existing checkpoint.")
@click.option("--silent", is_flag=True, help="No progress bars or summary.")
def command(data: tuple[str, ...], target: tuple[str, ...], core_encoder: str, core_args: dict, epochs: int, batch_size: int, lr: float, patience: int,
            seed: int, limit: int | None, output: str, overwrite: bool, silent: bool) -> None:
    """Train a core encoder with an MLP regression head on a held-out 80/10/10 split.

    Prints the test MAE/MSE next to a mean predictor's (always the training mean), per task and
    metal group, and saves the encoder alone; 'colim train --pretrained-core' fine-tunes from it.
    """
    config = dict(epochs=epochs, batch_size=batch_size, lr=lr, patience=patience)
    result = api.pretrain(list(data), output, target=list(target), core_encoder=core_encoder, core_args=core_args, seed=seed, limit=limit,
                          overwrite=overwrite, progress=not silent, **config)
    if not silent:
        t, b = result.test_metrics, result.baseline_metrics
        sizes = result.split_sizes
        click.echo(f"{result.target}: {sum(sizes.values())} clusters (train {sizes['train']}, val {sizes['val']}, test {sizes['test']}), best epoch {result.best_epoch}")
        click.echo(f"test MAE {t['mae']:.4f}  MSE {t['mse']:.5f}   mean predictor: MAE {b['mae']:.4f}  MSE {b['mse']:.5f}")
        if len(result.tasks) > 1 or any(len(r["groups"]) > 1 for r in result.tasks.values()):
            for name, row in result.tasks.items():
                for group, g in row["groups"].items():
                    click.echo(f"  {name} {group}: n {g['n']}  test MAE {g['mae']:.4f}   mean predictor MAE {g['mean_predictor_mae']:.4f}")
        click.echo(f"encoder checkpoint -> {output}")
