"""``colim explain``: which core atoms and which ligands drive a trained model's score of one pair."""

from __future__ import annotations

from pathlib import Path

import click

from colim import api
from colim.cli.warning_lines import echo_warnings
from colim.errors import LigandError


@click.command("explain")
@click.option("--model", "model_path", required=True, type=click.Path(dir_okay=False), help="Model checkpoint (.pt) from `colim train`.")
@click.option("--core", "core_path", required=True, type=click.Path(dir_okay=False), help="Core structure file (XYZ, extXYZ, CIF...).")
@click.option("--ligands", required=True, help='Ligand set as SMILES joined by ".", optionally with ratios: "A.B.C 12:3:6".')
@click.option("-o", "--outdir", required=True, type=click.Path(file_okay=False), help="Folder for attribution.xyz, explanation.json and explanation.png.")
@click.option("--baseline", type=click.Choice(api.EXPLAIN_BASELINES), default="zero", show_default=True,
              help="IG baseline of the atom embeddings: all zero, or every atom set to the core's mean embedding.")
@click.option("--steps", type=click.IntRange(1, 4096), default=api.DEFAULT_STEPS, show_default=True, help="Integration steps of integrated gradients.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def command(model_path: str, core_path: str, ligands: str, outdir: str, baseline: str, steps: int, overwrite: bool) -> None:
    """Explain one (core, ligand set) score: per-atom attributions on the core and per-ligand contributions.

    Atom attributions are integrated gradients of the logit over the core encoder's atom embeddings;
    they sum to logit(pair) - logit(baseline), and the residual is printed (completeness). Ligand
    contributions are integrated gradients over the per-ligand embeddings plus leave-one-out.
    """
    try:
        ligand_set = api.parse_ligand_set(ligands)
    except LigandError as exc:  # say which input is wrong (the core and model are files, this is an option)
        raise LigandError(f"--ligands: {exc}") from exc
    explanation = api.explain(core_path, ligand_set, model_path, outdir, baseline=baseline, steps=steps, overwrite=overwrite)
    domain = explanation.domain
    click.echo(f"{explanation.core.info['id']} + {ligand_set}: P(compatible) = {explanation.probability:.4f} (logit {explanation.logit:+.4f})")
    click.echo(f"atom attributions sum {explanation.atom_attributions.sum():+.4f} = logit - baseline logit "
               f"{explanation.logit - explanation.baseline_logit:+.4f} (completeness error {explanation.completeness_error:.2g})")
    for smi, ig, loo in zip(ligand_set.smiles, explanation.ligand_ig, explanation.ligand_loo):
        click.echo(f"  {smi}: IG {ig:+.4f}" + ("" if loo != loo else f", leave-one-out {loo:+.4f}"))
    click.echo(f"core_in_domain {domain['core_in_domain']}, set_in_domain {domain['set_in_domain']}".replace("None", "unknown"))
    click.echo("wrote " + ", ".join(str(Path(outdir) / name) for name in (api.XYZ_NAME, api.JSON_NAME, api.PNG_NAME)))
    echo_warnings(explanation.domain_warnings + explanation.warnings())


