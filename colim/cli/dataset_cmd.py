"""``colim dataset``: build a core–ligand matching dataset from structures, and report its statistics."""

from __future__ import annotations

from pathlib import Path

import click

from colim import api
from colim.cli import options


@click.group("dataset")
def command() -> None:
    """Build and inspect core–ligand matching datasets (the training data of CoLiM)."""


@command.command("build")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Dataset file to write (HDF5).")
@click.option("--seed", default=0, show_default=True, help="Seed of negative sampling and of the split.")
@click.option("--carbon-margin", default=api.DEFAULT_CARBON_MARGIN, show_default=True, help="Ligands of a positive's family within this many carbons never become its negatives.")
@click.option("--split", "split", default="0.8,0.1,0.1", show_default=True, callback=options.split_fractions, help="Train,val,test fractions (grouped split).")
@click.option("--rmsd-threshold", default=api.RMSD_THRESHOLD, show_default=True, help="Cores closer than this RMSD (Å) after alignment are one geometry.")
@click.option("--ligand-pool", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Extra ligands (.smi) for the negative pool.")
@click.option("--anchor-placeholder", is_flag=True, help="Write truncated S anchors of anchor-only frameworks as [S]C ligands.")
@click.option("--metals", help="With a MetaLig folder: the metals to keep, e.g. Cu,Ag,Au (the default).")
@click.option("--idealised-clusters", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A known_clusters.csv: its clusters as training positives on idealised cores of their metal composition (marked idealised).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--silent", is_flag=True, help="No progress bar and no summary.")
def build_cmd(inputs, output, seed, carbon_margin, split, rmsd_threshold, ligand_pool, anchor_placeholder, metals, idealised_clusters, overwrite, silent) -> None:
    """Build a dataset from INPUTS: structure files, folders, or CSVs (structure, ligands, label); or one
    MetaLig folder (per-metal ligands of CSD complexes: single-atom cores, metal-conditional labels)."""
    reports = []
    ds = api.build_dataset(list(inputs), output, overwrite, on_report=reports.append, seed=seed, carbon_margin=carbon_margin, split=split,
                           rmsd_threshold=rmsd_threshold, ligand_pool=ligand_pool, anchor_placeholder=anchor_placeholder, progress=not silent,
                           metals=metals, idealised_clusters=idealised_clusters)
    if not silent:
        report = reports[0]
        for line in report.lines():
            click.echo(line)
        pos = sum(p.label for p in ds.pairs)
        click.echo(f"wrote {output}: {len(ds.cores)} cores, {len(ds.pairs)} pairs ({pos} positive, {len(ds.pairs) - pos} negative) in {report.seconds:.1f} s")


@command.command("stats")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write a PNG figure of the statistics.")
@click.option("--overwrite", is_flag=True, help="Replace an existing figure.")
def stats_cmd(dataset, output, overwrite) -> None:
    """Print size, nuclearity, alloying, ligand-kind, ligand-family and split tables of DATASET."""
    stats = api.dataset_stats(dataset)
    click.echo(api.format_dataset_stats(stats))
    if output is not None:
        api.plot_dataset_stats(stats, output, overwrite=overwrite)
        click.echo(f"wrote {output}")
