"""``colim train``: fine-tune the dual-encoder model on a matching dataset, one checkpoint per seed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from colim.output_files import check_output_path
from colim.model.checkpoint import save_checkpoint, write_ensemble_manifest
from colim.model.domain import build_reference
from colim.dataset.records import load_dataset
from colim.errors import ColimError
from colim.training.batching import featurize_cores
from colim.training.trainer import ModelSpec, TrainConfig, fit
from colim.plugin_manager import create_core_encoder


class OptionError(ColimError):
    """A command-line option value that cannot be parsed."""


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` → ``[0, 1, 2]``; refuses anything else in one line."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise OptionError(f"--seeds must be comma-separated integers, got '{text}'") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise OptionError(f"--seeds must list distinct integers, got '{text}'")
    return seeds


def parse_json_args(text: str | None, option: str) -> dict:
    """A JSON object given on the command line (encoder init args)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise OptionError(f"{option} must be a JSON object, e.g. '{{\"embedding_dim\": 64}}' ({exc})") from None
    if not isinstance(value, dict):
        raise OptionError(f"{option} must be a JSON object, e.g. '{{\"embedding_dim\": 64}}'")
    return value


def parse_dims(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.split(",") if d.strip())
    except ValueError:
        raise OptionError(f"--hidden-dims must be comma-separated integers, got '{text}'") from None
    if not dims or min(dims) < 1:
        raise OptionError(f"--hidden-dims must be positive integers, got '{text}'")
    return dims


def member_paths(output: str, seeds: list[int]) -> tuple[list[Path], Path | None]:
    """Checkpoint paths per seed: ``output`` itself for one seed and a ``.pt`` name, else ``output/seed-N.pt``."""
    out = Path(output)
    if out.suffix == ".pt":
        if len(seeds) > 1:
            raise OptionError(f"--seeds trains {len(seeds)} models: give -o a directory (one checkpoint per seed), not {out.name}")
        return [out], None
    return [out / f"seed-{seed}.pt" for seed in seeds], out


def training_options(f):
    """Options shared by ``train`` and ``compare``."""
    for option in reversed([
        click.option("--epochs", default=60, show_default=True, help="Maximum epochs."),
        click.option("--batch-size", default=32, show_default=True, help="Pairs per batch."),
        click.option("--lr", default=1e-3, show_default=True, help="Adam learning rate."),
        click.option("--patience", default=10, show_default=True, help="Stop after this many epochs without a better validation AUC."),
        click.option("--hidden-dims", default="256,128", show_default=True, help="Head MLP widths."),
        click.option("--dropout", default=0.2, show_default=True, help="Dropout after the BatchNorm."),
        click.option("--seeds", default="0", show_default=True, help="Comma-separated seeds; one model per seed."),
    ]):
        f = option(f)
    return f


@click.command("train")
@click.option("--dataset", required=True, type=click.Path(dir_okay=False), help="Matching dataset (.h5) from 'colim dataset build'.")
@click.option("--core-encoder", default="cgcnn", show_default=True, help="Core encoder plugin name (see 'colim plugins').")
@click.option("--ligand-encoder", default="fingerprint", show_default=True, help="Ligand encoder plugin name.")
@click.option("--core-args", default=None, help="JSON object of core encoder init args, e.g. '{\"embedding_dim\": 64}'.")
@click.option("--ligand-args", default=None, help="JSON object of ligand encoder init args.")
@click.option("--pretrained-core", type=click.Path(dir_okay=False), default=None, help="Core encoder checkpoint from 'colim pretrain' (must match --core-encoder).")
@training_options
@click.option("-o", "--output", required=True, help="Checkpoint (.pt) for one seed, or a directory for several (seed-N.pt + ensemble.json).")
@click.option("--overwrite", is_flag=True, help="Replace existing checkpoints.")
@click.option("--silent", is_flag=True, help="No progress bars or summary.")
def command(dataset: str, core_encoder: str, ligand_encoder: str, core_args: str | None, ligand_args: str | None,
            pretrained_core: str | None, epochs: int, batch_size: int, lr: float, patience: int, hidden_dims: str, dropout: float,
            seeds: str, output: str, overwrite: bool, silent: bool) -> None:
    """Fine-tune core encoder + ligand encoder + head with BCE and Adam, early-stopped on validation AUC.

    Each seed fixes the initialisation, dropout and shuffling, so a run is repeatable. Every checkpoint
    carries its applicability-domain reference: the elements and ligand families of the training split,
    the training embeddings and distance thresholds calibrated on the validation split.
    """
    seed_list = parse_seeds(seeds)
    paths, directory = member_paths(output, seed_list)
    for path in paths:
        check_output_path(path, overwrite)
    if pretrained_core and core_args:
        raise OptionError("--core-args cannot be combined with --pretrained-core (the checkpoint fixes the core encoder's args)")
    spec = ModelSpec(core_encoder, ligand_encoder, parse_json_args(core_args, "--core-args"),
                     parse_json_args(ligand_args, "--ligand-args"), pretrained_core)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, hidden_dims=parse_dims(hidden_dims), dropout=dropout)
    data = load_dataset(dataset)
    features = None
    if not pretrained_core:
        features = featurize_cores(create_core_encoder(core_encoder, **spec.core_args), data.cores, silent=silent)
    for seed, path in zip(seed_list, paths):
        result, metadata = fit(data, spec, config, seed, silent=silent, features=features)
        metadata.update(dataset_path=str(dataset))
        result.model.domain_reference = build_reference(result.model, data).to_payload()
        save_checkpoint(result.model, path, metadata, overwrite=overwrite)
        if not silent:
            val = result.val_metrics
            click.echo(f"seed {seed}: best epoch {result.best_epoch}/{len(result.history)}, val AUC {val.get('auc', float('nan')):.3f}, "
                       f"val accuracy {val.get('accuracy', float('nan')):.3f} -> {path}")
    if directory is not None:
        manifest = write_ensemble_manifest(directory, [p.name for p in paths],
                                           {"seeds": seed_list, "core_encoder": core_encoder, "ligand_encoder": ligand_encoder,
                                            "dataset_hash": data.content_hash()}, overwrite=overwrite)
        if not silent:
            click.echo(f"ensemble manifest -> {manifest}")
