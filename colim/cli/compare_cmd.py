"""``colim compare``: every row of the CoLiM paper's Table 1 on one dataset split and the same seeds."""

from __future__ import annotations

from pathlib import Path

import click

from colim.output_files import check_output_path
from colim.cli import options
from colim.dataset.records import load_dataset
from colim.training.comparison import DEFAULT_COLIM_LIGAND_ENCODER, format_table, compare_methods, write_results
from colim.training.trainer import TrainConfig


@click.command("compare")
@click.option("--dataset", required=True, type=click.Path(dir_okay=False), help="Matching dataset (.h5) from 'colim dataset build'.")
@click.option("--pretrained-core", type=click.Path(dir_okay=False), default=None, help="cgcnn checkpoint from 'colim pretrain' for the 'CoLiM (pretrained)' row.")
@click.option("--core-args", default=None, callback=options.json_object, help="JSON init args of the graph encoders trained from scratch, e.g. '{\"embedding_dim\": 64}'.")
@click.option("--colim-ligand-encoder", default=DEFAULT_COLIM_LIGAND_ENCODER, show_default=True, help="Ligand encoder of the CoLiM rows (the paper's is unimol).")
@click.option("--rows", default=None, help="Comma-separated substrings of row names to run (default: every row).")
@options.training_options
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Directory for comparison.csv and comparison.json.")
@click.option("--overwrite", is_flag=True, help="Replace existing results.")
@click.option("--silent", is_flag=True, help="No progress bars; print only the final table.")
def command(dataset: str, pretrained_core: str | None, core_args: dict, colim_ligand_encoder: str, rows: str | None,
            epochs: int, batch_size: int, lr: float, patience: int, hidden_dims: tuple[int, ...], dropout: float, seeds: list[int],
            output: str, overwrite: bool, silent: bool) -> None:
    """Train and test MBTR/SOAP/ACSF + XGBoost, CGCNN, SchNet, GIN, CoLiM scratch and CoLiM pretrained.

    All rows use the dataset's grouped split and the same seeds; the table shows test-set mean ± std
    over seeds. Descriptor rows need the colim-dscribe plugin, else they say "not installed".
    """
    for name in ("comparison.json", "comparison.csv"):
        check_output_path(Path(output) / name, overwrite)
    seed_list = seeds
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, hidden_dims=hidden_dims, dropout=dropout)
    data = load_dataset(dataset)
    args = core_args
    row_filter = [r.strip() for r in rows.split(",") if r.strip()] if rows else None
    results = compare_methods(data, seed_list, config, core_args=args, pretrained_core=pretrained_core, colim_ligand_encoder=colim_ligand_encoder,
                            rows=row_filter, silent=silent, log=None if silent else click.echo)
    info = {"dataset": str(dataset), "dataset_hash": data.content_hash(), "seeds": seed_list, "config": config.as_dict(),
            "core_args": args, "pretrained_core": pretrained_core, "colim_ligand_encoder": colim_ligand_encoder,
            "split_sizes": {s: len(data.split_pairs(s)) for s in ("train", "val", "test")}}
    write_results(results, info, output, overwrite)
    sizes = info["split_sizes"]
    click.echo(f"test split: {sizes['test']} pairs; seeds {','.join(map(str, seed_list))}")
    click.echo(format_table(results))
    if not silent:
        click.echo(f"results -> {Path(output) / 'comparison.csv'}, {Path(output) / 'comparison.json'}")
