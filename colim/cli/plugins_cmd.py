"""``colim plugins``: list every loaded plugin with its kind, name, source package and version."""

from __future__ import annotations

import json

import click

from colim import api


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def command(as_json: bool) -> None:
    """List the installed plugins: core encoders, ligand encoders and edit operators.

    Built-in plugins come with colim; third-party ones are found through the ``colim`` entry-point
    group (set COLIM_LOAD_PLUGINS=name,... to load only some of them).
    """
    rows = api.list_plugins()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    widths = {key: max([len(key)] + [len(r[key]) for r in rows]) for key in ("kind", "name", "package", "version")}
    header = "  ".join(key.ljust(widths[key]) for key in widths)
    click.echo(header)
    click.echo("  ".join("-" * widths[key] for key in widths))
    for row in rows:
        click.echo("  ".join(row[key].ljust(widths[key]) for key in widths))
