"""``colim report``: a self-contained HTML report of a screen's hits to open in any browser."""

from __future__ import annotations

import click

from colim import api


@click.command("report")
@click.argument("hits", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--core-lib", type=click.Path(), help="Core library the hits were screened from (default: the one the screen summary names).")
@click.option("--max-rows", default=api.MAX_ROWS, show_default=True, type=click.IntRange(min=1), help="Hit rows in the table (the first ones of the file).")
@click.option("--max-cores", default=api.MAX_CORES, show_default=True, type=click.IntRange(min=1), help="Cores drawn in 3D and in the heat map.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
def command(hits: str, output: str, core_lib: str | None, max_rows: int, max_cores: int, overwrite: bool) -> None:
    """Write one HTML file showing the screen summary and warnings, a sortable hit table, each ligand set
    in 2D, each core in 3D with its edited site highlighted, and the core × ligand-set heat map.

    HITS is a hits file from 'colim screen' (.csv, .parquet or .h5). The page needs no network: its
    JavaScript (3Dmol.js) and pictures are inside it.
    """
    data = api.write_report(hits, output, core_lib, max_rows=max_rows, max_cores=max_cores, overwrite=overwrite)
    click.echo(f"wrote {output}: {len(data.rows):,} hits, {len(data.cores)} cores, {len(data.sets)} ligand sets")
