"""colim's Python API: each job as one documented function that returns plain objects.

``import colim`` exposes these functions (``colim.screen``, ``colim.read_cores`` ...), loaded on first
use so that ``import colim`` stays light. The ``colim`` command line parses options, calls them and
prints; docs/api.md shows each with an example. Where a function takes ``model``, it accepts a
checkpoint (``.pt``), an ensemble directory or manifest, a list of those, or the members returned by
:func:`load_model`; ``None`` means the shipped default model, as on the command line.
"""

from __future__ import annotations

import dataclasses
import json
import os
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, Union

import pandas as pd
from ase import Atoms

from colim.dataset.sources import build as _build_dataset
from colim.dataset.records import MatchingDataset, load_dataset, save_dataset
from colim.defaults import DEFAULT_CORE_LIBRARY, DEFAULT_DEMO_CORE, DEFAULT_LIGAND_LIBRARY, DEFAULT_MODEL, shipped
from colim.demo import DEFAULT_OPS, DemoResult
from colim.demo import run_demo as _run_demo
from colim.editing.apply import apply_edit as _apply_edit
from colim.editing.enumerate import Enumeration
from colim.editing.enumerate import enumerate_edits as _enumerate_edits
from colim.editing.spec import parse_operators
from colim.editing.symmetry import DEFAULT_TOLERANCE
from colim.errors import ColimError
from colim.evaluation.evaluation import CONFUSION_PNG, RELIABILITY_PNG, REPORT_JSON, ROC_PNG, TSNE_PNG, EvaluationSettings, evaluate_models
from colim.evaluation.evaluation import write_report as _write_evaluation
from colim.evaluation.core_lift import core_metal
from colim.evaluation.cross_matching import ClusterItem, cross_matching, items_from_csv, items_from_dataset
from colim.evaluation.lift_study import LIFT_JSON, LIFT_ROWS, LiftStudy, format_lift_table, jsonable, run_lift_study, write_lift_study
from colim.evaluation.metal_baselines import mean_scorer, model_scorer
from colim.io.core_sources import CoreSource
from colim.io.core_sources import read_cores as _read_cores
from colim.io.core_sources import read_one_core
from colim.io.edited_cores import write_cores as _write_cores
from colim.io.hit_tables import read_hits as _read_hits
from colim.io.output_files import atomic_output, check_output_path
from colim.libraries.core_library import append_core_library, embed_cores
from colim.libraries.core_library import build_core_library as _build_core_library
from colim.libraries.encoder_info import encoder_info
from colim.libraries.ligand_library import build_ligand_library as _build_ligand_library
from colim.model.checkpoint import load_ensemble, member_name
from colim.model.dual_encoder import CoLiMModel
from colim.model.explain import DEFAULT_STEPS, Explanation, explain_pair, write_explanation
from colim.report.data import MAX_CORES, MAX_ROWS, ReportData
from colim.report.render import write_report as _write_report
from colim.screening.domain import assess_domain, reference_from_dataset, reference_of
from colim.screening.screen import ScreenOptions, ScreenResult
from colim.screening.screen import screen as _screen
from colim.structures.families import ligand_family
from colim.structures.ligand_files import Ligand, read_ligand_file, read_set_file
from colim.structures.ligands import LigandSet, canonical_smiles
from colim.training.ensemble import TrainedEnsemble, TrainedMember, check_outputs, train_ensemble
from colim.training.pretraining import PretrainConfig, PretrainResult
from colim.training.pretraining import pretrain as _pretrain
from colim.training.trainer import ModelSpec, TrainConfig

__all__ = [
    "ModelMember", "apply_edit", "build_core_library", "build_dataset", "build_ligand_library", "core_lift", "cross_match",
    "enumerate_edits", "evaluate", "explain", "load_model", "pretrain", "read_cores", "read_hits", "run_demo", "screen", "train", "write_cores", "write_report",
]

PathLike = Union[str, os.PathLike]
#: the files :func:`evaluate` writes into its output folder.
EVALUATION_FILES = (REPORT_JSON, ROC_PNG, RELIABILITY_PNG, CONFUSION_PNG, TSNE_PNG)


class ApiError(ColimError):
    """An argument of a :mod:`colim.api` function that cannot be used."""


@dataclasses.dataclass(frozen=True)
class ModelMember:
    """One loaded model of an ensemble: its name (the checkpoint path), the model and its checkpoint info."""

    name: str
    model: CoLiMModel
    info: dict = dataclasses.field(repr=False, compare=False)


ModelArg = Union[None, PathLike, Sequence[PathLike], Sequence[ModelMember]]


def load_model(model: ModelArg = None) -> list[ModelMember]:
    """Load a model: the shipped default (``None``), a checkpoint, an ensemble directory or manifest, or several.

    Returns one :class:`ModelMember` per checkpoint, named by its path (the name hits and summaries use).
    """
    if model is None:
        model = shipped(DEFAULT_MODEL)
    if isinstance(model, (list, tuple)) and model and all(isinstance(m, ModelMember) for m in model):
        return list(model)
    specs = [model] if isinstance(model, (str, os.PathLike)) else list(model)
    if not specs:
        raise ApiError("no model given: pass a checkpoint, an ensemble directory, or None for the shipped model")
    return [ModelMember(member_name(info), m, info) for m, info in load_ensemble([str(s) for s in specs])]


def read_cores(*sources: CoreSource | Iterable[CoreSource], core_only: bool = False) -> list[Atoms]:
    """Read cores from structure files (every frame), core libraries, dataset files or ``ase.Atoms``.

    ``core_only`` keeps only each structure's metal atoms (a whole cluster → its metal core). Every
    core is validated and carries ``atoms.info['id']``.
    """
    flat: list[CoreSource] = []
    for source in sources:
        flat.extend([source] if isinstance(source, (str, os.PathLike, Atoms)) else list(source))
    return _read_cores(flat, core_only)


def enumerate_edits(core: CoreSource, ops: str = DEFAULT_OPS, depth: int = 1, max_cores: int | None = None,
                    tol: float = DEFAULT_TOLERANCE, chiral: bool = False, core_only: bool = False,
                    progress: bool = False) -> Enumeration:
    """Every symmetry-unique edit of ``core`` (a file or ``ase.Atoms``), up to ``depth`` successive edits.

    ``ops`` names the edit operators as ``colim edit enumerate --ops`` does (e.g.
    ``"remove,substitute:Ag+Cu,add:Cu,swap"``). The result's ``.cores`` are the edited cores (with
    provenance in ``info``) and ``.stats`` the per-operator counts.
    """
    parent = read_one_core(core, core_only)
    return _enumerate_edits(parent, parse_operators(ops), depth=depth, max_cores=max_cores, tol=tol, mirror=not chiral, progress=progress)


def apply_edit(core: CoreSource, op: str, site: str | int | Sequence[int], element: str | None = None,
               core_only: bool = False, check: bool = True) -> Atoms:
    """One edit of ``core`` at ``site`` (atom index, indices, or ``hollow:3,5,7``), e.g. ``apply_edit(core, "substitute", 0, "Ag")``.

    ``check`` refuses an edited core with overlapping, isolated or disconnected atoms.
    """
    where = site if isinstance(site, str) else str(site) if isinstance(site, int) else ",".join(str(i) for i in site)
    return _apply_edit(read_one_core(core, core_only), op, where, element, check=check)


def write_cores(cores: Sequence[Atoms] | Atoms, path: PathLike, overwrite: bool = False) -> Path:
    """Write cores with their provenance: a core library for ``.h5``, else extXYZ, ASE ``.traj``, or CIF/PDB (one core)."""
    _write_cores(path, [cores] if isinstance(cores, Atoms) else list(cores), overwrite=overwrite)
    return Path(path)


def build_core_library(cores: CoreSource | Iterable[CoreSource], output: PathLike, model: ModelArg = None,
                       batch_size: int = 64, append: bool = False, overwrite: bool = False, progress: bool = False) -> dict[str, Any]:
    """Write a core library (``.h5``) of ``cores`` embedded by each member of ``model``, ready to screen.

    ``cores`` is anything :func:`read_cores` takes. ``model=()`` stores the cores without embeddings.
    ``append`` adds to an existing library only the cores it lacks (by content hash). Returns counts:
    ``path``, ``cores`` (or ``added``/``skipped`` when appending) and ``models``.
    """
    core_list = read_cores(cores)
    members = [] if isinstance(model, (list, tuple)) and not model else load_model(model)
    encoders = [m.model.core_encoder for m in members]
    if append and Path(output).exists():
        embedders = [(encoder_info(enc), partial(embed_cores, enc, batch_size=batch_size, progress=progress)) for enc in encoders]
        added, skipped = append_core_library(output, core_list, embedders)
        return {"path": Path(output), "added": added, "skipped": skipped, "models": len(encoders)}
    _build_core_library(output, core_list, encoders, batch_size=batch_size, overwrite=overwrite or append, progress=progress)
    return {"path": Path(output), "cores": len(core_list), "models": len(encoders)}


def _ligands(ligands: PathLike | Iterable[str | Ligand]) -> list[Ligand]:
    """Ligands from a ``.smi``/``.csv`` file or from SMILES strings (canonicalised, named by their SMILES)."""
    if isinstance(ligands, (str, os.PathLike)):
        return read_ligand_file(ligands)
    out: dict[str, Ligand] = {}
    for item in ligands:
        lig = item if isinstance(item, Ligand) else Ligand(canonical_smiles(item), canonical_smiles(item), ligand_family(canonical_smiles(item)))
        out.setdefault(lig.smiles, lig)
    return list(out.values())


def build_ligand_library(ligands: PathLike | Iterable[str], output: PathLike, model: ModelArg = None, max_kinds: int = 2,
                         sets: PathLike | Iterable[str | LigandSet] | None = None, append: bool = False,
                         overwrite: bool = False) -> dict[str, Any]:
    """Write a ligand library (``.h5``): the ligands, their sets, and embeddings by each member of ``model``.

    ``ligands`` is a ``.smi``/``.csv`` ligand file or a list of SMILES; the sets are every combination
    of 1..``max_kinds`` ligands unless ``sets`` (a set file or strings like ``"A.B 12:6"``) lists them.
    ``model=()`` stores no embeddings. Returns counts: ``path``, ``ligands``, ``new_ligands``, ``sets``,
    ``embedded`` and ``models``.
    """
    if sets is None or isinstance(sets, (str, os.PathLike)):
        set_list = read_set_file(sets) if sets is not None else None
    else:
        set_list = [s if isinstance(s, LigandSet) else LigandSet.parse(s) for s in sets]
    members = [] if isinstance(model, (list, tuple)) and not model else load_model(model)
    encoders = [m.model.ligand_encoder for m in members]
    counts = _build_ligand_library(output, _ligands(ligands), encoders, sets=set_list, max_kinds=max_kinds, append=append, overwrite=overwrite)
    return {"path": Path(output), **counts, "models": len(encoders)}


def screen(core_library: PathLike | None = None, ligand_library: PathLike | None = None, model: ModelArg = None,
           output: PathLike | None = None, *, train_dataset: PathLike | None = None,
           on_block: Callable | None = None, on_start: Callable[[int, int], None] | None = None, **options: Any) -> ScreenResult:
    """Rank the top-k ligand sets of every core: ``result.hits`` is a DataFrame, ``result.summary`` a dict.

    Without ``core_library``, ``ligand_library`` or ``model`` the shipped defaults are used, as by
    ``colim screen``. With ``output`` (``.csv``, ``.parquet`` or ``.h5``) the hits are also written
    there, resumably. Every hit carries ``core_in_domain``/``set_in_domain`` from the applicability-domain
    reference stored in the first model's checkpoint (``train_dataset``, a dataset ``.h5``, overrides it);
    ``result.summary["warnings"]`` holds one line per problem (unseen elements named, out-of-domain cores
    or sets, saturated or tied scores).
    ``options`` are those of ``colim screen`` (the fields of
    :class:`colim.screening.screen.ScreenOptions`): ``top_k`` (10), ``depth``, ``device`` (``"auto"``,
    ``"cpu"``, ``"cuda"``), ``memory_mb``, ``block_pairs``, ``core_block``, ``set_block``, ``restart``, ``overwrite``,
    ``workers`` (a local Dask cluster of N worker processes) and ``scheduler`` (an existing Dask cluster's address).
    ``on_start(total_pairs, done_pairs)`` and ``on_block(block)`` report progress.
    """
    known = {f.name for f in dataclasses.fields(ScreenOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ApiError(f"unknown screen option(s) {', '.join(unknown)}; choose from: {', '.join(sorted(known))}")
    members = load_model(model)
    named = [(m.name, m.model) for m in members]
    core_lib = core_library if core_library is not None else shipped(DEFAULT_CORE_LIBRARY)
    ligand_lib = ligand_library if ligand_library is not None else shipped(DEFAULT_LIGAND_LIBRARY)
    domain = reference_from_dataset(train_dataset, members[0].model) if train_dataset is not None else None
    return _screen(core_lib, ligand_lib, named, output, ScreenOptions(**options), domain, on_block, on_start)


def read_hits(path: PathLike) -> pd.DataFrame:
    """Read a hit table written by :func:`screen` or ``colim screen`` (``.csv``, ``.parquet`` or ``.h5``) as a DataFrame.

    Text columns stay text (a ligand set named ``3`` is not a number); the summary is in
    ``<path>.summary.json`` beside a CSV/Parquet table and inside an HDF5 one.
    """
    return _read_hits(path)


def write_report(hits: PathLike, output: PathLike, core_library: PathLike | None = None, *, max_rows: int = MAX_ROWS,
                 max_cores: int = MAX_CORES, overwrite: bool = False) -> ReportData:
    """Write one self-contained HTML page of a screen's hits (``colim report``): summary and warnings, a
    sortable hit table, ligand sets in 2D, cores in 3D with the edited site, and the heat map.

    ``core_library`` defaults to the one the screen summary beside ``hits`` names. Returns what the
    page shows (``.rows``, ``.cores``, ``.sets``).
    """
    check_output_path(output, overwrite)
    return _write_report(hits, output, core_library, overwrite=overwrite, max_rows=max_rows, max_cores=max_cores)


def build_dataset(inputs: PathLike | Sequence[PathLike], output: PathLike | None = None, overwrite: bool = False,
                  **options: Any) -> MatchingDataset:
    """Build a core–ligand matching dataset from structure files, folders and CSVs, or from one MetaLig folder
    (``colim dataset build``; docs/dataset.md).

    ``options``: ``seed``, ``carbon_margin``, ``split`` (train, val, test fractions), ``rmsd_threshold``,
    ``ligand_pool``, ``anchor_placeholder``, ``progress``; for a MetaLig folder ``metals`` (``"Cu,Ag,Au"``,
    the default) with ``seed``, ``split`` and ``progress``. With ``output`` the dataset is saved there.
    """
    paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    dataset, _ = _build_dataset(paths, **options)
    if output is not None:
        save_dataset(dataset, output, overwrite=overwrite)
    return dataset


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
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ApiError(f"unknown training option(s) {', '.join(unknown)}; choose from: {', '.join(sorted(known))}")
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
    loaded = [(m.model, m.info) for m in members]
    settings = EvaluationSettings(split=split, n_boot=bootstrap, n_bins=bins, top_k=top_k)
    if output is not None:
        for name in EVALUATION_FILES:
            check_output_path(Path(output) / name, overwrite)
    report = evaluate_models(loaded, data, settings, silent=not progress)
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
    ligand_set = ligands if isinstance(ligands, LigandSet) else LigandSet.parse(ligands)
    member = load_model(model)[0]
    core_atoms = read_one_core(core)
    explanation = explain_pair(member.model, core_atoms, ligand_set, baseline=baseline, steps=steps)
    explanation = dataclasses.replace(explanation, **_pair_domain(member.model, core_atoms, ligand_set))
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
                       "core_domain": number(domain.core_distance[0]), "set_domain": number(domain.set_distance[0])},
            "domain_warnings": list(domain.warnings)}


def pretrain(data: PathLike | Sequence[PathLike], output: PathLike, *, target: str | Sequence[str] = "e_form", core_encoder: str = "cgcnn", core_args: dict | None = None,
             seed: int = 0, limit: int | None = None, overwrite: bool = False, progress: bool = False, **config: Any) -> PretrainResult:
    """Pretrain a core encoder on gas-phase cluster energies (``e_form``) and/or gaps in ``data`` (one extXYZ
    file or several sources; each target × E_form reference is its own task) and save it.

    ``config`` takes the fields of :class:`colim.training.pretraining.PretrainConfig` (``epochs``,
    ``batch_size``, ``lr``, ``patience`` ...). The result holds test MAE/MSE beside a mean predictor's.
    """
    known = {f.name for f in dataclasses.fields(PretrainConfig)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ApiError(f"unknown pretraining option(s) {', '.join(unknown)}; choose from: {', '.join(sorted(known))}")
    result, _ = _pretrain(data, output, target, core_encoder, core_args, PretrainConfig(**config), seed, limit, overwrite, silent=not progress)
    return result


def run_demo(outdir: PathLike = "colim-demo", **options: Any) -> DemoResult:
    """Run ``colim demo``: edit the shipped Au25 core atom by atom, screen every unique edit, write hits and a heat map.

    ``options``: ``core``, ``ops``, ``top_k``, ``models``, ``ligand_library``, ``tol``, ``overwrite``, ``progress``.
    """
    return _run_demo(outdir, **options)

