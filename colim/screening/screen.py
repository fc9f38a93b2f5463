"""A whole screen: libraries + model(s) → folded heads → streamed top-k → hit table with spread,
rank stability and applicability domain; resumable through :class:`ScreenState`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from colim.output_files import check_output_path
from colim.errors import ColimError, LibraryError
from colim.libraries.core_library import CoreLibrary, core_elements, load_core_library
from colim.libraries.encoder_info import encoder_info, weights_hash
from colim.libraries.ligand_library import LigandLibrary, load_ligand_library
from colim.model.dual_encoder import CoLiMModel
from colim.screening.domain import DomainReference, assess_domain, reference_of, score_warnings
from colim.screening.engine import BlockResult, Member, ScreenEngine
from colim.screening.folded import FoldedHead
from colim.screening.outputs import output_format, write_hits
from colim.screening.state import ScreenState

HIT_COLUMNS = (
    "core_id", "parent", "operator", "site", "site_kind", "element", "depth", "rank", "ligand_set", "ligand_names", "families",
    "probability", "spread", "member_ranks", "rank_range", "stable", "core_domain", "set_domain",
    "core_in_domain", "set_in_domain",
)


class ScreenInterrupted(ColimError):
    """The screen stopped before the end; its finished blocks are saved for a resume."""


@dataclass
class ScreenOptions:
    """Knobs of a screen (see ``colim screen --help``)."""

    top_k: int = 10
    depth: int | None = None
    device: str | None = None
    memory_mb: float | None = None
    block_pairs: int | None = None
    core_block: int | None = None
    restart: bool = False
    overwrite: bool = False


@dataclass
class ScreenResult:
    """The hit table and a summary (counts, models, libraries, stability across members); ``engine``,
    ``cores`` and ``ligands`` are the screen's engine and libraries, for scoring more pairs without
    reloading the libraries or refolding the heads (the demo's heat map)."""

    hits: pd.DataFrame
    summary: dict = field(default_factory=dict)
    engine: ScreenEngine | None = field(default=None, repr=False)
    cores: CoreLibrary | None = field(default=None, repr=False)
    ligands: LigandLibrary | None = field(default=None, repr=False)


def build_members(models: Sequence[tuple[str, CoLiMModel]], cores: CoreLibrary, ligands: LigandLibrary) -> list[Member]:
    """Pick each model's embeddings from the libraries (refusing foreign ones) and fold its head."""
    members = []
    for name, model in models:
        model.eval()
        core_emb = cores.embeddings_for(encoder_info(model.core_encoder), name)
        set_emb = ligands.set_embeddings_for(encoder_info(model.ligand_encoder), name)
        if core_emb.shape[1] != model.head.core_dim or set_emb.shape[1] != model.head.ligand_dim:
            raise LibraryError(f"library embedding sizes ({core_emb.shape[1]}, {set_emb.shape[1]}) do not fit {name}'s head")
        members.append(Member(FoldedHead(model.head), torch.from_numpy(core_emb), torch.from_numpy(set_emb)))
    return members


def screen(core_lib: str | os.PathLike, ligand_lib: str | os.PathLike, models: Sequence[tuple[str, CoLiMModel]],
           output: str | os.PathLike | None = None, options: ScreenOptions | None = None,
           domain: DomainReference | None = None, on_block: Callable[[BlockResult], None] | None = None,
           on_start: Callable[[int, int], None] | None = None) -> ScreenResult:
    """Screen every core of ``core_lib`` against every set of ``ligand_lib`` and keep the top-k per core.

    ``domain`` overrides the applicability-domain reference of the first model's checkpoint; every hit
    gets ``core_in_domain``/``set_in_domain`` and ``summary["warnings"]`` holds one line per problem
    (cores or sets out of domain, unseen elements, saturated or tied scores).
    With ``output`` the hits are written there (format by extension) and finished blocks are saved to
    ``<output>.state/`` so that an interrupted screen resumes; ``on_start(total_pairs, done_pairs)`` is
    called once before scoring and ``on_block`` with each new block.
    """
    opts = options or ScreenOptions()
    if output is not None:
        output_format(output)
        check_output_path(output, opts.overwrite)
    cores, ligands = load_core_library(core_lib), load_ligand_library(ligand_lib)
    if not len(cores) or not ligands.sets:
        raise LibraryError("nothing to screen: the core library or the ligand library is empty")
    members = build_members(models, cores, ligands)
    engine = ScreenEngine(members, opts.top_k, opts.depth, opts.device, opts.memory_mb, opts.block_pairs, opts.core_block)
    fingerprint = {
        "cores": cores.content_hash, "ligands": ligands.content_hash,
        "models": [weights_hash(m) for _, m in models], "top_k": engine.top_k, "depth": engine.depth,
    }
    state = ScreenState(output, fingerprint, opts.restart) if output is not None else None
    start, blocks = state.resume_point() if state else (0, [])
    if on_start:
        on_start(engine.num_cores * engine.num_sets, start * engine.num_sets)

    def finished(block: BlockResult) -> None:
        if state:
            state.save(block)
        if on_block:
            on_block(block)

    try:
        blocks += engine.run(start, finished)
    except KeyboardInterrupt:
        if state is None:
            raise ScreenInterrupted("screen interrupted (no output given, so nothing was saved)") from None
        done = state.resume_point()[0]
        raise ScreenInterrupted(f"screen interrupted after {done} of {engine.num_cores} cores; the finished blocks are saved in {state.dir}: run the same command again to resume") from None
    reference = domain if domain is not None else reference_of(models[0][1])
    result = _hit_table(engine, blocks, cores, ligands, reference, [name for name, _ in models])
    result.summary.update({"core_library": str(core_lib), "ligand_library": str(ligand_lib), "resumed_from_core": start})
    result.engine, result.cores, result.ligands = engine, cores, ligands
    if output is not None:
        write_hits(result.hits, output, result.summary, overwrite=opts.overwrite)
        state.discard()
    return result



def _hit_table(engine: ScreenEngine, blocks: list[BlockResult], cores: CoreLibrary, ligands: LigandLibrary,
               domain: DomainReference | None, model_names: list[str]) -> ScreenResult:
    top_index = np.concatenate([b.top_index for b in blocks])
    member_index = np.concatenate([b.member_index for b in blocks], axis=1)
    n_cores, k = top_index.shape
    m_count, depth = member_index.shape[0], member_index.shape[2]
    core_rows = np.repeat(np.arange(n_cores), k)
    set_rows = top_index.reshape(-1)
    probs = engine.pair_probabilities(core_rows, set_rows)  # [M, C*k]
    # member ranks: position of each hit in the member's own top-depth list (depth + 1 when absent)
    ranks = np.full((m_count, n_cores, k), depth + 1, dtype=np.int64)
    for m in range(m_count):
        match = member_index[m][:, None, :] == top_index[:, :, None]  # [C, k, depth]
        found = match.any(axis=2)
        ranks[m][found] = match.argmax(axis=2)[found] + 1
    ranks = ranks.reshape(m_count, -1)
    keys_ = [str(s) for s in ligands.sets]
    names = {lig.smiles: lig.name for lig in ligands.ligands}
    set_names = [".".join(names[s] for s in ls.smiles) for ls in ligands.sets]
    families = ligands.set_families()
    hit_sets, set_pos = np.unique(set_rows, return_inverse=True)
    assessed = assess_domain(domain, engine.members[0].cores.numpy(), core_elements(cores.path),
                             engine.members[0].sets[torch.as_tensor(hit_sets)].numpy(), [ligands.sets[j].smiles for j in hit_sets], cores.ids)
    core_dom, set_dom = assessed.core_distance[core_rows], assessed.set_distance[set_pos]
    prov = cores.provenance
    hits = pd.DataFrame({
        "core_id": [cores.ids[i] for i in core_rows],
        "parent": [prov["parent"][i] for i in core_rows],
        "operator": [prov["operator"][i] for i in core_rows],
        "site": [prov["site"][i] for i in core_rows],
        "site_kind": [prov["site_kind"][i] for i in core_rows],
        "element": [prov["element"][i] for i in core_rows],
        "depth": np.asarray(prov["depth"], dtype=np.int64)[core_rows],
        "rank": np.tile(np.arange(1, k + 1), n_cores),
        "ligand_set": [keys_[j] for j in set_rows],
        "ligand_names": [set_names[j] for j in set_rows],
        "families": [families[j] for j in set_rows],
        "probability": probs.mean(axis=0).astype(np.float64),
        "spread": probs.std(axis=0).astype(np.float64),
        "member_ranks": [";".join(str(r) if r <= depth else f">{depth}" for r in ranks[:, i]) for i in range(ranks.shape[1])],
        "rank_range": (ranks.max(axis=0) - ranks.min(axis=0)).astype(np.int64),
        "stable": (ranks <= k).all(axis=0),
        "core_domain": core_dom.astype(np.float64),
        "set_domain": set_dom.astype(np.float64),
        "core_in_domain": assessed.core_in_domain[core_rows],
        "set_in_domain": assessed.set_in_domain[set_pos],
    }, columns=list(HIT_COLUMNS))
    if m_count > 1:  # each member's own probability, beside the ensemble mean and spread
        for m, name in enumerate(model_names):
            hits[f"probability_{m}"] = probs[m].astype(np.float64)
    summary = {
        "cores": int(n_cores), "sets": int(engine.num_sets), "pairs": int(n_cores) * int(engine.num_sets), "top_k": int(k),
        "models": model_names, "members": int(m_count), "domain": None if domain is None else domain.summary(),
        "warnings": assessed.warnings + score_warnings(probs.reshape(m_count, n_cores, k), cores.ids),
        **stability_summary(member_index[:, :, :k], probs.reshape(m_count, n_cores, k)),
    }
    return ScreenResult(hits, summary)


def stability_summary(member_top: np.ndarray, member_probs: np.ndarray) -> dict:
    """Top-k agreement across ensemble members: mean/min overlap@k over member pairs and cores, and the
    mean Spearman correlation of member probabilities over each core's ensemble hits.

    Shapes: ``member_top [M, C, k]`` (each member's own top-k set rows), ``member_probs [M, C, k]``."""
    m_count, n_cores, k = member_top.shape
    if m_count < 2:
        return {"overlap_at_k_mean": 1.0, "overlap_at_k_min": 1.0, "spearman_mean": 1.0}
    overlaps, rhos = [], []
    ranks = np.argsort(np.argsort(member_probs, axis=2), axis=2).astype(np.float64)  # [M, C, k]
    centred = ranks - ranks.mean(axis=2, keepdims=True)
    for a in range(m_count):
        for b in range(a + 1, m_count):
            overlaps.append((member_top[a][:, :, None] == member_top[b][:, None, :]).any(axis=2).sum(axis=1) / k)
            num = (centred[a] * centred[b]).sum(axis=1)
            den = np.sqrt((centred[a] ** 2).sum(axis=1) * (centred[b] ** 2).sum(axis=1))
            rhos.append(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan))
    overlap, rho = np.concatenate(overlaps), np.concatenate(rhos)
    rho = rho[np.isfinite(rho)]
    return {"overlap_at_k_mean": float(overlap.mean()), "overlap_at_k_min": float(overlap.min()),
            "spearman_mean": float(rho.mean()) if len(rho) else float("nan")}
