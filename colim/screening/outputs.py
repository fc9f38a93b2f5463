"""Writing screening hits: CSV, Parquet or HDF5 (chosen by the output's extension), atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from colim import keys
from colim.output_files import atomic_output
from colim.choices import resolve_choice
from colim.libraries.h5file import STR, write_header

OUTPUT_FORMATS = ("csv", "parquet", "h5")
_SUFFIX = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".h5": "h5", ".hdf5": "h5"}
RESULTS_VERSION = 1
#: hit-table columns that hold text (read back as text from CSV, where "3" must stay "3").
TEXT_COLUMNS = ("core_id", "parent", "operator", "site", "site_kind", "element", "ligand_set", "ligand_names", "families", "member_ranks")


def output_format(path: str | os.PathLike) -> str:
    """``csv``, ``parquet`` or ``h5`` from the file extension (an unknown one lists the choices)."""
    suffix = Path(path).suffix.lower()
    return resolve_choice(_SUFFIX.get(suffix, suffix.lstrip(".") or "(none)"), OUTPUT_FORMATS, "output format (file extension)")


def write_hits(hits: pd.DataFrame, path: str | os.PathLike, summary: dict, overwrite: bool = False) -> None:
    """Write the hit table; the HDF5 form keeps ``summary`` as a JSON attribute (CSV/Parquet: a ``.json`` beside)."""
    fmt = output_format(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        if fmt == "csv":
            hits.to_csv(tmp, index=False, float_format="%.6g")
        elif fmt == "parquet":
            hits.to_parquet(tmp, index=False)
        else:
            with h5py.File(tmp, "w") as f:
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
    if fmt != "h5":
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
    fmt = output_format(path)
    if fmt == "csv":
        hits = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=False)
        for column in ("core_domain", "set_domain"):
            if column in hits:
                hits[column] = pd.to_numeric(hits[column], errors="coerce")
        for column in ("core_in_domain", "set_in_domain"):
            if column in hits:
                hits[column] = hits[column].astype(str).map({"True": True, "False": False}).astype("boolean")
        return hits
    if fmt == "parquet":
        return pd.read_parquet(path)
    with h5py.File(path, "r") as f:
        g = f[keys.HITS]
        return pd.DataFrame({name: [v.decode() if isinstance(v, bytes) else v for v in g[name][()]] for name in g})
