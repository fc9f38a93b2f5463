"""Writing and reading screening hits: CSV, Parquet or HDF5 (rows of :data:`HIT_FORMATS`, by extension), atomically."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import pandas as pd

from colim import keys
from colim.output_files import atomic_output
from colim.choices import InvalidChoiceError
from colim.file_table import FileTable
from colim.libraries.h5file import STR, write_header

RESULTS_VERSION = 1
#: hit-table columns that hold text (read back as text from CSV, where "3" must stay "3").
TEXT_COLUMNS = ("core_id", "parent", "operator", "site", "site_kind", "element", "ligand_set", "ligand_names", "families", "member_ranks")


def _write_csv(hits: pd.DataFrame, path: Path) -> None:
    hits.to_csv(path, index=False, float_format="%.6g")


def _read_csv(path: str | os.PathLike) -> pd.DataFrame:
    hits = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=False)
    for column in ("core_domain", "set_domain"):
        if column in hits:
            hits[column] = pd.to_numeric(hits[column], errors="coerce")
    for column in ("core_in_domain", "set_in_domain"):
        if column in hits:
            hits[column] = hits[column].astype(str).map({"True": True, "False": False}).astype("boolean")
    return hits


def _write_parquet(hits: pd.DataFrame, path: Path) -> None:
    hits.to_parquet(path, index=False)


def _write_h5(hits: pd.DataFrame, path: Path, summary: dict) -> None:
    with h5py.File(path, "w") as f:
        write_header(f, keys.SCREEN_RESULTS_FORMAT, RESULTS_VERSION)
        f.attrs[keys.HITS_SUMMARY] = json.dumps(json_safe(summary), sort_keys=True, allow_nan=False)
        g = f.create_group(keys.HITS)
        for column in hits.columns:
            values = hits[column].to_numpy()
            if isinstance(hits[column].dtype, pd.BooleanDtype) and not hits[column].isna().any():
                values = values.astype(bool)
            if values.dtype == object:
                g.create_dataset(column, data=np.array([str(v) for v in values], dtype=object), dtype=STR)
            else:
                g.create_dataset(column, data=values)


def _read_h5(path: str | os.PathLike) -> pd.DataFrame:
    with h5py.File(path, "r") as f:
        g = f[keys.HITS]
        return pd.DataFrame({name: [v.decode() if isinstance(v, bytes) else v for v in g[name][()]] for name in g})


@dataclass(frozen=True)
class HitFormat:
    """One hit-table file format: its name, ``read(path)``, ``write(hits, tmp_path)``, and whether the
    summary goes inside the file (``write(hits, tmp_path, summary)``) rather than into a JSON beside it."""

    name: str
    read: Callable[[str | os.PathLike], pd.DataFrame]
    write: Callable[..., None]
    summary_inside: bool = False


#: hit writers and readers by output suffix: adding a format is one row and its two functions.
HIT_FORMATS: FileTable[HitFormat] = FileTable("output format (file extension)", InvalidChoiceError)
HIT_FORMATS.add(".csv", HitFormat("csv", _read_csv, _write_csv))
HIT_FORMATS.add((".parquet", ".pq"), HitFormat("parquet", pd.read_parquet, _write_parquet))
HIT_FORMATS.add((".h5", ".hdf5"), HitFormat("h5", _read_h5, _write_h5, summary_inside=True))
OUTPUT_FORMATS = tuple(dict.fromkeys(entry.name for entry in (HIT_FORMATS.find(f"x{k}") for k in HIT_FORMATS)))


def output_format(path: str | os.PathLike) -> str:
    """The hit-table format of ``path`` (``csv``, ``parquet`` or ``h5``) from its extension; an unknown one lists the choices."""
    return HIT_FORMATS.lookup(path).name


def write_hits(hits: pd.DataFrame, path: str | os.PathLike, summary: dict, overwrite: bool = False) -> None:
    """Write the hit table; the HDF5 form keeps ``summary`` as a JSON attribute (CSV/Parquet: a ``.json`` beside)."""
    fmt = HIT_FORMATS.lookup(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        if fmt.summary_inside:
            fmt.write(hits, tmp, summary)
        else:
            fmt.write(hits, tmp)
    if not fmt.summary_inside:
        with atomic_output(summary_path(path), overwrite=True) as tmp:
            tmp.write_text(json.dumps(json_safe(summary), indent=2, sort_keys=True, allow_nan=False))


def json_safe(value):
    """``value`` with NaN and infinities as ``null``: standard JSON, which every reader parses."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    return value


def summary_path(path: str | os.PathLike) -> Path:
    """The JSON summary written beside a CSV/Parquet output."""
    p = Path(path)
    return p.with_name(p.name + ".summary.json")


def read_hits(path: str | os.PathLike) -> pd.DataFrame:
    """Read a hit table written by :func:`write_hits`."""
    return HIT_FORMATS.lookup(path).read(path)
