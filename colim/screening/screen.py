"""A whole screen: libraries + model(s) → folded heads → streamed top-k → hit table with spread,
rank stability and applicability domain; resumable through :class:`ScreenState`."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from colim.errors import ColimError, LibraryError
from colim.io.hit_tables import open_hit_writer, output_format, read_hits
from colim.io.output_files import check_output_path
from colim.libraries.encoder_info import encoder_info, weights_hash
from colim.libraries.views import LigandLibraryView, open_core_library, open_ligand_library
from colim.model.members import ModelMember
from colim.screening.core_effect import CoreEffectTotals, CorePanel, core_effect_line
from colim.screening.domain import DomainReference, DomainTally, reference_of
from colim.screening.engine import BlockResult, Member, ScreenEngine
from colim.screening.folded import FoldedHead
from colim.screening.sources import library_set_source
from colim.screening.state import ScreenState
from colim.structures.ligands import LigandSet

HIT_COLUMNS = (
    "core_id", "parent", "operator", "site", "site_kind", "element", "depth", "rank", "ligand_set", "ligand_names", "families",
    "probability", "spread", "core_effect", "panel_probability", "member_ranks", "rank_range", "stable", "core_domain", "set_domain",
    "core_in_domain", "set_in_domain", "core_seen_in",
)


class ScreenInterrupted(ColimError):
    """The screen stopped before the end; its finished blocks are saved for a resume."""


@dataclass
class ScreenOptions:
    """Knobs of a screen (see ``colim screen --help``).

    ``workers``: run the tasks on a local Dask cluster of that many worker processes; ``scheduler``: on
    an existing Dask cluster at that address (its workers must read the libraries at the same paths).
    ``set_block``: sets per task (default: what ``memory_mb`` allows)."""

    top_k: int = 10
    depth: int | None = None
    device: str | None = None
    memory_mb: float | None = None
    block_pairs: int | None = None
    core_block: int | None = None
    restart: bool = False
    overwrite: bool = False
    workers: int | None = None
    scheduler: str | None = None
    set_block: int | None = None


class ScreenResult:
    """The hit table and a summary (counts, models, libraries, stability across members).

    ``hits`` is kept in memory for tables up to :data:`KEEP_HITS_ROWS` rows; a larger one written to
    ``output`` is read back from it only when ``hits`` is asked for."""

    def __init__(self, hits: pd.DataFrame | None, summary: dict | None = None, output: str | os.PathLike | None = None):
        self._hits = hits
        self.summary = summary if summary is not None else {}
        self.output = output
        #: the screen's engine and libraries, for scoring more pairs without reloading the libraries or
        #: refolding the heads (the demo's heat map).
        self.engine: ScreenEngine | None = None
        self.cores = self.ligands = None

    @property
    def hits(self) -> pd.DataFrame:
        if self._hits is None and self.output is not None:
            return read_hits(self.output)
        return self._hits

    @property
    def core_effect_line(self) -> str | None:
        """One line on how much the cores decided the hits (see :mod:`colim.screening.core_effect`)."""
        return core_effect_line(self.summary.get("core_effect"))


#: hit rows a ScreenResult keeps in memory (beyond that they live only in the output file).
KEEP_HITS_ROWS = 2_000_000


def build_members(models: Sequence[ModelMember], cores, ligands) -> list[Member]:
    """Pick each model's embeddings from the libraries (refusing foreign ones) and fold its head.
    ``cores``/``ligands`` are loaded libraries (in-memory arrays) or views (block sources)."""
    members = []
    for name, model in ((m.name, m.model) for m in models):
        model.eval()
        core_emb = cores.embeddings_for(encoder_info(model.core_encoder), name)
        if isinstance(ligands, LigandLibraryView):
            set_src = library_set_source(ligands, encoder_info(model.ligand_encoder), name, model.ligand_encoder)
            set_dim = set_src.dim
        else:
            set_src = torch.from_numpy(ligands.set_embeddings_for(encoder_info(model.ligand_encoder), name))
            set_dim = set_src.shape[1]
        core_dim = core_emb.shape[1]
        if core_dim != model.head.core_dim or set_dim != model.head.ligand_dim:
            raise LibraryError(f"library embedding sizes ({core_dim}, {set_dim}) do not fit {name}'s head")
        members.append(Member(FoldedHead(model.head), core_emb if not isinstance(core_emb, np.ndarray) else torch.from_numpy(core_emb), set_src))
    return members


def screen(core_lib: str | os.PathLike, ligand_lib: str | os.PathLike, models: Sequence[ModelMember],
           output: str | os.PathLike | None = None, options: ScreenOptions | None = None,
           domain: DomainReference | None = None, on_block: Callable[[BlockResult], None] | None = None,
           on_start: Callable[[int, int], None] | None = None) -> ScreenResult:
    """Screen every core of ``core_lib`` against every set of ``ligand_lib`` and keep the top-k per core.

    The screen is a grid of tasks (core block × set block), run in this process or, with
    ``options.workers``/``options.scheduler``, on a Dask cluster; both give the same hits. With
    ``output`` the hits are streamed there (format by extension) and finished tasks are saved to
    ``<output>.state/`` so that an interrupted screen resumes; ``on_start(total_pairs, done_pairs)`` is
    called once before scoring and ``on_block`` with each newly finished task.
    """
    opts = options or ScreenOptions()
    if output is not None:
        output_format(output)
        check_output_path(output, opts.overwrite)
    cores, ligands = open_core_library(core_lib), open_ligand_library(ligand_lib)
    if not len(cores) or not ligands.num_sets:
        raise LibraryError("nothing to screen: the core library or the ligand library is empty")
    members = build_members(models, cores, ligands)
    distributed = bool(opts.workers or opts.scheduler)
    engine = ScreenEngine(members, opts.top_k, opts.depth, "cpu" if distributed else opts.device, opts.memory_mb, opts.block_pairs,
                          opts.core_block, set_block=opts.set_block)
    fingerprint = {
        "cores": cores.content_hash, "ligands": ligands.content_hash,
        "models": [weights_hash(m.model) for m in models], "top_k": engine.top_k, "depth": engine.depth,
    }
    state = None
    if output is not None:
        state = ScreenState(output, fingerprint, opts.restart, {"core_block": engine.core_block, "set_block": engine.set_block})
        if (state.grid["core_block"], state.grid["set_block"]) != (engine.core_block, engine.set_block):  # resume on the saved grid
            engine = ScreenEngine(members, opts.top_k, opts.depth, engine.device, opts.memory_mb, opts.block_pairs,
                                  int(state.grid["core_block"]), set_block=int(state.grid["set_block"]))
    tasks = engine.tasks()
    done = state.done() if state else set()
    todo = [t for t in tasks if t not in done]
    results: dict[tuple, BlockResult] = {}
    if on_start:
        on_start(engine.num_cores * engine.num_sets, sum((t[1] - t[0]) * (t[3] - t[2]) for t in tasks if t in done))

    def finished(result: BlockResult) -> None:
        key = (result.start, result.stop, result.set_start, result.set_stop)
        if state:
            state.save(result)
        else:
            results[key] = result
        if on_block:
            on_block(result)

    _run_tasks(engine, todo, finished, opts, state, len(tasks))
    model_names = [m.name for m in models]
    resumed = len(done)

    def block_results():
        for a, b in engine.blocks():
            parts = []
            for s0, s1 in engine.set_blocks():
                key = (a, b, s0, s1)
                part = state.load(key) if state else results.pop(key)
                if part is None:  # a saved task file was damaged after the run: score it again
                    part = engine.score_task(*key)
                parts.append(part)
            yield engine.merge(parts)

    summary = {"core_library": str(core_lib), "ligand_library": str(ligand_lib), "resumed_tasks": resumed,
               "resumed_from_core": todo[0][0] if todo and resumed else 0,
               "combinatorial_sets": ligands.combinatorial, "tasks": len(tasks),
               "workers": opts.workers or (opts.scheduler and "scheduler") or 0}
    reference = domain if domain is not None else reference_of(models[0].model)
    # the reference panel (core_effect) is embedded once per model and scored only against the sets that become hits
    panel = CorePanel([m.model for m in models], [m.head for m in members], [m.sets for m in members])
    hits = _collect_hits(engine, block_results(), cores, ligands, reference, model_names, summary, output, opts.overwrite, panel)
    if state is not None:
        state.discard()
    result = ScreenResult(hits, summary, output)
    result.engine, result.cores, result.ligands = engine, cores, ligands
    return result


def _run_tasks(engine: ScreenEngine, todo: list[tuple], finished: Callable[[BlockResult], None], opts: ScreenOptions,
               state: ScreenState | None, total: int) -> None:
    """Score the ``todo`` tasks here or on a Dask cluster; a Ctrl-C says what was saved for a resume."""
    try:
        if opts.workers or opts.scheduler:
            from colim.screening.distributed import run_tasks  # dask: imported only for a distributed screen

            run_tasks(engine, todo, finished, workers=opts.workers, scheduler=opts.scheduler)
        else:
            for task in todo:
                finished(engine.score_task(*task))
    except KeyboardInterrupt:
        if state is None:
            raise ScreenInterrupted("screen interrupted (no output given, so nothing was saved)") from None
        raise ScreenInterrupted(f"screen interrupted after {len(state.done())} of {total} tasks; the finished tasks are saved in {state.dir}: "
                                "run the same command again to resume") from None


def _collect_hits(engine: ScreenEngine, blocks, cores, ligands, reference: DomainReference | None, model_names: list[str], summary: dict,
                  output: str | os.PathLike | None, overwrite: bool, panel: CorePanel) -> pd.DataFrame | None:
    """Turn the merged top lists of each core block into hit rows (streamed to ``output`` when given) and complete
    ``summary``; returns the hit table when it is small enough to keep in memory (:data:`KEEP_HITS_ROWS`)."""
    tally = DomainTally(reference)
    effects = CoreEffectTotals(tuple(panel.ids))
    keep = engine.num_cores * engine.top_k <= KEEP_HITS_ROWS or output is None
    kept: list[pd.DataFrame] = []
    stability = _StabilityTotals()
    writer_context = open_hit_writer(output, overwrite=overwrite) if output is not None else contextlib.nullcontext()
    with writer_context as writer:
        for block in blocks:
            part = _hit_table(engine, [block], cores, ligands, tally, model_names, panel)
            stability.add(part.summary.pop("_stability"))
            effects.add(part.hits["core_effect"].to_numpy())
            if writer is not None:
                writer.write(part.hits)
            if keep:
                kept.append(part.hits)
        summary.update(_summary(engine, model_names, reference, stability, tally, effects))
        if writer is not None:
            writer.summary = summary
    return pd.concat(kept, ignore_index=True) if keep else None


def _summary(engine: ScreenEngine, model_names: list[str], reference: DomainReference | None, stability: "_StabilityTotals",
             tally: DomainTally, effects: CoreEffectTotals) -> dict:
    return {"cores": int(engine.num_cores), "sets": int(engine.num_sets), "pairs": int(engine.num_cores) * int(engine.num_sets),
            "top_k": int(engine.top_k), "models": model_names, "members": len(engine.members),
            "domain": None if reference is None else reference.summary(), "warnings": tally.warnings(), **stability.summary(),
            "core_effect": effects.summary()}


class _StabilityTotals:
    """Running overlap@k and Spearman totals over core blocks (the summary without keeping every core)."""

    def __init__(self):
        self.n = self.rho_n = 0
        self.overlap_sum = self.rho_sum = 0.0
        self.overlap_min = 1.0
        self.single = True

    def add(self, parts: tuple[np.ndarray, np.ndarray] | None) -> None:
        if parts is None:
            return
        self.single = False
        overlap, rho = parts
        self.n += len(overlap)
        self.overlap_sum += float(overlap.sum())
        self.overlap_min = min(self.overlap_min, float(overlap.min())) if len(overlap) else self.overlap_min
        rho = rho[np.isfinite(rho)]
        self.rho_n += len(rho)
        self.rho_sum += float(rho.sum())

    def summary(self) -> dict:
        if self.single:
            return {"overlap_at_k_mean": 1.0, "overlap_at_k_min": 1.0, "spearman_mean": 1.0}
        return {"overlap_at_k_mean": self.overlap_sum / max(1, self.n), "overlap_at_k_min": self.overlap_min,
                "spearman_mean": self.rho_sum / self.rho_n if self.rho_n else float("nan")}


def _numpy(values) -> np.ndarray:
    return values.numpy() if isinstance(values, torch.Tensor) else np.asarray(values)


def _rows(source, a: int, b: int) -> np.ndarray:
    """Rows ``a:b`` of an embedding tensor, array or block source."""
    return _numpy(source.block(a, b) if hasattr(source, "block") else source[a:b])


def _rows_of(source, ids: np.ndarray) -> np.ndarray:
    """Rows ``ids`` of an embedding tensor, array or set source."""
    return _numpy(source.embeddings_of(ids) if hasattr(source, "embeddings_of") else source[torch.as_tensor(ids)])


def _hit_table(engine: ScreenEngine, blocks: list[BlockResult], cores, ligands, tally: DomainTally,
               model_names: list[str], panel: CorePanel) -> ScreenResult:
    """Hit rows of contiguous core blocks, built column by column (no per-row Python loop); ``panel`` gives
    each hit set's mean probability on the reference cores (``core_effect`` = probability minus it)."""
    top_index = np.concatenate([b.top_index for b in blocks])
    member_index = np.concatenate([b.member_index for b in blocks], axis=1)
    first = blocks[0].start
    n_cores, k = top_index.shape
    m_count, depth = member_index.shape[0], member_index.shape[2]
    local_rows = np.repeat(np.arange(n_cores), k)
    core_rows = local_rows + first
    set_rows = top_index.reshape(-1)
    probs = engine.pair_probabilities(core_rows, set_rows)  # [M, C*k]
    # member ranks: position of each hit in the member's own top-depth list (depth + 1 when absent)
    ranks = np.full((m_count, n_cores, k), depth + 1, dtype=np.int64)
    for m in range(m_count):
        match = member_index[m][:, None, :] == top_index[:, :, None]  # [C, k, depth]
        found = match.any(axis=2)
        ranks[m][found] = match.argmax(axis=2)[found] + 1
    ranks = ranks.reshape(m_count, -1)
    set_keys_, set_names_, families = ligands.describe(set_rows)
    prov = cores.fields(first, first + n_cores)
    hit_sets, first_pos, set_pos = np.unique(set_rows, return_index=True, return_inverse=True)
    assessed = tally.add(_rows(engine.members[0].cores, first, first + n_cores), prov["elements"], list(prov["id"]),
                         hit_sets, _rows_of(engine.members[0].sets, hit_sets),
                         [LigandSet.parse(str(set_keys_[i])).smiles for i in first_pos])
    tally.add_scores(probs.reshape(m_count, n_cores, k))
    core_dom, set_dom = assessed.core_distance[local_rows], assessed.set_distance[set_pos]
    probability = probs.mean(axis=0).astype(np.float64)
    panel_probability = panel.set_means(hit_sets)[set_pos]
    rank_text = np.where(ranks <= depth, ranks.astype(str).astype(object), f">{depth}")
    member_ranks = rank_text[0].copy()
    for m in range(1, m_count):
        member_ranks = member_ranks + ";" + rank_text[m]
    hits = pd.DataFrame({
        "core_id": prov["id"][local_rows],
        "parent": prov["parent"][local_rows],
        "operator": prov["operator"][local_rows],
        "site": prov["site"][local_rows],
        "site_kind": prov["site_kind"][local_rows],
        "element": prov["element"][local_rows],
        "depth": prov["depth"][local_rows],
        "rank": np.tile(np.arange(1, k + 1), n_cores),
        "ligand_set": set_keys_,
        "ligand_names": set_names_,
        "families": families,
        "probability": probability,
        "spread": probs.std(axis=0).astype(np.float64),
        "core_effect": probability - panel_probability,
        "panel_probability": panel_probability,
        "member_ranks": member_ranks,
        "rank_range": (ranks.max(axis=0) - ranks.min(axis=0)).astype(np.int64),
        "stable": (ranks <= k).all(axis=0),
        "core_domain": core_dom.astype(np.float64),
        "set_domain": set_dom.astype(np.float64),
        "core_in_domain": assessed.core_in_domain[local_rows],
        "set_in_domain": assessed.set_in_domain[set_pos],
        "core_seen_in": assessed.core_seen_in[local_rows],
    }, columns=list(HIT_COLUMNS))
    if m_count > 1:  # each member's own probability, beside the ensemble mean and spread
        for m, name in enumerate(model_names):
            hits[f"probability_{m}"] = probs[m].astype(np.float64)
    summary = {"_stability": stability_parts(member_index[:, :, :k], probs.reshape(m_count, n_cores, k))}
    return ScreenResult(hits, summary)


def stability_parts(member_top: np.ndarray, member_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-core top-k agreement over member pairs (None for one model): overlap@k and the Spearman correlation of
    member probabilities over each core's ensemble hits; :class:`_StabilityTotals` averages them over blocks.

    Shapes: ``member_top [M, C, k]`` (each member's own top-k set rows), ``member_probs [M, C, k]``."""
    m_count, n_cores, k = member_top.shape
    if m_count < 2:
        return None
    overlaps, rhos = [], []
    ranks = np.argsort(np.argsort(member_probs, axis=2), axis=2).astype(np.float64)  # [M, C, k]
    centred = ranks - ranks.mean(axis=2, keepdims=True)
    for a in range(m_count):
        for b in range(a + 1, m_count):
            overlaps.append((member_top[a][:, :, None] == member_top[b][:, None, :]).any(axis=2).sum(axis=1) / k)
            num = (centred[a] * centred[b]).sum(axis=1)
            den = np.sqrt((centred[a] ** 2).sum(axis=1) * (centred[b] ** 2).sum(axis=1))
            rhos.append(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan))
    return np.concatenate(overlaps), np.concatenate(rhos)
