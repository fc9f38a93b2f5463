"""``colim library ligands|cores``: build the HDF5 libraries that ``colim screen`` reads."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from colim.dataset.perception import cores_of_clusters
from colim.defaults import DEFAULT_MODEL, shipped
from colim.errors import OutputWriteError
from colim.io.core_sources import read_cores
from colim.io.locks import output_lock
from colim.io.output_files import check_output_path, refuse_input_as_output
from colim.libraries.core_library import append_core_library, build_core_library, embed_cores
from colim.libraries.encoder_info import encoder_info
from colim.libraries.ligand_library import (build_combinatorial_library, build_ligand_library, build_skipping_invalid, read_ligand_file, read_set_file,
                                            write_rejects)
from colim.structures.ligand_files import Reject
from colim.libraries.ligand_sets import SetRule, parse_kinds, read_rules
from colim.model.checkpoint import load_ensemble

_MODEL_HELP = ("Model checkpoint (.pt), ensemble directory or manifest; repeat for several models. Embeds the library with each model's encoder "
               "(default: the shipped model, so that 'colim screen' can use the library with its defaults).")


def _models(models: tuple[str, ...]) -> list[str]:
    """The --model values, or the shipped default model: a library without embeddings cannot be screened."""
    return list(models) or [str(shipped(DEFAULT_MODEL))]


@click.group("library")
def command() -> None:
    """Build screening libraries: ligand libraries (SMILES → embeddings, sets, FAISS index) and core libraries."""


@command.command("ligands")
@click.argument("ligand_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Ligand library to write (.h5).")
@click.option("--model", "models", multiple=True, help=_MODEL_HELP)
@click.option("--max-kinds", default=2, show_default=True, help="Sets are every combination of 1..N ligand kinds (without --sets).")
@click.option("--sets", "sets_file", type=click.Path(dir_okay=False), help="Screen only these sets: one 'A.B [r1:r2]' per line.")
@click.option("--kinds", default=None, help="Combinatorial library: sets of MIN-MAX ligand kinds (e.g. 1-3), stored as the rule, never one row per set.")
@click.option("--ratios", "ratios", multiple=True, help="With --kinds/--rules: a stoichiometry to try (e.g. 2:1), in every assignment to a set of as many kinds; repeatable.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="With a combinatorial library: TOML/JSON set rules (kinds, ratios, combine, require, max_per_family).")
@click.option("--materialise", is_flag=True, help="With --kinds/--rules: store one embedding row per set instead (same set ids and names).")
@click.option("--append", is_flag=True, help="Add to an existing library, embedding only ligands it does not hold yet.")
@click.option("--skip-invalid", is_flag=True, help="Build the library from the ligands colim can use; list the others (line, SMILES, reason) in OUTPUT.rejects.csv.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
def ligands_cmd(ligand_file: str, output: str, models: tuple[str, ...], max_kinds: int, sets_file: str | None, kinds: str | None,
                ratios: tuple[str, ...], rules_file: str | None, materialise: bool, append: bool, skip_invalid: bool, overwrite: bool) -> None:
    """Build a ligand library from LIGAND_FILE (.smi: 'SMILES [name]' lines; .csv: smiles[,name,family] columns).

    With --kinds or --rules the library is combinatorial: it stores the ligands' embeddings and the rule
    that generates the sets; 'colim screen' scores the sets on the fly."""
    combinatorial = kinds is not None or rules_file is not None
    if not combinatorial and (ratios or materialise):
        raise click.UsageError("--ratios and --materialise need --kinds or --rules")
    if combinatorial and (sets_file or append):
        raise click.UsageError("--sets and --append do not combine with --kinds/--rules")
    check_output_path(output, overwrite or append)
    refuse_input_as_output(output, [ligand_file, sets_file, rules_file])
    with output_lock(output):
        refused: list[Reject] = []
        ligands = read_ligand_file(ligand_file, keep_rejects=refused)  # every bad line is named, or left out with --skip-invalid
        sets = read_set_file(sets_file) if sets_file else None
        rule = (read_rules(rules_file, kinds, ratios) if rules_file else SetRule(*parse_kinds(kinds), ratios=tuple(ratios))) if combinatorial else None
        encoders = [model.ligand_encoder for model, _ in load_ensemble(_models(models))]
        if combinatorial:
            build = partial(build_combinatorial_library, output, encoders=encoders, rule=rule, materialise=materialise, overwrite=overwrite)
        else:
            def build(usable: list) -> dict:
                kept = {lig.smiles for lig in usable}  # sets of a sets file that hold a left-out ligand go with it
                left_out = {lig.smiles for lig in ligands} - kept
                usable_sets = None if sets is None else [s for s in sets if not left_out.intersection(s.smiles)]
                return build_ligand_library(output, usable, encoders, sets=usable_sets, max_kinds=max_kinds, append=append, overwrite=overwrite)
        counts, rejects = build_skipping_invalid(build, ligands, ligand_file, skip_invalid, refused, encoders)
        listed = write_rejects(output, rejects) if skip_invalid else None  # always, so it never describes an older build
    if combinatorial:
        click.echo(f"{output}: {counts['ligands']} ligands, {counts['sets']:,} ligand sets ({'one row per set' if materialise else 'generated by the rule, no per-set rows'}), "
                   f"{counts['embedded']} ligand embeddings computed for {len(encoders)} model(s)")
    else:
        click.echo(f"{output}: {counts['ligands']} ligands ({counts['new_ligands']} new), {counts['sets']} ligand sets, "
                   f"{counts['embedded']} ligand embeddings computed for {len(encoders)} model(s)")
    if rejects:
        click.echo(f"note: {len(rejects)} ligand(s) of {ligand_file} left out (line(s) {', '.join(str(r.line) for r in rejects)}): "
                   f"listed with their reasons in {listed}", err=True)


def _read_cores(files: tuple[str, ...]) -> list:
    """Cores from core files (every frame), core libraries and dataset files: :func:`colim.read_cores`; a
    whole cluster (organic ligand atoms) gives its perceived core, with a note."""
    return cores_of_clusters(read_cores(list(files)))[0]


@command.command("cores")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Core library to write (.h5).")
@click.option("--model", "models", multiple=True, help=_MODEL_HELP)
@click.option("--batch-size", default=64, show_default=True, help="Cores embedded per batch.")
@click.option("--append", is_flag=True, help="Add to an existing library, embedding only cores it does not hold yet (by content hash).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--silent", is_flag=True, help="No progress bar.")
def cores_cmd(files: tuple[str, ...], output: str, models: tuple[str, ...], batch_size: int, append: bool, overwrite: bool, silent: bool) -> None:
    """Build a core library from core FILES: XYZ/extXYZ (every frame)/CIF/..., core libraries (.h5, e.g.
    from 'colim edit enumerate') or the cores of a dataset file from 'colim dataset build'."""
    check_output_path(output, overwrite or append)
    if not append:  # appending reads the library it extends; any other output that is an input would be destroyed
        try:
            refuse_input_as_output(output, files)
        except OutputWriteError as exc:
            raise OutputWriteError(f"{exc}; to embed a core library in place, keeping its cores and other embeddings, run "
                                   f"'colim library cores {output} --append --model MODEL -o {output}'") from None
    with output_lock(output):
        cores = _read_cores(files)
        encoders = [model.core_encoder for model, _ in load_ensemble(_models(models))]
        if append and Path(output).exists():
            embedders = [(encoder_info(enc), partial(embed_cores, enc, batch_size=batch_size, progress=not silent)) for enc in encoders]
            added, skipped = append_core_library(output, cores, embedders)
            click.echo(f"{output}: {added} cores added, {skipped} already present")
            return
        written = build_core_library(output, cores, encoders, batch_size=batch_size, overwrite=overwrite or append, progress=not silent)
    click.echo(f"{output}: {written} cores, embedded by {len(encoders)} model(s)")
