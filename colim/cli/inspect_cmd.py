"""``colim inspect``: read structure files and say what colim sees in each (or why it cannot)."""

from __future__ import annotations

import click

from colim.errors import ColimError
from colim.io.structure_readers import read_structure
from colim.structures.core import is_metal
from colim.structures.formula import cluster_formula


@click.command("inspect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def command(paths: tuple[str, ...]) -> None:
    """Read each structure file (XYZ/extXYZ, CIF, PDB, GRO, ASE traj, POSCAR, XSF, cube, mol2, SDF) and print its formula and size.

    A file that cannot be read gets one 'Error: ...' line; the exit status is 1 if any file failed.
    """
    failed = 0
    for path in paths:
        try:
            atoms = read_structure(path)
        except ColimError as exc:
            click.echo(f"Error: {exc}", err=True)
            failed += 1
            continue
        metals = sum(is_metal(s) for s in atoms.get_chemical_symbols())
        click.echo(f"{path}: {cluster_formula(atoms)} ({len(atoms)} atoms, {metals} metal)")
    if failed:
        raise SystemExit(1)
