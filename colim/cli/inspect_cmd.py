"""``colim inspect``: read structure files and say what colim sees in each (or why it cannot)."""

from __future__ import annotations

import click

from colim import api
from colim.errors import ColimError


@click.command("inspect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def command(paths: tuple[str, ...]) -> None:
    """Read each structure file (XYZ/extXYZ, CIF, PDB, GRO, ASE traj, POSCAR, XSF, cube, mol2, SDF) and print its formula and size.

    A file that cannot be read gets one 'Error: ...' line; the exit status is 1 if any file failed.
    """
    failed = 0
    for path in paths:
        try:
            seen = api.inspect_structure(path)
        except ColimError as exc:
            click.echo(f"Error: {exc}", err=True)
            failed += 1
            continue
        click.echo(f"{path}: {seen['formula']} ({seen['atoms']} atoms, {seen['metals']} metal)")
    if failed:
        raise SystemExit(1)
