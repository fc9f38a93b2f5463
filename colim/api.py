"""colim's Python API: each job as one documented function that returns plain objects.

``import colim`` exposes these functions (``colim.screen``, ``colim.read_cores`` ...), loaded on first
use so that ``import colim`` stays light. The ``colim`` command line parses options, calls them and
prints; docs/api.md shows each with an example. Where a function takes ``model``, it accepts a
checkpoint (``.pt``), an ensemble directory or manifest, a list of those, or the members returned by
:func:`load_model`; ``None`` means the shipped default model, as on the command line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, Union

import pandas as pd
from ase import Atoms

from colim import validation
from colim.choices import resolve_choice
from colim.dataset.builder import DEFAULT_CARBON_MARGIN, BuildReport
from colim.dataset.geometry import RMSD_THRESHOLD
from colim.dataset.perception import cores_of_clusters
from colim.dataset.sources import build as _build_dataset
from colim.dataset.records import MatchingDataset, load_dataset, save_dataset
from colim.dataset.stats import dataset_stats as _dataset_stats
from colim.dataset.stats import format_stats as format_dataset_stats
from colim.dataset.stats import plot_stats as plot_dataset_stats
from colim.defaults import DEFAULT_CORE_LIBRARY, DEFAULT_DEMO_CORE, DEFAULT_LIGAND_LIBRARY, shipped
from colim.demo import DEFAULT_OPS, DEMO_FILES, DemoResult, heatmap_matrix, own_outputs, plot_heatmap, record_outputs, topk_changes
from colim.editing.apply import apply_edit as _apply_edit
from colim.editing.apply import one_edit_operator
from colim.editing.enumerate import Enumeration
from colim.editing.enumerate import enumerate_edits as _enumerate_edits

from colim.editing.spec import parse_operators
from colim.editing.symmetry import DEFAULT_TOLERANCE
from colim.encoders.feature_cache import feature_workers
from colim.errors import ApiError, ColimError, ColimWarning, EditError, OutputWriteError
from colim.evaluation.comparison import DEFAULT_COLIM_LIGAND_ENCODER, compare_methods, write_results
from colim.evaluation.comparison import format_table as format_comparison
from colim.evaluation.evaluation import CONFUSION_PNG, RELIABILITY_PNG, REPORT_JSON, ROC_PNG, TSNE_PNG, EvaluationSettings, evaluate_models
from colim.evaluation.evaluation import format_report as format_evaluation
from colim.evaluation.evaluation import write_report as _write_evaluation
from colim.evaluation.folds import CV_SCHEMES, geometry_group
from colim.ext.weights import DEFAULT_NAME as DEFAULT_WEIGHTS_NAME
from colim.ext.weights import WEIGHTS_DIR_ENV, import_weights, list_weights, verify_weights, weights_dir
from colim.evaluation.core_lift import core_metal
from colim.evaluation.cross_matching import ClusterItem, cross_matching, items_from_csv, items_from_dataset
from colim.evaluation.lift_study import LIFT_JSON, LIFT_ROWS, LiftStudy, format_lift_table, jsonable, run_lift_study, write_lift_study
from colim.evaluation.metal_baselines import mean_scorer, model_scorer
from colim.io.core_sources import CoreSource
from colim.io.core_sources import read_cores as _read_cores
from colim.io.core_sources import read_one_core
from colim.io.edited_cores import check_output_suffix
from colim.io.edited_cores import write_cores as _write_cores
from colim.io.hit_tables import output_format, summary_path
from colim.io.hit_tables import read_hits as _read_hits
from colim.inspection import describe as _describe
from colim.io.locks import append_wait, output_lock
from colim.io.os_errors import writable_folder_error
from colim.io.output_files import atomic_output, check_output_path, refuse_input_as_output
from colim.libraries.core_library import append_core_library, embed_cores
from colim.libraries.core_library import build_core_library as _build_core_library
from colim.libraries.encoder_info import encoder_info
from colim.libraries.ligand_library import build_combinatorial_library
from colim.libraries.ligand_library import build_ligand_library as _build_ligand_library
from colim.libraries.ligand_library import build_skipping_invalid, write_rejects
from colim.libraries.ligand_sets import SetRule, parse_kinds, read_rules
from colim.model.dual_encoder import CoLiMModel
from colim.model.explain import BASELINES as EXPLAIN_BASELINES
from colim.model.explain import DEFAULT_STEPS, JSON_NAME, PNG_NAME, XYZ_NAME, Explanation, explain_pair, write_explanation
from colim.model.members import ModelArg, ModelMember, load_model
from colim.plugins.manager import all_plugins
from colim.pretrain_data.clusters import ClusterRecipe
from colim.pretrain_data.generator import BACKENDS, generate, parse_elements, parse_sizes
from colim.pretrain_data.generator import CHUNK_SIZE as PRETRAINING_CHUNK_SIZE
from colim.pretrain_data.nc_database import write_nc_database_set
from colim.pretrain_data.summary import PretrainingSetSummary, summarise_pretraining_set
from colim.progress import progress_bar
from colim.report.data import MAX_CORES, MAX_ROWS, ReportData
from colim.report.render import write_report as _write_report
from colim.screening.domain import assess_domain, reference_from_dataset, reference_of
from colim.screening.engine import resolve_device as _resolve_device
from colim.screening.screen import ScreenInterrupted, ScreenOptions, ScreenResult
from colim.screening.screen import screen as _screen
from colim.screening.state import state_dir
from colim.structures.core import core_id
from colim.structures.families import ligand_family
from colim.structures.ligand_files import Ligand, Reject, read_ligand_file, read_set_file
from colim.structures.ligand_input import parse_user_set as parse_ligand_set
from colim.structures.ligands import LigandSet, canonical_smiles
from colim.training.ensemble import TrainedEnsemble, TrainedMember, check_outputs, train_ensemble
from colim.training.pretraining import PretrainConfig, PretrainResult
from colim.training.pretraining import pretrain as _pretrain
from colim.training.trainer import ModelSpec, TrainConfig
from colim.version import __version__

__all__ = [
    "ModelMember", "apply_edit", "build_core_library", "build_dataset", "build_ligand_library", "compare", "core_lift", "cross_match", "dataset_stats", "enumerate_edits",
    "evaluate", "explain", "generate_pretraining_set", "import_weights", "inspect", "list_plugins", "list_weights", "load_model",
    "nc_database_set", "pretrain", "pretraining_set_info", "read_cores", "read_hits", "run_demo", "screen", "train", "verify_weights",
    "write_cores", "write_report",
]

PathLike = Union[str, os.PathLike]
#: defaults, names and formatters the command line shows, offered here so that colim/cli imports only this module.
CLI_NAMES = (
    "DEFAULT_CARBON_MARGIN", "DEFAULT_COLIM_LIGAND_ENCODER", "DEFAULT_OPS", "DEFAULT_STEPS", "DEFAULT_TOLERANCE", "DEFAULT_WEIGHTS_NAME",
    "CV_SCHEMES", "Enumeration", "EXPLAIN_BASELINES", "JSON_NAME", "MAX_CORES", "MAX_ROWS", "PNG_NAME", "PRETRAINING_CHUNK_SIZE", "RMSD_THRESHOLD",
    "TrainedMember", "WEIGHTS_DIR_ENV", "XYZ_NAME", "__version__", "format_comparison", "format_dataset_stats", "format_evaluation", "parse_ligand_set",
    "plot_dataset_stats", "resolve_device", "weights_dir", "writable_folder_error",
)
#: the files :func:`evaluate` writes into its output folder.
EVALUATION_FILES = (REPORT_JSON, ROC_PNG, RELIABILITY_PNG, CONFUSION_PNG, TSNE_PNG)


def _check_options(job: str, given: dict[str, Any], fields_of: type) -> None:
    """Refuse keyword options that ``fields_of`` (a dataclass of the job's knobs) does not have, listing the choices."""
    known = {f.name for f in dataclasses.fields(fields_of)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ApiError(f"unknown {job} option(s) {', '.join(unknown)}; choose from: {', '.join(sorted(known))}")


@contextlib.contextmanager
def _locked(output: PathLike | None, wait: float | None = None) -> Iterator[None]:
    """Hold ``output``'s lock for a whole job (nothing to lock without an output); ``wait``: seconds to wait for another writer."""
    if output is None:
        yield
        return
    with output_lock(output, wait=wait):
        yield


def _model_paths(model: ModelArg) -> list[PathLike]:
    """The files a model argument names (so that an output is never one of them)."""
    if model is None:
        return []
    if isinstance(model, (list, tuple)) and model and all(isinstance(m, ModelMember) for m in model):
        return [m.name for m in model]
    return [] if isinstance(model, (list, tuple)) and not model else validation.model_paths(model)


def read_cores(*sources: CoreSource | Iterable[CoreSource], core_only: bool = False) -> list[Atoms]:
    """Read cores from structure files (every frame), core libraries, dataset files or ``ase.Atoms``.

    ``core_only`` keeps only each structure's metal atoms (a whole cluster → its metal core). Every
    core is validated and carries ``atoms.info['id']``.
    """
    flat: list[CoreSource] = []
    for source in sources:
        flat.extend([source] if isinstance(source, (str, os.PathLike, Atoms)) or not isinstance(source, Iterable) else list(source))
    return _read_cores(flat, core_only)


def enumerate_edits(core: CoreSource, ops: str = DEFAULT_OPS, depth: int = 1, max_cores: int | None = None,
                    tol: float = DEFAULT_TOLERANCE, chiral: bool = False, core_only: bool = False,
                    progress: bool = False, output: PathLike | None = None, include_parent: bool = False,
                    overwrite: bool = False) -> Enumeration:
    """Every symmetry-unique edit of ``core`` (a file or ``ase.Atoms``), up to ``depth`` successive edits.

    ``ops`` names the edit operators as ``colim edit enumerate --ops`` does (e.g.
    ``"remove,substitute:Ag+Cu,add:Cu,swap"``). The result's ``.cores`` are the edited cores (with
    provenance in ``info``) and ``.stats`` the per-operator counts. With ``output`` (a core library ``.h5``,
    extXYZ or ``.traj``) the cores are also written there, after the parent when ``include_parent``.
    """
    operators = parse_operators(ops)
    if output is not None:
        check_output_suffix(output, many=True)
        check_output_path(output, overwrite)
        refuse_input_as_output(output, [core] if isinstance(core, (str, os.PathLike)) else [])
    parent = read_one_core(core, core_only)
    result = _enumerate_edits(parent, operators, depth=depth, max_cores=max_cores, tol=tol, mirror=not chiral, progress=progress)
    if output is not None:
        cores = ([parent] if include_parent else []) + result.cores
        if not cores:
            raise EditError(f"no edited core of {core_id(parent)} passed the sanity checks; nothing written")
        write_cores(cores, output, overwrite=overwrite)
    return result


def apply_edit(core: CoreSource, op: str, site: str | int | Sequence[int], element: str | None = None,
               core_only: bool = False, check: bool = True, output: PathLike | None = None, overwrite: bool = False) -> Atoms:
    """One edit of ``core`` at ``site`` (atom index, indices, or ``hollow:3,5,7``), e.g. ``apply_edit(core, "substitute", 0, "Ag")``.

    ``check`` refuses an edited core with overlapping, isolated or disconnected atoms. With ``output`` the
    edited core is also written there (``.xyz``, ``.extxyz``, ``.traj``, ``.cif``, ``.pdb``, ``.h5``).
    """
    if output is not None:
        one_edit_operator(op, element)
        check_output_suffix(output, many=False)
        check_output_path(output, overwrite)
        refuse_input_as_output(output, [core] if isinstance(core, (str, os.PathLike)) else [])
    where = site if isinstance(site, str) else str(site) if isinstance(site, int) else ",".join(str(i) for i in site)
    edited = _apply_edit(read_one_core(core, core_only), op, where, element, check=check)
    if output is not None:
        write_cores(edited, output, overwrite=overwrite)
    return edited


def write_cores(cores: Sequence[Atoms] | Atoms, path: PathLike, overwrite: bool = False) -> Path:
    """Write cores with their provenance: a core library for ``.h5``, else extXYZ, ASE ``.traj``, or CIF/PDB (one core)."""
    _write_cores(path, [cores] if isinstance(cores, Atoms) else list(cores), overwrite=overwrite)
    return Path(path)


def _members(model: ModelArg) -> list[ModelMember]:
    """``model=()`` is no model at all (a library without embeddings); anything else as :func:`load_model` takes it."""
    return [] if isinstance(model, (list, tuple)) and not model else load_model(model)


def build_core_library(cores: CoreSource | Iterable[CoreSource], output: PathLike, model: ModelArg = None,
                       batch_size: int = 64, append: bool = False, overwrite: bool = False, progress: bool = False,
                       wait: float | None = None) -> dict[str, Any]:
    """Write a core library (``.h5``) of ``cores`` embedded by each member of ``model``, ready to screen.

    ``cores`` is anything :func:`read_cores` takes; a whole cluster (organic ligand atoms beside the metals)
    gives its core as ``colim dataset build`` perceives it (a ``note:`` says so). ``model=()`` stores the cores without embeddings.
    ``append`` adds to an existing library only the cores it lacks (by content hash); appends commute, so an
    append waits up to ``wait`` seconds (default ``$COLIM_LOCK_WAIT``, else 600) for another process writing the
    same library (so a parallel job array fills one library), while a new or replaced library is refused at once. Returns counts: ``path``,
    ``cores`` (or ``added``/``skipped`` when appending) and ``models``. To embed an existing library in place, keeping its
    cores and other embeddings: ``build_core_library(lib, lib, model, append=True)``.
    """
    check_output_path(output, overwrite or append)
    sources = [cores] if isinstance(cores, (str, os.PathLike, Atoms)) else list(cores)
    if not append:  # appending reads the library it extends; any other output that is an input would be destroyed
        try:
            refuse_input_as_output(output, [c for c in sources if isinstance(c, (str, os.PathLike))])
        except OutputWriteError as exc:
            raise OutputWriteError(f"{exc}; to embed a core library in place, keeping its cores and other embeddings, run "
                                   f"'colim library cores {output} --append --model MODEL -o {output}'") from None
    with output_lock(output, wait=(append_wait() if wait is None else wait) if append else None):
        core_list, _ = cores_of_clusters(read_cores(sources))  # a whole cluster: its core, with a note
        encoders = [m.model.core_encoder for m in _members(model)]
        if append and Path(output).exists():
            embedders = [(encoder_info(enc), partial(embed_cores, enc, batch_size=batch_size, progress=progress)) for enc in encoders]
            added, skipped = append_core_library(output, core_list, embedders)
            return {"path": Path(output), "added": added, "skipped": skipped, "models": len(encoders)}
        written = _build_core_library(output, core_list, encoders, batch_size=batch_size, overwrite=overwrite or append, progress=progress)
    return {"path": Path(output), "cores": written, "models": len(encoders)}


def _ligands(ligands: PathLike | Iterable[str | Ligand], rejects: list[Reject] | None = None) -> list[Ligand]:
    """Ligands from a ``.smi``/``.csv`` file or from SMILES strings (canonicalised, named by their SMILES; their
    ``line`` is their 1-based position). With ``rejects`` a list, refused ligands go there instead of raising."""
    if isinstance(ligands, (str, os.PathLike)):
        return read_ligand_file(ligands, keep_rejects=rejects)
    out: dict[str, Ligand] = {}
    for number, item in enumerate(ligands, start=1):
        if isinstance(item, Ligand):
            lig = item
        else:
            try:
                smi = canonical_smiles(item)
            except ColimError as exc:
                if rejects is None:
                    raise
                rejects.append(Reject(number, str(item), str(exc)))
                continue
            lig = Ligand(smi, smi, ligand_family(smi), number)
        out.setdefault(lig.smiles, lig)
    return list(out.values())


def _set_rule(kinds: str | tuple[int, int] | None, ratios: Sequence[str], rules: PathLike | None) -> SetRule | None:
    """The rule of a combinatorial library (a TOML/JSON rules file, or MIN-MAX kinds and ratios), or None."""
    if rules is not None:
        return read_rules(rules, kinds if isinstance(kinds, str) or kinds is None else f"{kinds[0]}-{kinds[1]}", ratios)
    if kinds is None:
        return None
    low, high = parse_kinds(kinds) if isinstance(kinds, str) else kinds
    return SetRule(low, high, ratios=tuple(ratios))


def build_ligand_library(ligands: PathLike | Iterable[str], output: PathLike, model: ModelArg = None, max_kinds: int = 2,
                         sets: PathLike | Iterable[str | LigandSet] | None = None, append: bool = False,
                         overwrite: bool = False, skip_invalid: bool = False, *, kinds: str | tuple[int, int] | None = None,
                         ratios: Sequence[str] = (), rules: PathLike | None = None, materialise: bool = False, wait: float | None = None,
                         workers: int | None = None) -> dict[str, Any]:
    """Write a ligand library (``.h5``): the ligands, their sets, and embeddings by each member of ``model``.

    ``ligands`` is a ``.smi``/``.csv`` ligand file or a list of SMILES; the sets are every combination
    of 1..``max_kinds`` ligands unless ``sets`` (a set file or strings like ``"A.B 12:6"``) lists them.
    With ``kinds`` (``"1-3"``) or ``rules`` (a TOML/JSON rules file) the library is combinatorial: it stores
    the rule that generates the sets, never one row per set (``materialise`` stores the rows instead);
    ``ratios`` (``"2:1"``...) are the stoichiometries tried. ``append`` waits up to ``wait`` seconds (as for
    :func:`build_core_library`) for another process writing the same library. ``model=()`` stores no embeddings. Returns counts: ``path``,
    ``ligands``, ``new_ligands``, ``sets``, ``embedded`` and ``models``, and ``rejects``: the ligands left out with ``skip_invalid``
    (each a :class:`colim.structures.ligand_files.Reject` with ``line``, ``smiles``, ``reason``; also written to
    ``<output>.rejects.csv``, ``rejects_file``). Without ``skip_invalid`` every ligand colim cannot use is named in one error. Ligand features are
    cached on disk per canonical SMILES (``COLIM_CACHE_DIR``, see :mod:`colim.encoders.feature_cache`) and missing ones computed by
    ``workers`` processes (None: every core).
    """
    check_output_path(output, overwrite or append)
    paths = [x for x in (ligands, sets, rules) if isinstance(x, (str, os.PathLike))]
    refuse_input_as_output(output, paths)
    with output_lock(output, wait=(append_wait() if wait is None else wait) if append else None):
        refused: list[Reject] = []
        usable = _ligands(ligands, refused)  # every bad line is named, or left out with skip_invalid
        if sets is None or isinstance(sets, (str, os.PathLike)):
            set_list = read_set_file(sets) if sets is not None else None
        else:
            set_list = [s if isinstance(s, LigandSet) else LigandSet.parse(s) for s in sets]
        rule = _set_rule(kinds, ratios, rules)
        encoders = [m.model.ligand_encoder for m in _members(model)]

        def build(kept: list[Ligand]) -> dict[str, int]:
            if rule is not None:
                return build_combinatorial_library(output, kept, encoders, rule, materialise=materialise, overwrite=overwrite)
            left_out = {lig.smiles for lig in usable} - {lig.smiles for lig in kept}  # sets holding a left-out ligand go with it
            kept_sets = None if set_list is None else [s for s in set_list if not left_out.intersection(s.smiles)]
            return _build_ligand_library(output, kept, encoders, sets=kept_sets, max_kinds=max_kinds, append=append, overwrite=overwrite)

        source = ligands if isinstance(ligands, (str, os.PathLike)) else "ligands"
        with feature_workers(workers):
            counts, rejects = build_skipping_invalid(build, usable, source, skip_invalid, refused, encoders)
        # with skip_invalid always written, so that the list never describes an older build
        listed = write_rejects(output, rejects) if skip_invalid else None
    return {"path": Path(output), **counts, "models": len(encoders), "rejects": rejects, "rejects_file": listed}


def resolve_device(device: str | None = "auto", name: str = "device") -> str:
    """The device a screen runs on: ``"auto"``/None → ``"cuda"`` when a GPU is there, else ``"cpu"``; ``cuda`` without
    a CUDA GPU is refused in one line naming the option as ``name`` (``--device`` from the CLI)."""
    return str(_resolve_device(device, name))


def screen(core_library: PathLike | None = None, ligand_library: PathLike | None = None, model: ModelArg = None,
           output: PathLike | None = None, *, train_dataset: PathLike | None = None,
           on_block: Callable | None = None, on_start: Callable[[int, int], None] | None = None, progress: bool = False,
           **options: Any) -> ScreenResult:
    """Rank the top-k ligand sets of every core: ``result.hits`` is a DataFrame, ``result.summary`` a dict.

    Without ``core_library``, ``ligand_library`` or ``model`` the shipped defaults are used, as by
    ``colim screen``. With ``output`` (``.csv``, ``.parquet`` or ``.h5``) the hits are also written
    there, resumably: the screen holds the output's lock, and an interrupted or disk-full screen keeps its
    finished tasks in ``<output>.state/`` and says so (the same call resumes). Every hit carries
    ``core_in_domain``/``set_in_domain`` from the applicability-domain
    reference stored in the first model's checkpoint (``train_dataset``, a dataset ``.h5``, overrides it);
    ``result.summary["warnings"]`` holds one line per problem (unseen elements named, out-of-domain cores
    or sets, saturated or tied scores); each is also emitted as a :class:`colim.ColimWarning` and shown in
    ``repr(result)``.
    ``options`` are those of ``colim screen`` (the fields of
    :class:`colim.screening.screen.ScreenOptions`): ``top_k`` (10), ``depth``, ``device`` (``"auto"``,
    ``"cpu"``, ``"cuda"``), ``memory_mb``, ``block_pairs``, ``core_block``, ``set_block``, ``restart``, ``overwrite``,
    ``workers`` (a local Dask cluster of N worker processes), ``scheduler`` (an existing Dask cluster's address),
    ``prune`` (True: skip the sets whose exact score bound cannot reach a core's top lists, same hits; False:
    score every pair) and ``fused`` (False: the plain torch scorer on CPU). ``summary`` reports ``pairs_scored``,
    ``pairs_skipped``, ``pruning`` and ``fallback_tiles``.
    ``on_start(total_pairs, done_pairs)`` and ``on_block(block)`` report progress; ``progress`` shows a bar
    (its postfix: the pairs scored and skipped so far).
    """
    _check_options("screen", options, ScreenOptions)
    screen_options = ScreenOptions(**options)  # refuses wrong types and ranges with the CLI's words (colim.validation)
    for name, value in (("core_library", core_library), ("ligand_library", ligand_library), ("output", output), ("train_dataset", train_dataset)):
        validation.path_like(value, name, optional=True)
    if output is not None:
        check_output_path(output, options.get("overwrite", False))
        refuse_input_as_output(output, [core_library, ligand_library, train_dataset, *_model_paths(model)])
        output_format(output)
    with _locked(output), _screen_progress(progress, on_start, on_block) as (started, blocked), _screen_recovery(output):
        members = load_model(model)
        core_lib = core_library if core_library is not None else shipped(DEFAULT_CORE_LIBRARY)
        ligand_lib = ligand_library if ligand_library is not None else shipped(DEFAULT_LIGAND_LIBRARY)
        domain = reference_from_dataset(train_dataset, members[0].model) if train_dataset is not None else None
        result = _screen(core_lib, ligand_lib, members, output, screen_options, domain, blocked, started)
    _warn(result.summary.get("warnings", []))
    return result


def _warn(lines: Iterable[str]) -> None:
    """Emit each warning line as a :class:`colim.ColimWarning` (a notebook shows them; the CLI prints its own lines)."""
    for line in lines:
        warnings.warn(line, ColimWarning, stacklevel=3)


@contextlib.contextmanager
def _screen_progress(progress: bool, on_start: Callable[[int, int], None] | None, on_block: Callable | None) -> Iterator[tuple[Callable, Callable]]:
    """The screen's progress callbacks: the caller's, plus a progress bar of pairs when ``progress``."""
    bar = progress_bar(unit="pairs", unit_scale=True, desc="screening", disable=not progress, dynamic_ncols=True)

    def started(total: int, done: int) -> None:
        bar.reset(total=total)
        bar.update(done)
        if on_start:
            on_start(total, done)

    counts = {"scored": 0, "pairs": 0}

    def blocked(block: Any) -> None:  # the bar advances by the pairs covered; its postfix says how many were scored
        counts["scored"] += block.scored_pairs
        counts["pairs"] += block.pairs
        bar.set_postfix_str(f"scored {counts['scored']:,}, skipped {counts['pairs'] - counts['scored']:,}", refresh=False)
        bar.update(block.pairs)
        if on_block:
            on_block(block)

    try:
        yield started, blocked
    finally:
        bar.close()


def _stamp(path: PathLike) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


@contextlib.contextmanager
def _screen_recovery(output: PathLike | None) -> Iterator[None]:
    """Say what a full disk or a Ctrl-C left behind: finished tasks kept for a resume, or a hit table already complete."""
    before = _stamp(output) if output is not None else None
    try:
        yield
    except OutputWriteError as exc:  # a full disk at the very end: the scored tasks are still saved
        if output is not None and state_dir(output).is_dir() and str(state_dir(output)) not in str(exc):
            raise OutputWriteError(f"{exc}; the scored blocks are kept in {state_dir(output)}: make room and run the same command again to finish") from exc
        raise
    except KeyboardInterrupt:  # Ctrl-C after the hits were renamed into place: the output is whole, say so
        if output is None:
            raise
        if _stamp(output) not in (None, before):
            raise ScreenInterrupted(f"screen interrupted after it finished: {output} is complete") from None
        if state_dir(output).is_dir():
            raise ScreenInterrupted(f"screen interrupted while writing the hits; the finished tasks are saved in {state_dir(output)}: "
                                    "run the same command again to resume") from None
        raise


def inspect(path: PathLike) -> str:
    """One line saying what ``path`` holds (``colim inspect``): a structure's formula, a core or ligand library's
    counts and models, a dataset's cores and pairs, or a hit table's hits."""
    return _describe(validation.path_like(path, "path"))


def read_hits(path: PathLike) -> pd.DataFrame:
    """Read a hit table written by :func:`screen` or ``colim screen`` (``.csv``, ``.parquet`` or ``.h5``) as a DataFrame.

    Text columns stay text (a ligand set named ``3`` is not a number); the summary is in
    ``<path>.summary.json`` beside a CSV/Parquet table and inside an HDF5 one.
    """
    return _read_hits(validation.path_like(path, "path"))


def write_report(hits: PathLike, output: PathLike, core_library: PathLike | None = None, *, max_rows: int = MAX_ROWS,
                 max_cores: int = MAX_CORES, overwrite: bool = False) -> ReportData:
    """Write one self-contained HTML page of a screen's hits (``colim report``): summary and warnings, a
    sortable hit table, ligand sets in 2D, cores in 3D with the edited site, and the heat map.

    ``core_library`` defaults to the one the screen summary beside ``hits`` names. Returns what the
    page shows (``.rows``, ``.cores``, ``.sets``).
    """
    validation.path_like(hits, "hits")
    validation.path_like(output, "output")
    check_output_path(output, overwrite)
    return _write_report(hits, output, core_library, overwrite=overwrite, max_rows=max_rows, max_cores=max_cores)


def build_dataset(inputs: PathLike | Sequence[PathLike], output: PathLike | None = None, overwrite: bool = False, *,
                  on_report: Callable[[BuildReport], None] | None = None, **options: Any) -> MatchingDataset:
    """Build a core–ligand matching dataset from structure files, folders and CSVs, or from one MetaLig folder
    (``colim dataset build``; docs/dataset.md).

    ``options``: ``seed``, ``carbon_margin``, ``split`` (train, val, test fractions), ``rmsd_threshold``,
    ``ligand_pool``, ``anchor_placeholder``, ``progress``, ``idealised_clusters`` (a ``known_clusters.csv``: its
    clusters added as training positives on idealised cores, ``core.info['idealised']``, with sampled negatives;
    the structures' own pairs unchanged); for a MetaLig folder ``metals`` (``"Cu,Ag,Au"``,
    the default) with ``seed``, ``split`` and ``progress``. With ``output`` the dataset is saved there.
    ``on_report(report)`` receives the build report (inputs read, skipped, deduplicated; ``report.lines()``).
    """
    if output is not None:
        check_output_path(output, overwrite)
    paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    dataset, report = _build_dataset(paths, **options)
    if output is not None:
        save_dataset(dataset, output, overwrite=overwrite)
    if on_report is not None:
        on_report(report)
    return dataset


def dataset_stats(dataset: PathLike | MatchingDataset) -> dict[str, dict]:
    """Size, nuclearity, alloying, ligand-kind, ligand-family and split tables of a dataset (``colim dataset stats``);
    :func:`format_dataset_stats` prints them and :func:`plot_dataset_stats` draws them (PNG)."""
    return _dataset_stats(_dataset(dataset))


def _dataset(dataset: PathLike | MatchingDataset) -> MatchingDataset:
    return dataset if isinstance(dataset, MatchingDataset) else load_dataset(dataset)


def train(dataset: PathLike | MatchingDataset, output: PathLike, *, core_encoder: str = "cgcnn", ligand_encoder: str = "fingerprint",
          core_args: dict | None = None, ligand_args: dict | None = None, pretrained_core: PathLike | None = None,
          init_model: PathLike | None = None, seeds: Sequence[int] = (0,), overwrite: bool = False, progress: bool = False,
          on_member: Callable[[TrainedMember], None] | None = None, **config: Any) -> TrainedEnsemble:
    """Fine-tune one dual-encoder model per seed on ``dataset``; save ``output/seed-N.pt`` + ``ensemble.json``
    (or the single checkpoint ``output`` when it ends in ``.pt`` and there is one seed).

    ``init_model`` (a model ``.pt``, e.g. the pair model trained on a MetaLig dataset) starts every seed from
    that model's encoders and head (pair pretraining, then fine-tuning); the encoder names and ``hidden_dims``
    must be the checkpoint's.

    ``config`` takes the fields of :class:`colim.training.trainer.TrainConfig`: ``epochs`` (60),
    ``batch_size`` (32), ``lr``, ``patience``, ``hidden_dims`` ((256, 128)), ``dropout``. The result lists
    each member's checkpoint and validation metrics (``on_member(member)`` is called as each seed
    finishes); ``load_model(output)`` loads the ensemble.
    """
    _check_options("training", config, TrainConfig)
    if "hidden_dims" in config:
        config["hidden_dims"] = tuple(config["hidden_dims"])
    check_outputs(output, seeds, overwrite)
    data = _dataset(dataset)
    spec = ModelSpec(core_encoder, ligand_encoder, dict(core_args or {}), dict(ligand_args or {}),
                     str(pretrained_core) if pretrained_core else None, str(init_model) if init_model else None)
    return train_ensemble(data, spec, TrainConfig(**config), list(seeds), output, overwrite=overwrite, silent=not progress,
                          dataset_path=None if isinstance(dataset, MatchingDataset) else dataset, on_member=on_member)


def evaluate(dataset: PathLike | MatchingDataset, model: ModelArg = None, output: PathLike | None = None, *, split: str = "test",
             bootstrap: int = 1000, bins: int = 10, top_k: int = 5, overwrite: bool = False, progress: bool = False) -> dict[str, Any]:
    """Metrics of a model or ensemble on one split of ``dataset``: AUC, accuracy, F1 ... with bootstrap 95% CIs,
    calibration (ECE), t-SNE cluster scores and top-k stability across members (``colim evaluate``).

    Returns the report as a dict (``report["ensemble"]["auc"]``...); with ``output`` (a folder) also
    writes ``evaluation.json`` and the PNG figures there.
    """
    data = _dataset(dataset)
    members = load_model(model)
    settings = EvaluationSettings(split=split, n_boot=bootstrap, n_bins=bins, top_k=top_k)
    if output is not None:
        for name in EVALUATION_FILES:
            check_output_path(Path(output) / name, overwrite)
    report = evaluate_models(members, data, settings, silent=not progress)
    report["dataset_hash"] = data.content_hash()
    report["trained_on_this_dataset"] = {m.info["metadata"].get("dataset_hash") for m in members} == {data.content_hash()}
    if output is not None:
        report["files"] = [str(p) for p in _write_evaluation(report, output, overwrite)]
    return report


#: rows of :func:`core_lift`, and its printed table (the CLI imports only this module).
CORE_LIFT_ROWS = LIFT_ROWS
format_core_lift = format_lift_table


def _cluster_items(clusters: PathLike | Sequence[PathLike]) -> tuple[list[ClusterItem], list[str]]:
    """Known-cluster items from CSV files (``known_clusters.csv``) and matching datasets (.h5), and the rows left out."""
    items, skipped = [], []
    for path in [clusters] if isinstance(clusters, (str, os.PathLike)) else list(clusters):
        if str(path).lower().endswith(".csv"):
            got, left = items_from_csv(path)
            items += got
            skipped += left
        else:
            items += items_from_dataset(load_dataset(path), str(path))
    return items, skipped


def _panel(panel: CoreSource | Sequence[CoreSource]) -> list[Atoms]:
    """Cross-matching template cores: each must hold one coinage metal (Cu, Ag or Au) and no other metal."""
    cores = _read_cores(panel)
    bad = [str(c.info.get("id", i)) for i, c in enumerate(cores) if core_metal(c) is None]
    if bad:
        raise ApiError(f"panel core {bad[0]} does not hold exactly one coinage metal (Cu, Ag or Au) and no other metal")
    return cores


def core_lift(dataset: PathLike | MatchingDataset, output: PathLike | None = None, *, core_encoder: str = "cgcnn",
              ligand_encoder: str = "fingerprint", core_args: dict | None = None, ligand_args: dict | None = None,
              pretrained_core: PathLike | None = None, seeds: Sequence[int] = (0, 1), folds: int = 5, cv: str = "scaffold",
              fold_seed: int = 0, rows: Sequence[str] | None = None, clusters: PathLike | Sequence[PathLike] = (),
              panel: CoreSource | Sequence[CoreSource] | None = None, overwrite: bool = False, progress: bool = False,
              log: Callable[[str], None] | None = None, **config: Any) -> dict[str, Any]:
    """Does the core change the answer? Cross-validate a dual-encoder model beside ligand-only, additive (ligand +
    metal), metal-prior and XGBoost (fingerprint + metal) baselines on the same folds and seeds (``colim core-lift``).

    Reports per fold × seed and summarised (mean, std, 95% CI): pooled and per-metal (Cu, Ag, Au) AUC, the
    metal-blind AUC and the core lift (their difference), the model's paired differences from the additive
    and ligand-only rows, and, with ``clusters`` (known_clusters.csv files and/or cluster datasets), the
    cross-matching AUC on ``panel`` cores (default: each metal's most used dataset core). ``config`` takes
    :class:`colim.training.trainer.TrainConfig` fields; ``rows`` a subset of ``model``, ``ligand-only``,
    ``additive``, ``metal-prior``, ``xgboost-metal``. With ``output`` (a folder) writes ``core_lift.json``.
    """
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ApiError(f"unknown training option(s) {', '.join(unknown)}; choose from: {', '.join(sorted(known))}")
    if "hidden_dims" in config:
        config["hidden_dims"] = tuple(config["hidden_dims"])
    if output is not None:
        check_output_path(Path(output) / LIFT_JSON, overwrite)
    data = _dataset(dataset)
    items, skipped = _cluster_items(clusters)
    spec = ModelSpec(core_encoder, ligand_encoder, dict(core_args or {}), dict(ligand_args or {}),
                     str(pretrained_core) if pretrained_core else None)
    study = LiftStudy(spec, TrainConfig(**config), list(seeds), folds, fold_seed, cv, list(rows or LIFT_ROWS), items,
                      None if panel is None else _panel(panel),
                      info={"dataset": None if isinstance(dataset, MatchingDataset) else str(dataset),
                            "clusters": [str(c) for c in ([clusters] if isinstance(clusters, (str, os.PathLike)) else clusters)],
                            "clusters_skipped": skipped})
    report = run_lift_study(data, study, silent=not progress, log=log)
    if output is not None:
        report["files"] = [str(write_lift_study(report, output, overwrite))]
    return report


def cross_match(clusters: PathLike | Sequence[PathLike], model: ModelArg = None, panel: CoreSource | Sequence[CoreSource] | None = None,
                output: PathLike | None = None, overwrite: bool = False) -> dict[str, Any]:
    """Cross-matching AUC of a trained model (``colim cross-match``): is each known cluster's ligand set scored
    higher on ``panel`` cores made of its own metal than on the same cores made of the other coinage metals?

    ``clusters``: known_clusters.csv files and/or cluster datasets (.h5); ``panel``: template cores of one
    coinage metal each (default: the shipped Au25 core), each transmuted to Cu, Ag and Au. An ensemble scores
    by its mean probability. Returns ``auc`` (mean over metals of the per-metal mean), ``auc_items``,
    ``auc_Cu`` ..., ``items`` (per set) and ``skipped`` (rows left out, with why); with ``output`` also writes
    it there as JSON (NaN as null).
    """
    if output is not None:
        check_output_path(output, overwrite)
    items, skipped = _cluster_items(clusters)
    templates = _panel(panel if panel is not None else shipped(DEFAULT_DEMO_CORE))
    scorer = mean_scorer([model_scorer(m.model) for m in load_model(model)])
    report = {**cross_matching(scorer, items, templates), "skipped": skipped}
    if output is not None:
        with atomic_output(output, overwrite=overwrite) as tmp:
            Path(tmp).write_text(json.dumps(jsonable(report), indent=2))
        report["files"] = [str(output)]
    return report


def explain(core: CoreSource, ligands: str | LigandSet, model: ModelArg = None, output: PathLike | None = None, *,
            baseline: str = "zero", steps: int = DEFAULT_STEPS, overwrite: bool = False) -> Explanation:
    """Why the model scores one (core, ligand set) pair: per-atom and per-ligand integrated-gradient attributions.

    ``ligands`` is a ligand set such as ``"[S]C.[S]CC 12:6"``; an ensemble ``model`` is explained by its
    first member. With ``output`` (a folder) writes ``attribution.xyz``, ``explanation.json`` and
    ``explanation.png``.
    """
    ligand_set = ligands if isinstance(ligands, LigandSet) else LigandSet.parse(validation.text_arg(ligands, "ligands", "'[S]C.[S]CC 12:6'"))
    member = load_model(model)[0]
    core_atoms = read_one_core(core)
    explanation = explain_pair(member.model, core_atoms, ligand_set, baseline=baseline, steps=steps)
    explanation = dataclasses.replace(explanation, **_pair_domain(member.model, core_atoms, ligand_set))
    _warn(explanation.warnings() + explanation.domain_warnings)
    if output is not None:
        model_info = {"checkpoint": str(Path(member.name).resolve()), "core_encoder": member.info["core_encoder"]["name"],
                      "ligand_encoder": member.info["ligand_encoder"]["name"]}
        write_explanation(explanation, output, overwrite=overwrite, model_info=model_info,
                          extra={"domain": explanation.domain, "warnings": explanation.warnings() + explanation.domain_warnings})
    return explanation


def _pair_domain(model: CoLiMModel, core: Atoms, ligand_set: LigandSet) -> dict[str, Any]:
    """The pair's applicability domain from the model's stored reference: flags, distances and warning lines."""
    domain = assess_domain(reference_of(model), model.core_encoder.encode([core]).numpy(), [set(core.get_chemical_symbols())],
                           model.ligand_encoder.encode([ligand_set]).numpy(), [ligand_set.smiles], [core.info.get("id", "core")])

    def flag(value: Any) -> bool | None:
        return None if value is pd.NA else bool(value)

    def number(value: float) -> float | None:
        return None if value != value else float(value)

    return {"domain": {"core_in_domain": flag(domain.core_in_domain[0]), "set_in_domain": flag(domain.set_in_domain[0]),
                       "core_domain": number(domain.core_distance[0]), "set_domain": number(domain.set_distance[0]),
                       "core_seen_in": str(domain.core_seen_in[0])},
            "domain_warnings": list(domain.warnings)}


def pretrain(data: PathLike | Sequence[PathLike], output: PathLike, *, target: str | Sequence[str] = "e_form", core_encoder: str = "cgcnn", core_args: dict | None = None,
             seed: int = 0, limit: int | None = None, overwrite: bool = False, progress: bool = False, **config: Any) -> PretrainResult:
    """Pretrain a core encoder on gas-phase cluster energies (``e_form``) and/or gaps in ``data`` (one extXYZ
    file or several sources; each target × E_form reference is its own task) and save it.

    ``config`` takes the fields of :class:`colim.training.pretraining.PretrainConfig` (``epochs``,
    ``batch_size``, ``lr``, ``patience`` ...). The result holds test MAE/MSE beside a mean predictor's.
    """
    _check_options("pretraining", config, PretrainConfig)
    result, _ = _pretrain(data, output, target, core_encoder, core_args, PretrainConfig(**config), seed, limit, overwrite, silent=not progress)
    return result


def compare(dataset: PathLike | MatchingDataset, output: PathLike, *, seeds: Sequence[int] = (0,), pretrained_core: PathLike | None = None,
            core_args: dict | None = None, colim_ligand_encoder: str = DEFAULT_COLIM_LIGAND_ENCODER, rows: Sequence[str] | None = None,
            cv: str | Sequence[str] = ("grouped",), folds: int = 5, overwrite: bool = False, progress: bool = False,
            log: Callable[[str], None] | None = None, **config: Any) -> dict[str, Any]:
    """Every row of the CoLiM paper's Table 1 and the baselines, cross-validated on the same folds and seeds (``colim compare``).

    ``rows`` keeps the rows whose names contain one of the substrings; ``cv`` names the schemes (a list or a
    comma-separated string of :data:`CV_SCHEMES`); ``config`` takes the fields of :class:`colim.training.trainer.TrainConfig`.
    Writes ``comparison.csv`` and ``comparison.json`` into ``output`` and returns ``rows`` (one summary per scheme
    and row; :func:`format_comparison` prints them), ``info`` (the provenance saved beside them), ``pairs`` and ``groups``.
    """
    for name in ("comparison.json", "comparison.csv"):
        check_output_path(Path(output) / name, overwrite)
    _check_options("training", config, TrainConfig)
    if "hidden_dims" in config:
        config["hidden_dims"] = tuple(config["hidden_dims"])
    train_config = TrainConfig(**config)
    data = _dataset(dataset)
    names = cv.split(",") if isinstance(cv, str) else list(cv)
    schemes = [resolve_choice(c.strip(), CV_SCHEMES, "--cv scheme") for c in names if c.strip()]
    row_filter = [r.strip() for r in rows if r.strip()] if rows else None
    results = compare_methods(data, list(seeds), train_config, core_args=core_args, pretrained_core=pretrained_core,
                              colim_ligand_encoder=colim_ligand_encoder, rows=row_filter, silent=not progress, log=log, cv=schemes, k=folds)
    info = {"dataset": str(dataset) if not isinstance(dataset, MatchingDataset) else None, "dataset_hash": data.content_hash(),
            "seeds": list(seeds), "config": train_config.as_dict(), "core_args": core_args, "pretrained_core": pretrained_core,
            "colim_ligand_encoder": colim_ligand_encoder, "cv": schemes, "folds": folds,
            "ci": "95% Student-t interval of the mean over fold x seed test scores", "seconds": round(sum(r["seconds"] for r in results), 1)}
    files = write_results(results, info, output, overwrite)
    return {"rows": results, "info": info, "pairs": len(data.pairs), "groups": len({geometry_group(data, p) for p in data.pairs}), "files": files}


def list_plugins() -> list[dict[str, str]]:
    """Every loaded plugin (``colim plugins``): ``kind``, ``name``, ``package``, ``version``, ``class`` and a one-line ``summary``."""
    return [
        {"kind": p.kind, "name": p.name, "package": p.source.package, "version": p.source.version,
         "class": f"{p.cls.__module__}.{p.cls.__name__}", "summary": (p.cls.__doc__ or "").strip().splitlines()[0] if p.cls.__doc__ else ""}
        for p in all_plugins()
    ]


def generate_pretraining_set(output: PathLike, n: int = 5000, *, elements: str | Sequence[str] = "Ag,Cu,Au,Pd,Pt", sizes: str = "4-100",
                             seed: int = 0, backend: str = "emt", workers: int = 2, relax_steps: int = 30, fmax: float = 0.1,
                             rattle: float = 0.1, overwrite: bool = False, progress: bool = False) -> Path:
    """Make ``n`` relaxed gas-phase clusters into an extended-XYZ file (``colim pretrain-data generate``), resumably:
    finished chunks are kept in ``<output>.parts/`` and the same call continues where a stopped one ended."""
    low, high = parse_sizes(sizes)
    recipe = ClusterRecipe(elements=parse_elements(elements), min_size=low, max_size=high, seed=seed,
                           backend=resolve_choice(backend, BACKENDS, "backend"), relax_steps=relax_steps, fmax=fmax, rattle=rattle)
    check_output_path(output, overwrite)
    with progress_bar(total=n, unit="cluster", disable=not progress, desc="clusters") as bar:
        return generate(output, n, recipe, workers=workers, overwrite=overwrite, progress=bar.update)


def pretraining_set_info(path: PathLike, target: str = "e_form") -> PretrainingSetSummary:
    """Summary of a pretraining set (``colim pretrain-data info``): frames, sizes, elements, E_form reference, target statistics."""
    return summarise_pretraining_set(path, target)


def nc_database_set(root: PathLike, output: PathLike, overwrite: bool = False) -> tuple[int, list[str]]:
    """Write NC_Database's Ag-doped frameworks (``root``: AuAg_NCs/ + NC_Database.sqlite, GPL-3.0) as a pretraining set
    (``colim pretrain-data nc-database``); returns the frame count and notes on what was left out."""
    check_output_path(output, overwrite)
    return write_nc_database_set(root, output, overwrite=overwrite)


def run_demo(outdir: PathLike = "colim-demo", core: CoreSource | None = None, ops: str = DEFAULT_OPS, top_k: int = 5,
             models: ModelArg = None, ligand_library: PathLike | None = None, tol: float = DEFAULT_TOLERANCE,
             overwrite: bool = False, progress: bool = True) -> DemoResult:
    """Run ``colim demo`` on this API: edit ``core`` (default: the shipped Au25 core; its metal atoms) atom by atom,
    screen every unique edit with ``models`` (default: the shipped model) against ``ligand_library`` (default: the
    shipped one) and write ``edited_cores.h5``, ``hits.csv`` (+ its summary) and ``heatmap.png`` into ``outdir``.

    The files are made in a scratch folder inside ``outdir`` and moved in only once all exist, so a demo that
    fails half-way leaves nothing a rerun would refuse to overwrite.
    """
    out = Path(outdir)
    files = {name: out / name for name in DEMO_FILES}
    own = own_outputs(out)  # the files of an earlier demo run, unchanged since: the demo owns its folder
    for path in files.values():
        check_output_path(path, overwrite or path in own)
    parse_operators(ops)
    parent = read_one_core(core if core is not None else shipped(DEFAULT_DEMO_CORE), core_only=True)
    members = load_model(models or None)
    ligand_lib = Path(ligand_library) if ligand_library is not None else shipped(DEFAULT_LIGAND_LIBRARY)
    enumeration = enumerate_edits(parent, ops, depth=1, tol=tol, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".colim-demo-", dir=out) as scratch:
        work = {name: Path(scratch) / name for name in DEMO_FILES}
        build_core_library([parent] + enumeration.cores, work["edited_cores.h5"], members, progress=progress)
        result = screen(work["edited_cores.h5"], ligand_lib, members, work["hits.csv"], top_k=top_k)
        changes = topk_changes(result, core_id(parent))
        matrix, row_labels, column_labels = heatmap_matrix(result)
        plot_heatmap(matrix, row_labels, column_labels, work["heatmap.png"], title=f"P(compatible) for single-atom edits of {core_id(parent)}")
        for name in DEMO_FILES:
            os.replace(work[name], files[name])
        # the screen summary travels with hits.csv, as beside any screen's hits (colim report reads it)
        os.replace(summary_path(work["hits.csv"]), summary_path(files["hits.csv"]))
    record_outputs(out, [*files.values(), summary_path(files["hits.csv"])])
    replaced = [path for path in files.values() if path in own]
    return DemoResult(parent, enumeration, result.hits, files, list(result.summary["warnings"]), changes, dict(result.summary), replaced)
