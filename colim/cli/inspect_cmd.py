"""``colim inspect``: read structure files and say what colim sees in each (or why it cannot)."""

from __future__ import annotations

import click

from colim import api
from colim.errors import ColimError


@click.command("inspect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def command(paths: tuple[str, ...]) -> None:
    """Say what each file holds: a structure file (XYZ/extXYZ, CIF, PDB, GRO, ASE traj, POSCAR, XSF, cube, mol2, SDF) its formula
    and size; a core or ligand library (.h5) its counts and models; a dataset its cores and pairs; a hit table its hits.

    A file that cannot be read gets one 'Error: ...' line; the exit status is 1 if any file failed.
    """
    failed = 0
    for path in paths:
        try:
            line = api.inspect(path)
        except ColimError as exc:
            click.echo(f"Error: {exc}", err=True)
            failed += 1
            continue
        click.echo(line)
    if failed:
        raise SystemExit(1)
