"""``colim demo``: the edit → screen loop on the shipped core, model and ligand library."""

from __future__ import annotations

import click

from colim import api
from colim.cli.options import POSITIVE_FLOAT, POSITIVE_INT
from colim.cli.warning_lines import echo_warnings


@click.command("demo")
@click.option("-o", "--outdir", default="colim-demo", show_default=True, type=click.Path(file_okay=False), help="Folder for the demo's files.")
@click.option("--core", type=click.Path(dir_okay=False), help="Core or whole-cluster file to edit (default: the shipped Au25 core); its metal atoms are kept.")
@click.option("--ops", default=api.DEFAULT_OPS, show_default=True, help="Edit operators, as for 'colim edit enumerate'.")
@click.option("--top-k", type=POSITIVE_INT, default=5, show_default=True, help="Ligand sets printed and kept per edited core.")
@click.option("--model", "models", multiple=True, help="Checkpoint, ensemble folder or manifest (default: the shipped model).")
@click.option("--ligand-lib", type=click.Path(dir_okay=False), help="Ligand library (default: the shipped one).")
@click.option("--tol", default=api.DEFAULT_TOLERANCE, show_default=True, type=POSITIVE_FLOAT,
              help="Largest atom displacement (Å) for two edited cores to count as the same.")
@click.option("--overwrite", is_flag=True, help="Replace the demo's files from an earlier run.")
@click.option("--silent", is_flag=True, help="No progress bars; print only the file names.")
def command(outdir: str, core: str | None, ops: str, top_k: int, models: tuple[str, ...], ligand_lib: str | None, tol: float, overwrite: bool, silent: bool) -> None:
    """Run the inverse-design loop on shipped defaults: enumerate every symmetry-unique single-atom edit
    of a known core, screen each edited core against the ligand library with the default model, and
    print and plot (heat map PNG) the top ligand sets per edited core."""
    result = api.run_demo(outdir, core, ops, top_k, models, ligand_lib, tol=tol, overwrite=overwrite, progress=not silent)
    if not silent:
        counts = ", ".join(f"{s.operator}: {s.unique}" for s in result.enumeration.stats)
        parent = str(result.parent.info['id'])
        click.echo(f"{parent}: {len(result.enumeration.cores)} unique single-atom edits ({counts})")
        changes = {row.core_id: row for row in result.topk_changes.itertuples()}
        for cid, group in result.hits.groupby("core_id", sort=False):
            best = group.sort_values("rank").head(3)
            sets = "; ".join(f"{row.ligand_names} ({row.probability:.2f}±{row.spread:.2f})" for row in best.itertuples())
            click.echo(f"  {cid}: {sets}{_change_note(changes.get(cid), cid == parent)}")
        if len(result.topk_changes):
            t = result.topk_changes
            worst = t.iloc[int(t["largest_shift"].abs().to_numpy().argmax())]
            click.echo(f"{result.changed_edits} of {len(t)} edits change the parent's top {int(t['top_k'].max())} "
                       f"(the largest probability change on the parent's top sets: {worst.largest_shift:+.3f}, {worst.core_id})")
        if result.core_effect_line:
            click.echo(result.core_effect_line)
    for path in result.files.values():
        click.echo(f"wrote {path}")
    echo_warnings(result.warnings)


def _change_note(change, is_parent: bool) -> str:
    """`` [parent]``, or how the edit's top-k differs from the parent's."""
    if is_parent:
        return "  [parent]"
    if change is None:
        return ""
    if not change.changed:
        return f"  [top {change.top_k}: same sets as the parent; largest P change {change.largest_shift:+.3f}]"
    return f"  [top {change.top_k}: {change.changed} of {change.top_k} sets changed vs the parent: {change.new_sets} in, {change.dropped_sets} out]"
