"""The demo's pieces: what it returns, its files and its heat map of edited cores × ligand sets.

The demo itself, :func:`colim.api.run_demo` (``colim demo``), is written on the public API: enumerate the
edits of a known core, build their core library, screen it, and plot this heat map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms
from matplotlib import colormaps
from matplotlib.figure import Figure

from colim.editing.enumerate import Enumeration
from colim.io.output_files import atomic_output
from colim.screening.core_effect import core_effect_line
from colim.screening.screen import ScreenResult

DEFAULT_OPS = "remove,substitute:Ag+Cu"
#: the files the demo writes into its folder.
DEMO_FILES = ("edited_cores.h5", "hits.csv", "heatmap.png")


@dataclass
class DemoResult:
    """What the demo made: the parent core, the enumeration, the hit table and the files written."""

    parent: Atoms
    enumeration: Enumeration
    hits: pd.DataFrame
    files: dict[str, Path]
    warnings: list[str] = field(default_factory=list)  # applicability-domain and saturation warnings of the screen
    #: per edit, how its top-k differs from the parent's (see :func:`topk_changes`)
    topk_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict = field(default_factory=dict)  # the screen's summary (counts, domain, core effect)

    @property
    def core_effect_line(self) -> str | None:
        """One line on how much the cores decided the hits (see :mod:`colim.screening.core_effect`)."""
        return core_effect_line(self.summary.get("core_effect"))

    @property
    def changed_edits(self) -> int:
        """How many edits have a top-k that differs from the parent's in at least one set."""
        return int((self.topk_changes["changed"] > 0).sum()) if len(self.topk_changes) else 0


#: columns of :func:`topk_changes`.
CHANGE_COLUMNS = ("core_id", "operator", "site", "element", "top_k", "changed", "new_sets", "dropped_sets", "largest_shift")


def topk_changes(result: ScreenResult, parent_id: str) -> pd.DataFrame:
    """Per edited core, how its top-k differs from the parent core's: ``changed`` = how many of its top-k
    sets are not in the parent's top-k, ``new_sets`` names them (``dropped_sets`` the parent's sets they
    replace), ``largest_shift`` = the largest change of
    probability (edit minus parent, signed) over the parent's top-k sets, scored by the screen's engine."""
    hits, cores, engine = result.hits, result.cores, result.engine
    ordered = hits.sort_values(["core_id", "rank"], kind="stable")
    tops = {str(c): list(g["ligand_set"]) for c, g in ordered.groupby("core_id", sort=False)}
    names = dict(zip(hits["ligand_set"], hits["ligand_names"]))
    parent_top = tops.get(parent_id, [])
    fields = cores.fields(0, len(cores))
    ids = [str(c) for c in fields["id"]]
    edits = [i for i, c in enumerate(ids) if c != parent_id and c in tops]
    if parent_id not in ids or not edits or not parent_top:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    keys_, _, _ = result.ligands.describe(np.arange(result.ligands.num_sets))
    set_index = {str(key): i for i, key in enumerate(keys_)}
    columns = np.array([set_index[s] for s in parent_top], dtype=np.int64)
    rows = np.array([ids.index(parent_id)] + edits, dtype=np.int64)
    probs = engine.pair_probabilities(np.repeat(rows, len(columns)), np.tile(columns, len(rows))).mean(axis=0).reshape(len(rows), len(columns))
    shifts = probs[1:] - probs[0]
    largest = shifts[np.arange(len(edits)), np.abs(shifts).argmax(axis=1)]
    new = [[s for s in tops[ids[i]] if s not in set(parent_top)] for i in edits]
    dropped = [[s for s in parent_top if s not in set(tops[ids[i]])] for i in edits]
    return pd.DataFrame({
        "core_id": [ids[i] for i in edits], "operator": [str(fields["operator"][i]) for i in edits],
        "site": [str(fields["site"][i]) for i in edits], "element": [str(fields["element"][i]) for i in edits],
        "top_k": [len(tops[ids[i]]) for i in edits], "changed": [len(n) for n in new],
        "new_sets": ["; ".join(str(names[s]) for s in n) for n in new],
        "dropped_sets": ["; ".join(str(names[s]) for s in d) for d in dropped], "largest_shift": largest.astype(np.float64),
    }, columns=list(CHANGE_COLUMNS))


def heatmap_matrix(result: ScreenResult, max_sets: int = 12) -> tuple[np.ndarray, list[str], list[str]]:
    """Ensemble-mean probabilities ``[cores, sets]`` for the ligand sets that reach the top-k most often,
    scored by the screen's own engine (no second load of the libraries, no refolding of the heads)."""
    engine, cores, ligands, hits = result.engine, result.cores, result.ligands, result.hits
    ranked = hits.groupby("ligand_set")["probability"].agg(["count", "mean"]).sort_values(["count", "mean"], ascending=False)
    chosen = list(ranked.index[:max_sets])
    keys_, names, _ = ligands.describe(np.arange(ligands.num_sets))
    set_index = {str(key): i for i, key in enumerate(keys_)}
    columns = np.array([set_index[s] for s in chosen], dtype=np.int64)
    rows = np.repeat(np.arange(len(cores)), len(columns))
    probs = engine.pair_probabilities(rows, np.tile(columns, len(cores))).mean(axis=0).reshape(len(cores), len(columns))
    column_labels = [str(names[j]).replace(".", " + ") for j in columns]
    return probs, list(cores.fields(0, len(cores))["id"]), column_labels


def heatmap_figure(matrix: np.ndarray, row_labels: list[str], column_labels: list[str], title: str) -> Figure:
    """A cores × ligand-sets heat map of probabilities (the paper's case-study view); NaN cells are grey."""
    height = 1.6 + 0.28 * len(row_labels)
    fig = Figure(figsize=(2.5 + 0.45 * len(column_labels), height))
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap=colormaps["viridis"].with_extremes(bad="#d9d9d9"), vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(column_labels)), column_labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(row_labels)), row_labels, fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, label="P(compatible), ensemble mean")
    fig.tight_layout()
    return fig


def plot_heatmap(matrix: np.ndarray, row_labels: list[str], column_labels: list[str], path: Path, title: str, overwrite: bool = False) -> None:
    """Write :func:`heatmap_figure` as a PNG."""
    fig = heatmap_figure(matrix, row_labels, column_labels, title)
    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
