"""``colim explain``: which core atoms and which ligands drive a trained model's score of one pair."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from colim.structures.ligand_input import parse_user_set

from colim.cli.warning_lines import echo_warnings
from colim.model.checkpoint import load_checkpoint
from colim.core_sources import read_one_core
from colim.screening.domain import assess_domain, reference_of
from colim.errors import LigandError
from colim.model.explain import BASELINES, DEFAULT_STEPS, explain_pair, write_explanation


@click.command("explain")
@click.option("--model", "model_path", required=True, type=click.Path(dir_okay=False), help="Model checkpoint (.pt) from `colim train`.")
@click.option("--core", "core_path", required=True, type=click.Path(dir_okay=False), help="Core structure file (XYZ, extXYZ, CIF...).")
@click.option("--ligands", required=True, help='Ligand set as SMILES joined by ".", optionally with ratios: "A.B.C 12:3:6".')
@click.option("-o", "--outdir", required=True, type=click.Path(file_okay=False), help="Folder for attribution.xyz, explanation.json and explanation.png.")
@click.option("--baseline", type=click.Choice(BASELINES), default="zero", show_default=True,
              help="IG baseline of the atom embeddings: all zero, or every atom set to the core's mean embedding.")
@click.option("--steps", type=click.IntRange(1, 4096), default=DEFAULT_STEPS, show_default=True, help="Integration steps of integrated gradients.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def command(model_path: str, core_path: str, ligands: str, outdir: str, baseline: str, steps: int, overwrite: bool) -> None:
    """Explain one (core, ligand set) score: per-atom attributions on the core and per-ligand contributions.

    Atom attributions are integrated gradients of the logit over the core encoder's atom embeddings;
    they sum to logit(pair) - logit(baseline), and the residual is printed (completeness). Ligand
    contributions are integrated gradients over the per-ligand embeddings plus leave-one-out.
    """
    try:
        ligand_set = parse_user_set(ligands)
    except LigandError as exc:  # say which input is wrong (the core and model are files, this is an option)
        raise LigandError(f"--ligands: {exc}") from exc
    model, info = load_checkpoint(model_path)
    core = read_one_core(core_path)
    explanation = explain_pair(model, core, ligand_set, baseline=baseline, steps=steps)
    model_info = {"checkpoint": str(Path(model_path).resolve()), "core_encoder": info["core_encoder"]["name"],
                  "ligand_encoder": info["ligand_encoder"]["name"]}
    domain = assess_domain(reference_of(model), model.core_encoder.encode([core]).numpy(), [set(core.get_chemical_symbols())],
                           model.ligand_encoder.encode([ligand_set]).numpy(), [ligand_set.smiles], [core.info["id"]])
    in_domain = {"core_in_domain": _flag(domain.core_in_domain[0]), "set_in_domain": _flag(domain.set_in_domain[0]),
                 "core_domain": _number(domain.core_distance[0]), "set_domain": _number(domain.set_distance[0])}
    warnings = domain.warnings + explanation.warnings()
    paths = write_explanation(explanation, outdir, overwrite=overwrite, model_info=model_info,
                              extra={"domain": in_domain, "warnings": explanation.warnings() + domain.warnings})
    click.echo(f"{core.info['id']} + {ligand_set}: P(compatible) = {explanation.probability:.4f} (logit {explanation.logit:+.4f})")
    click.echo(f"atom attributions sum {explanation.atom_attributions.sum():+.4f} = logit - baseline logit "
               f"{explanation.logit - explanation.baseline_logit:+.4f} (completeness error {explanation.completeness_error:.2g})")
    for smi, ig, loo in zip(ligand_set.smiles, explanation.ligand_ig, explanation.ligand_loo):
        click.echo(f"  {smi}: IG {ig:+.4f}" + ("" if loo != loo else f", leave-one-out {loo:+.4f}"))
    click.echo(f"core_in_domain {in_domain['core_in_domain']}, set_in_domain {in_domain['set_in_domain']}".replace("None", "unknown"))
    click.echo("wrote " + ", ".join(str(p) for p in paths.values()))
    echo_warnings(warnings)


def _flag(value) -> bool | None:
    return None if value is pd.NA else bool(value)


def _number(value: float) -> float | None:
    return None if value != value else float(value)
