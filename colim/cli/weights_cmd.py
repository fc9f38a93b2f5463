"""``colim weights``: list, verify and import external encoder weights (Uni-Mol) in colim's cache."""

from __future__ import annotations

import click

from colim import api


@click.group("weights")
def command() -> None:
    """Manage external encoder weights (Uni-Mol) in colim's verified cache.

    The cache folder is $COLIM_WEIGHTS_DIR (default ~/.cache/colim/weights); colim never downloads
    weights: import a file you have, and colim records its sha256 and checks it before each use.
    """


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@command.command("list")
def list_cmd() -> None:
    """List the imported weights: name, size, sha256 prefix, import date and source file."""
    entries = api.list_weights()
    click.echo(f"weights cache: {api.weights_dir()} (set {api.WEIGHTS_DIR_ENV} to move it)")
    if not entries:
        click.echo("no weights imported; run `colim weights import PATH`")
        return
    rows = [(e.name, _size(e.size), e.sha256[:12], e.imported, "yes" if e.dictionary else "no", e.source) for e in entries]
    header = ("name", "size", "sha256", "imported", "dictionary", "source")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths)))


@command.command("verify")
@click.argument("names", nargs=-1)
def verify_cmd(names: tuple[str, ...]) -> None:
    """Recompute the sha256 of imported weights (all, or NAMES) and fail on any mismatch."""
    for resolved in api.verify_weights(list(names)):
        click.echo(f"ok  {resolved.name}  {resolved.sha256}")


@command.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--name", default=api.DEFAULT_WEIGHTS_NAME, show_default=True, help="Name of the weights in the cache (the unimol encoder reads unimol_mol).")
@click.option("--dict", "dictionary", type=click.Path(dir_okay=False), default=None,
              help="Token dictionary of the weights (default: dict.txt or mol.dict.txt beside PATH).")
@click.option("--overwrite", is_flag=True, help="Replace weights already imported under this name.")
def import_cmd(path: str, name: str, dictionary: str | None, overwrite: bool) -> None:
    """Copy the weights file PATH into the cache (atomically) and record its sha256."""
    entry = api.import_weights(path, name=name, dictionary=dictionary, overwrite=overwrite)
    extra = f" with dictionary {entry.dictionary.file}" if entry.dictionary else " (no dictionary found beside it)"
    click.echo(f"imported {entry.name}: {entry.file} ({_size(entry.size)}, sha256 {entry.sha256}){extra}")
