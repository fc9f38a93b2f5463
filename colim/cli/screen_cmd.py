"""``colim screen``: rank the top-k ligand sets of every core of a core library."""

from __future__ import annotations

import click

from colim import api
from colim.cli.options import POSITIVE_FLOAT, POSITIVE_INT
from colim.cli.warning_lines import echo_warnings


@click.command("screen")
@click.option("--core-lib", type=click.Path(dir_okay=False), help="Core library (.h5) from 'colim library cores' or 'colim edit enumerate' (default: the shipped reference cores).")
@click.option("--ligand-lib", type=click.Path(dir_okay=False), help="Ligand library (.h5) from 'colim library ligands' (default: the shipped ligand library).")
@click.option("--model", "models", multiple=True,
              help="Checkpoint (.pt), ensemble directory or manifest from 'colim train --seeds'; repeat for an ensemble (default: the shipped model). "
                   "An ensemble's hits get spread and rank stability.")
@click.option("--ensemble", "ensembles", multiple=True, type=click.Path(), hidden=True,
              help="Deprecated: give the ensemble directory or manifest to --model.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Hits file: .csv, .parquet or .h5.")
@click.option("--top-k", type=POSITIVE_INT, default=10, show_default=True, help="Ligand sets kept per core.")
@click.option("--stability-depth", "depth", type=POSITIVE_INT, default=None, help="Per-member list length for rank stability (default 2 × top-k).")
@click.option("--depth", "old_depth", type=POSITIVE_INT, default=None, hidden=True, help="Deprecated name of --stability-depth.")
@click.option("--train-dataset", type=click.Path(dir_okay=False), help="Dataset (.h5) whose training split defines the applicability domain (default: the reference stored in the first model's checkpoint).")
@click.option("--device", default="auto", type=click.Choice(["auto", "cpu", "cuda"]), show_default=True, help="Where to score.")
@click.option("--memory-mb", type=POSITIVE_FLOAT, default=None, help="Working memory of the scorer: one set block and its tiles (default 128 MiB on CPU, 4 GiB on GPU); libraries are read in blocks.")
@click.option("--block-size", "block_pairs", type=POSITIVE_INT, default=None, help="Pairs per tile (overrides --memory-mb).")
@click.option("--core-block", type=POSITIVE_INT, default=None, help="Cores per task (default: about 4 million pairs per task).")
@click.option("--workers", type=POSITIVE_INT, default=None, help="Run on a local Dask cluster of N worker processes (same hits as one process).")
@click.option("--scheduler", default=None, help="Run on the existing Dask cluster at this address (e.g. tcp://host:8786); its workers read the libraries at the same paths.")
@click.option("--set-block", type=POSITIVE_INT, default=None, help="Sets per task (default: what --memory-mb allows).")
@click.option("--restart", is_flag=True, help="Discard a saved state of an earlier, different screen.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--silent", is_flag=True, help="No progress bar or summary.")
def command(core_lib: str | None, ligand_lib: str | None, models: tuple[str, ...], ensembles: tuple[str, ...], output: str, top_k: int, depth: int | None,
            old_depth: int | None, train_dataset: str | None,
            device: str, memory_mb: float | None, block_pairs: int | None, core_block: int | None, workers: int | None, scheduler: str | None,
            set_block: int | None, restart: bool, overwrite: bool, silent: bool) -> None:
    """Score every core × every ligand set without re-encoding and write the top-k sets per core.

    Without --core-lib, --ligand-lib or --model the shipped defaults under libraries/ are used. An
    interrupted screen (Ctrl-C) keeps its finished blocks in OUTPUT.state/; the same command resumes it.
    """
    if workers and scheduler:
        raise click.UsageError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    if old_depth is not None:  # 'colim edit enumerate --depth' counts edits; here it was a list length: renamed
        click.echo("note: screen --depth is now --stability-depth", err=True)
        depth = depth or old_depth
    if ensembles:
        click.echo("note: screen --ensemble is now --model (which takes ensembles too)", err=True)
    dev = api.resolve_device(device)
    result = api.screen(core_lib, ligand_lib, list(models + ensembles) or None, output, train_dataset=train_dataset, progress=not silent,
                        top_k=top_k, depth=depth, device=dev, memory_mb=memory_mb, block_pairs=block_pairs, core_block=core_block, restart=restart,
                        overwrite=overwrite, workers=workers, scheduler=scheduler, set_block=set_block)
    if not silent:
        s = result.summary
        where = f"{workers} Dask workers" if workers else f"Dask scheduler {scheduler}" if scheduler else dev
        click.echo(f"{output}: top {s['top_k']} of {s['sets']:,} ligand sets for {s['cores']} cores ({s['pairs']:,} pairs, {s['members']} model(s), {where})")
        if result.core_effect_line:
            click.echo(result.core_effect_line)
        if s["members"] > 1:
            click.echo(f"ensemble agreement: overlap@{s['top_k']} mean {s['overlap_at_k_mean']:.3f} (min {s['overlap_at_k_min']:.3f}), "
                       f"Spearman {s['spearman_mean']:.3f}")
    echo_warnings(result.summary["warnings"])
