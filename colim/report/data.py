"""What a screening report shows, gathered from a hits file, its summary and the core library it screened.

:func:`build_report_data` reads the hit table written by ``colim screen`` (CSV, Parquet or HDF5), the
summary beside it (or inside it, for HDF5), finds the core library the summary names (or the one given),
and prepares each part of the page: the hit rows, one 2D drawing per ligand set, one XYZ block per core
with its edited site, and the core × ligand-set heat map as a PNG.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms

from colim import keys
from colim.demo import heatmap_figure
from colim.errors import ColimError, LibraryError
from colim.io.hit_tables import RESULTS_VERSION, output_format, read_hits, summary_path
from colim.libraries.core_library import read_core_library
from colim.libraries.h5file import open_colim_h5
from colim.report.molecules import ligand_set_svg
from colim.report.sites import EditHighlight, edit_highlight
from colim.structures.ligands import LigandSet

#: columns every hit table from ``colim screen`` has; a file without them is not a hits file.
REQUIRED_COLUMNS = ("core_id", "rank", "ligand_set", "probability")
#: defaults that keep a report of a large screen a few MB: rows of the table, cores drawn, heat-map columns.
MAX_ROWS, MAX_CORES, MAX_HEATMAP_SETS = 2000, 40, 16


class HitsFileError(ColimError):
    """The file given to ``colim report`` is missing or is not a hit table from ``colim screen``."""


@dataclass
class CoreView:
    """One core as the report draws it: XYZ text, its edit in words and the atoms to highlight."""

    id: str
    formula: str
    depth: int
    parent: str
    xyz: str
    highlight: EditHighlight


@dataclass
class SetView:
    """One ligand set: its key (canonical SMILES, ratios), ligand names, SVG and how often it is a hit."""

    key: str
    names: list[str]
    smiles: list[str]
    svg: str
    hits: int
    best: float


@dataclass
class ReportData:
    """Everything the HTML page shows; ``rows`` is the (possibly truncated) hit table."""

    hits_path: str
    core_library: str
    summary: dict
    rows: pd.DataFrame
    total_rows: int
    cores: list[CoreView]
    sets: list[SetView]
    heatmap_png: bytes
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_hits_file(path: str | os.PathLike) -> tuple[pd.DataFrame, dict]:
    """The hit table at ``path`` and its summary (``{}`` when none was written); one-line errors otherwise."""
    p = Path(path)
    if not p.is_file():
        raise HitsFileError(f"{p}: no such hits file" if not p.exists() else f"{p}: is a directory, not a hits file")
    fmt = output_format(p)
    try:
        hits = read_hits(p)
    except Exception as exc:  # pandas, pyarrow and h5py each raise their own kinds for a foreign file
        raise HitsFileError(f"{p}: not a hits file from 'colim screen' ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'unreadable'})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in hits.columns]
    if missing:
        raise HitsFileError(f"{p}: not a hits file from 'colim screen' (no column {', '.join(repr(c) for c in missing)})")
    return hits, _read_summary(p, fmt)


def _read_summary(path: Path, fmt: str) -> dict:
    try:
        if fmt == "h5":
            with open_colim_h5(path, keys.SCREEN_RESULTS_FORMAT, RESULTS_VERSION) as f:
                return json.loads(f.attrs.get(keys.HITS_SUMMARY, "{}"))
        beside = summary_path(path)
        return json.loads(beside.read_text()) if beside.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HitsFileError(f"{path}: its screen summary is not valid JSON ({exc})") from None


def find_core_library(hits_path: str | os.PathLike, summary: dict, core_lib: str | os.PathLike | None = None) -> Path:
    """The core library to draw cores from: ``core_lib`` if given, else the one the summary names, looked
    for as written, relative to the hits file's folder, then by its file name beside the hits file."""
    if core_lib is not None:
        if not Path(core_lib).is_file():
            raise LibraryError(f"{core_lib}: {'is a directory, not a core library' if Path(core_lib).is_dir() else 'no such core library'}")
        return Path(core_lib)
    named = summary.get("core_library")
    if not named:
        raise LibraryError(f"{hits_path}: no screen summary names its core library ({summary_path(hits_path).name} missing); pass --core-lib")
    folder = Path(hits_path).parent
    for candidate in (Path(named), folder / named, folder / Path(named).name):
        if candidate.is_file():
            return candidate
    raise LibraryError(f"{hits_path}: its core library {named} is not there (nor beside the hits file); pass --core-lib")


def xyz_text(atoms: Atoms, comment: str) -> str:
    """The core as XYZ text (what 3Dmol.js reads), 4 decimals."""
    lines = [str(len(atoms)), comment.replace("\n", " ")]
    lines += [f"{s} {x:.4f} {y:.4f} {z:.4f}" for s, (x, y, z) in zip(atoms.get_chemical_symbols(), atoms.positions)]
    return "\n".join(lines) + "\n"


def build_report_data(hits_path: str | os.PathLike, core_lib: str | os.PathLike | None = None, max_rows: int = MAX_ROWS,
                      max_cores: int = MAX_CORES, max_sets: int = MAX_HEATMAP_SETS) -> ReportData:
    """Read ``hits_path`` (and its summary and core library) into what the report page shows."""
    hits, summary = read_hits_file(hits_path)
    library = find_core_library(hits_path, summary, core_lib)
    by_id = {str(c.info["id"]): c for c in read_core_library(library)}
    rows = hits.head(max_rows).reset_index(drop=True)
    core_ids = list(dict.fromkeys(str(c) for c in rows["core_id"]))
    absent = [c for c in core_ids if c not in by_id]
    if absent:
        raise LibraryError(f"{library}: core library does not hold core '{absent[0]}' of {hits_path} ({len(absent)} missing); pass the --core-lib that was screened")
    drawn = core_ids[:max_cores]
    cores = [_core_view(by_id[c], by_id.get(str(by_id[c].info.get("parent") or ""))) for c in drawn]
    sets = _set_views(rows)
    heatmap = _heatmap_png(rows, drawn, sets[:max_sets], hits_path)
    data = ReportData(str(hits_path), str(library), summary, rows, len(hits), cores, sets, heatmap)
    data.warnings, data.notes = screen_warnings(summary, hits), _notes(data, len(core_ids), max_sets)
    return data


def _core_view(core: Atoms, parent: Atoms | None) -> CoreView:
    cid = str(core.info["id"])
    return CoreView(cid, core.get_chemical_formula(mode="metal"), int(core.info.get("depth") or 0), str(core.info.get("parent") or ""),
                    xyz_text(core, cid), edit_highlight(core, parent))


def _set_views(rows: pd.DataFrame) -> list[SetView]:
    """Ligand sets of the shown rows, most frequent hit first, each drawn once."""
    grouped = rows.groupby("ligand_set", sort=False)["probability"].agg(["count", "max"]).sort_values(["count", "max"], ascending=False)
    names_of = dict(zip(rows["ligand_set"], rows["ligand_names"] if "ligand_names" in rows else rows["ligand_set"]))
    views = []
    for key, (count, best) in grouped.iterrows():
        ligand_set = LigandSet.parse(str(key))
        names = str(names_of[key]).split(".")
        if len(names) != len(ligand_set.smiles):
            names = list(ligand_set.smiles)
        ratios = ligand_set.ratios or (None,) * len(names)
        legends = [f"{n} ({r:g})" if r is not None else n for n, r in zip(names, ratios)]
        views.append(SetView(str(key), names, list(ligand_set.smiles), ligand_set_svg(ligand_set.smiles, legends), int(count), float(best)))
    return views


def heatmap_matrix_from_hits(rows: pd.DataFrame, core_ids: list[str], set_keys: list[str]) -> np.ndarray:
    """``[cores, sets]`` hit probabilities; NaN where the set is not in that core's top-k."""
    matrix = np.full((len(core_ids), len(set_keys)), np.nan)
    r, c = {k: i for i, k in enumerate(core_ids)}, {k: j for j, k in enumerate(set_keys)}
    for core, key, p in zip(rows["core_id"], rows["ligand_set"], rows["probability"]):
        if core in r and key in c:
            matrix[r[core], c[key]] = p
    return matrix


def _heatmap_png(rows: pd.DataFrame, core_ids: list[str], sets: list[SetView], hits_path) -> bytes:
    matrix = heatmap_matrix_from_hits(rows, core_ids, [s.key for s in sets])
    fig = heatmap_figure(matrix, core_ids, [" + ".join(s.names) for s in sets], title=f"P(compatible) of the top-k hits in {Path(hits_path).name} (grey: not in the core's top-k)")
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=110, format="png")
    return buffer.getvalue()


def screen_warnings(summary: dict, hits: pd.DataFrame) -> list[str]:
    """The screen's own warning lines (summary ``warnings``) and what the hit columns say about the domain."""
    found = summary.get("warnings") or []
    lines = [found] if isinstance(found, str) else [str(w) for w in found]
    for column, what in (("core_in_domain", "cores"), ("set_in_domain", "ligand sets")):
        if column in hits:
            outside = hits[column].astype(str).str.lower().isin(["false", "0", "0.0"])
            if outside.any():
                line = f"{int(outside.sum())} of {len(hits)} hits involve {what} outside the model's applicability domain ({column} = False): treat them as extrapolations"
                if not any(column in w for w in lines):
                    lines.append(line)
    if "core_seen_in" in hits and not any("mononuclear complexes" in w for w in lines):
        complexes = hits["core_seen_in"].astype(str).eq("complexes only")
        if complexes.any():
            lines.append(f"{int(complexes.sum())} of {len(hits)} hits involve cores with an element seen only in mononuclear complexes, never in a cluster "
                         "(core_seen_in = complexes only): their scores transfer from coordination chemistry")
    if summary and not summary.get("domain", False) and "core_in_domain" not in hits:
        lines.append("no applicability domain was computed (screen without --train-dataset): nothing tells whether these cores and ligand sets resemble the training data")
    bad = int((~np.isfinite(pd.to_numeric(hits["probability"], errors="coerce").to_numpy(dtype=float))).sum())
    if bad:
        lines.append(f"{bad} hits have no finite probability")
    return lines


def _notes(data: ReportData, n_cores: int, max_sets: int) -> list[str]:
    notes = []
    if not data.summary:
        notes.append(f"no screen summary was found beside {Path(data.hits_path).name}: counts, models and warnings of the screen are not shown")
    if data.total_rows > len(data.rows):
        notes.append(f"the table shows the first {len(data.rows):,} of {data.total_rows:,} hits (--max-rows)")
    if n_cores > len(data.cores):
        notes.append(f"3D views and the heat map show the first {len(data.cores)} of {n_cores} cores in the table (--max-cores)")
    if len(data.sets) > max_sets:
        notes.append(f"the heat map shows the {max_sets} ligand sets that are hits most often, of {len(data.sets)}")
    notes += [f"{c.id}: {c.highlight.note}" for c in data.cores if c.highlight.note]
    return notes


def finite_or_none(value) -> float | None:
    """A float for JSON, or None for NaN/inf (JSON has no NaN)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None
