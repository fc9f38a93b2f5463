"""``colim pretrain-data``: generate gas-phase cluster sets for pretraining and summarise existing ones."""

from __future__ import annotations

import time

import click

from colim import api


@click.group("pretrain-data")
def command() -> None:
    """Pretraining sets of gas-phase clusters: make new ones (EMT / GFN1-xTB) and inspect them."""


@command.command("generate")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Extended-XYZ file to write (.extxyz, or .extxyz.gz).")
@click.option("--n", "n", default=5000, show_default=True, help="Number of clusters.")
@click.option("--elements", default="Ag,Cu,Au,Pd,Pt", show_default=True, help="Comma-separated elements (EMT: Ag, Cu, Au, Pd, Pt, Ni, Al); Ag/Cu/Au host, the rest dopants.")
@click.option("--sizes", default="4-100", show_default=True, help="Atoms per cluster, MIN-MAX (inclusive).")
@click.option("--seed", default=0, show_default=True, help="Seed: the same seed gives the same file.")
@click.option("--backend", default="emt", show_default=True, help="emt (E_form) or xtb (EMT E_form + GFN1-xTB HOMO-LUMO gap; needs tblite).")
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
@click.option("--relax-steps", default=30, show_default=True, help="Maximum FIRE steps of the EMT relaxation.")
@click.option("--fmax", default=0.1, show_default=True, help="Force threshold (eV/Å) that ends the relaxation early.")
@click.option("--rattle", default=0.1, show_default=True, help="Standard deviation (Å) of the random displacement of each atom.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--silent", is_flag=True, help="No progress bar or summary.")
def generate_command(output: str, n: int, elements: str, sizes: str, seed: int, backend: str, workers: int,
                     relax_steps: int, fmax: float, rattle: float, overwrite: bool, silent: bool) -> None:
    """Make N relaxed gas-phase clusters (icosahedral/decahedral/fcc/random seeds, alloyed, rattled).

    Resumable: finished chunks of clusters are kept in OUTPUT.parts/, and rerunning the same command
    continues where it stopped; OUTPUT appears only once complete.
    """
    start = time.perf_counter()
    path = api.generate_pretraining_set(output, n, elements=elements, sizes=sizes, seed=seed, backend=backend, workers=workers,
                                        relax_steps=relax_steps, fmax=fmax, rattle=rattle, overwrite=overwrite, progress=not silent)
    elapsed = time.perf_counter() - start
    if not silent:
        click.echo(f"wrote {n} clusters to {path} in {elapsed:.1f} s ({n / elapsed:.2f} clusters/s, "
                   f"{workers} workers, chunks of {api.PRETRAINING_CHUNK_SIZE})")


@command.command("info")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--target", default="e_form", show_default=True, help="Target every frame must carry: e_form or gap.")
def info_command(path: str, target: str) -> None:
    """Summarise a pretraining set: frames, sizes, elements, E_form reference and target statistics."""
    for line in api.pretraining_set_info(path, target).lines():
        click.echo(line)


@command.command("nc-database")
@click.argument("root", type=click.Path(file_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Extended-XYZ file to write (.extxyz or .extxyz.gz).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def nc_database_command(root: str, output: str, overwrite: bool) -> None:
    """Turn NC_Database's Ag-doped frameworks (ROOT: AuAg_NCs/ + NC_Database.sqlite, GPL-3.0) into a
    pretraining set: metal cores with E_form against fitted per-source references (docs/pretraining.md)."""
    count, notes = api.nc_database_set(root, output, overwrite=overwrite)
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {count} NC_Database frames to {output} (derived from GPL-3.0 data: keep its LICENSE beside any copy)")
