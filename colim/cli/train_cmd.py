"""``colim train``: fine-tune the dual-encoder model on a matching dataset, one checkpoint per seed."""

from __future__ import annotations

import click

from colim import api
from colim.cli import options


@click.command("train")
@click.option("--dataset", required=True, type=click.Path(dir_okay=False), help="Matching dataset (.h5) from 'colim dataset build'.")
@options.encoder_options
@click.option("--init-model", type=click.Path(dir_okay=False), default=None,
              help="Start from this trained model (.pt), e.g. the pair model trained on a MetaLig dataset: pair pretraining, then fine-tuning.")
@options.training_options
@click.option("-o", "--output", required=True, help="Checkpoint (.pt) for one seed, or a directory for several (seed-N.pt + ensemble.json).")
@click.option("--overwrite", is_flag=True, help="Replace existing checkpoints.")
@click.option("--silent", is_flag=True, help="No progress bars or summary.")
def command(dataset: str, core_encoder: str, ligand_encoder: str, core_args: dict, ligand_args: dict,
            pretrained_core: str | None, init_model: str | None, epochs: int, batch_size: int, lr: float, patience: int, hidden_dims: tuple[int, ...], dropout: float,
            seeds: list[int], output: str, overwrite: bool, silent: bool) -> None:
    """Fine-tune core encoder + ligand encoder + head with BCE and Adam, early-stopped on validation AUC.

    Each seed fixes the initialisation, dropout and shuffling, so a run is repeatable.
    """

    def report(member: api.TrainedMember) -> None:
        if not silent:
            val = member.val_metrics
            click.echo(f"seed {member.seed}: best epoch {member.best_epoch}/{member.epochs_run}, val AUC {val.get('auc', float('nan')):.3f}, "
                       f"val accuracy {val.get('accuracy', float('nan')):.3f} -> {member.path}")

    trained = api.train(dataset, output, core_encoder=core_encoder, ligand_encoder=ligand_encoder, core_args=core_args,
                        ligand_args=ligand_args, pretrained_core=pretrained_core, init_model=init_model, seeds=seeds, overwrite=overwrite, progress=not silent,
                        on_member=report, epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, hidden_dims=hidden_dims, dropout=dropout)
    if trained.manifest is not None and not silent:
        click.echo(f"ensemble manifest -> {trained.manifest}")
