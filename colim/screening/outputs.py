"""Writing screening hits: CSV, Parquet or HDF5 (chosen by the output's extension), atomically and
streaming: :class:`HitWriter` appends one block of hits at a time (a Parquet row group, an HDF5 chunk,
CSV rows written by pandas' C writer), so the whole table never has to exist in memory."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterator

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
    with open_hit_writer(path, overwrite) as writer:
        writer.write(hits)
        writer.summary = summary


class HitWriter:
    """Appends blocks of hits to a temporary file of one format; :func:`open_hit_writer` renames it into
    place when the block ends without error. Set :attr:`summary` before the end."""

    def __init__(self, tmp: Path, fmt: str):
        self.tmp, self.fmt, self.rows = tmp, fmt, 0
        self.summary: dict = {}
        self._parquet = None
        self._h5 = None
        self._schema = None

    def write(self, hits: pd.DataFrame) -> None:
        """Append ``hits`` (same columns every call): vectorised per column, no per-row Python loop."""
        if self.fmt in ("csv", "parquet"):
            import pyarrow as pa

            table = pa.Table.from_pandas(hits, preserve_index=False, schema=self._schema)
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = _arrow_writer(self.tmp, self.fmt, table.schema)
            self._parquet.write_table(table)
        else:
            self._write_h5(hits)
        self.rows += len(hits)

    def _write_h5(self, hits: pd.DataFrame) -> None:
        if self._h5 is None:
            self._h5 = h5py.File(self.tmp, "w")
            write_header(self._h5, keys.SCREEN_RESULTS_FORMAT, RESULTS_VERSION)
            g = self._h5.create_group(keys.HITS)
            for column in hits.columns:
                values = hits[column].to_numpy()
                dtype = STR if values.dtype == object else values.dtype
                g.create_dataset(column, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(65536,))
        g = self._h5[keys.HITS]
        n = len(hits)
        for column in hits.columns:
            values = hits[column].to_numpy()
            ds = g[column]
            ds.resize((self.rows + n,))
            ds[self.rows :] = values.astype(object) if values.dtype == object else values

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self.fmt == "h5":
            if self._h5 is None:
                self._write_h5(pd.DataFrame({c: pd.Series(dtype=object) for c in ("core_id",)}))
            self._h5.attrs[keys.HITS_SUMMARY] = json.dumps(json_safe(self.summary), sort_keys=True, allow_nan=False)
            self._h5.close()
        elif self.fmt == "csv" and not self.rows:
            self.tmp.write_text("")


def _arrow_writer(path: Path, fmt: str, schema):
    """Arrow's C++ writers: Parquet (one row group per block) or CSV (quoting only where needed)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetWriter(path, schema)
    import pyarrow.csv as pcsv

    return pcsv.CSVWriter(path, schema, write_options=pcsv.WriteOptions(quoting_style="needed"))


@contextlib.contextmanager
def open_hit_writer(path: str | os.PathLike, overwrite: bool = False) -> Iterator[HitWriter]:
    """A :class:`HitWriter` on a temporary file renamed to ``path`` (and its summary beside it) only when
    the ``with`` block completes: no half-written hit table is ever left."""
    fmt = output_format(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        writer = HitWriter(Path(tmp), fmt)
        try:
            yield writer
        finally:
            writer.close()
    if fmt != "h5":
        with atomic_output(summary_path(path), overwrite=True) as tmp:
            tmp.write_text(json.dumps(json_safe(writer.summary), indent=2, sort_keys=True, allow_nan=False))


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
        return hits
    if fmt == "parquet":
        return pd.read_parquet(path)
    with h5py.File(path, "r") as f:
        g = f[keys.HITS]
        return pd.DataFrame({name: (g[name].asstr()[()] if h5py.check_string_dtype(g[name].dtype) else g[name][()]) for name in g})
