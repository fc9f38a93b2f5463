"""``colim pretrain-data``: generate gas-phase cluster sets for pretraining and summarise existing ones."""

from __future__ import annotations

import time

import click
from colim.progress import progress_bar

from colim.choices import resolve_choice
from colim.io.output_files import check_output_path
from colim.pretrain_data.clusters import ClusterRecipe
from colim.pretrain_data.generator import BACKENDS, CHUNK_SIZE, generate, parse_elements, parse_sizes
from colim.pretrain_data.summary import summarise_pretraining_set


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
    low, high = parse_sizes(sizes)
    recipe = ClusterRecipe(
        elements=parse_elements(elements), min_size=low, max_size=high, seed=seed,
        backend=resolve_choice(backend, BACKENDS, "backend"), relax_steps=relax_steps, fmax=fmax, rattle=rattle,
    )
    check_output_path(output, overwrite)
    start = time.perf_counter()
    with progress_bar(total=n, unit="cluster", disable=silent, desc="clusters") as bar:
        path = generate(output, n, recipe, workers=workers, overwrite=overwrite, progress=bar.update)
    elapsed = time.perf_counter() - start
    if not silent:
        click.echo(f"wrote {n} clusters to {path} in {elapsed:.1f} s ({n / elapsed:.2f} clusters/s, "
                   f"{workers} workers, chunks of {CHUNK_SIZE})")


@command.command("info")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--target", default="e_form", show_default=True, help="Target every frame must carry: e_form or gap.")
def info_command(path: str, target: str) -> None:
    """Summarise a pretraining set: frames, sizes, elements, E_form reference and target statistics."""
    for line in summarise_pretraining_set(path, target).lines():
        click.echo(line)


@command.command("nc-database")
@click.argument("root", type=click.Path(file_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Extended-XYZ file to write (.extxyz or .extxyz.gz).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def nc_database_command(root: str, output: str, overwrite: bool) -> None:
    """Turn NC_Database's Ag-doped frameworks (ROOT: AuAg_NCs/ + NC_Database.sqlite, GPL-3.0) into a
    pretraining set: metal cores with E_form against fitted per-source references (docs/pretraining.md)."""
    from colim.pretrain_data.nc_database import write_nc_database_set

    check_output_path(output, overwrite)
    count, notes = write_nc_database_set(root, output, overwrite=overwrite)
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {count} NC_Database frames to {output} (derived from GPL-3.0 data: keep its LICENSE beside any copy)")
