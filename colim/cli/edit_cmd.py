"""``colim edit``: atom-level editing of a core (``enumerate`` all unique edits, ``apply`` one)."""

from __future__ import annotations

import click

from colim import api
from colim.cli.options import POSITIVE_FLOAT, POSITIVE_INT


@click.group("edit")
def command() -> None:
    """Edit cores atom by atom: remove, substitute, add at surface sites, swap.

    Operators are plugins (see ``colim plugins``); edited cores carry provenance (parent, operator,
    site, element, depth) and are checked for overlapping, isolated or disconnected atoms.
    """


def format_summary(result: api.Enumeration) -> list[str]:
    """Summary table: per depth and operator, sites, symmetry classes, kept, duplicates, rejected."""
    head = ("depth", "operator", "candidates", "classes", "unique", "duplicates", "rejected")
    rows = [head]
    for s in result.stats:
        rej = ", ".join(f"{k} {v}" for k, v in sorted(s.rejected.items())) or "0"
        rows.append((str(s.depth), s.operator, str(s.candidates), str(s.classes), str(s.unique), str(s.duplicates), rej))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


@command.command("enumerate")
@click.argument("core", type=click.Path(dir_okay=False))
@click.option("--ops", required=True, help="Operators, e.g. remove,substitute:Ag+Au,add:Cu,swap.")
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True, help="Number of successive edits.")
@click.option("--max", "max_cores", type=click.IntRange(min=1), default=None, help="Stop after this many edited cores.")
@click.option("--tol", type=POSITIVE_FLOAT, default=api.DEFAULT_TOLERANCE, show_default=True,
              help="Largest atom displacement (Å) for two edited cores to count as the same.")
@click.option("--chiral", is_flag=True, help="Keep mirror images apart (default: an enantiomer is the same core).")
@click.option("--core-only", is_flag=True, help="Keep only the metal atoms of the input (a whole cluster → its metal core).")
@click.option("--include-parent/--no-parent", default=True, show_default=True,
              help="Write the input core (depth 0) first, so a screen ranks the edits beside their parent.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Core library (.h5), extXYZ (.xyz) or ASE trajectory (.traj).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--silent", is_flag=True, help="No progress bar.")
def enumerate_command(core, ops, depth, max_cores, tol, chiral, core_only, include_parent, output, overwrite, silent) -> None:
    """Enumerate every symmetry-unique edit of CORE (to --depth edits) into a core library."""
    result = api.enumerate_edits(core, ops, depth=depth, max_cores=max_cores, tol=tol, chiral=chiral, core_only=core_only, progress=not silent,
                                 output=output, include_parent=include_parent, overwrite=overwrite)
    for line in format_summary(result):
        click.echo(line)
    if result.capped:
        click.echo(f"stopped at --max {max_cores} edited cores")
    click.echo(f"wrote {len(result.cores) + include_parent} cores to {output}")


@command.command("apply")
@click.argument("core", type=click.Path(dir_okay=False))
@click.option("--op", "op_spec", required=True, help="One operator: remove, substitute, add or swap (or name:El).")
@click.option("--site", required=True, help="Atom index/indices: 12, 3,17 (swap) or hollow:3,5,7 (add).")
@click.option("--element", default=None, help="Element put in place (substitute, add).")
@click.option("--core-only", is_flag=True, help="Keep only the metal atoms of the input.")
@click.option("--no-check", is_flag=True, help="Write the edited core even if it fails the sanity checks.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output file (.xyz, .extxyz, .traj, .cif, .pdb, .h5).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def apply_command(core, op_spec, site, element, core_only, no_check, output, overwrite) -> None:
    """Apply one edit to CORE and write the edited core."""
    edited = api.apply_edit(core, op_spec, site, element, core_only=core_only, check=not no_check, output=output, overwrite=overwrite)
    click.echo(f"wrote {edited.info['id']} ({edited.get_chemical_formula()}) to {output}")
