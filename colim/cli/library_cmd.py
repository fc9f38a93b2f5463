"""``colim library ligands|cores``: build the HDF5 libraries that ``colim screen`` reads."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from colim.defaults import DEFAULT_MODEL, shipped
from colim.locks import output_lock
from colim.model.checkpoint import load_ensemble
from colim.output_files import check_output_path, refuse_input_as_output
from colim.core_sources import read_cores
from colim.libraries.core_library import append_core_library, build_core_library, embed_cores
from colim.libraries.encoder_info import encoder_info
from colim.libraries.ligand_library import build_ligand_library, read_ligand_file, read_set_file

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
@click.option("--append", is_flag=True, help="Add to an existing library, embedding only ligands it does not hold yet.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
def ligands_cmd(ligand_file: str, output: str, models: tuple[str, ...], max_kinds: int, sets_file: str | None, append: bool, overwrite: bool) -> None:
    """Build a ligand library from LIGAND_FILE (.smi: 'SMILES [name]' lines; .csv: smiles[,name,family] columns)."""
    check_output_path(output, overwrite or append)
    refuse_input_as_output(output, [ligand_file, sets_file])
    with output_lock(output):
        ligands = read_ligand_file(ligand_file)
        sets = read_set_file(sets_file) if sets_file else None
        encoders = [model.ligand_encoder for model, _ in load_ensemble(_models(models))]
        counts = build_ligand_library(output, ligands, encoders, sets=sets, max_kinds=max_kinds, append=append, overwrite=overwrite)
    click.echo(f"{output}: {counts['ligands']} ligands ({counts['new_ligands']} new), {counts['sets']} ligand sets, "
               f"{counts['embedded']} ligand embeddings computed for {len(encoders)} model(s)")


def _read_cores(files: tuple[str, ...]) -> list:
    """Cores from core files (every frame), core libraries and dataset files: :func:`colim.read_cores`."""
    return read_cores(list(files))


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
        refuse_input_as_output(output, files)
    with output_lock(output):
        cores = _read_cores(files)
        encoders = [model.core_encoder for model, _ in load_ensemble(_models(models))]
        if append and Path(output).exists():
            embedders = [(encoder_info(enc), partial(embed_cores, enc, batch_size=batch_size, progress=not silent)) for enc in encoders]
            added, skipped = append_core_library(output, cores, embedders)
            click.echo(f"{output}: {added} cores added, {skipped} already present")
            return
        build_core_library(output, cores, encoders, batch_size=batch_size, overwrite=overwrite or append, progress=not silent)
    click.echo(f"{output}: {len(cores)} cores, embedded by {len(encoders)} model(s)")
