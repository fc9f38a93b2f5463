"""Writing and reading screening hits: CSV, Parquet or HDF5 (rows of :data:`HIT_FORMATS`, by extension),
atomically and streaming: a :class:`HitWriter` appends one block of hits at a time (a Parquet row group, an
HDF5 chunk, CSV rows through Arrow's C++ writer), so the whole table never has to exist in memory."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

import h5py
import numpy as np
import pandas as pd

from colim import keys
from colim.choices import InvalidChoiceError
from colim.io.file_table import FileTable
from colim.io.output_files import atomic_output
from colim.libraries.h5file import STR, write_header

RESULTS_VERSION = 1
#: hit-table columns that hold text (read back as text from CSV, where "3" must stay "3").
TEXT_COLUMNS = ("core_id", "parent", "operator", "site", "site_kind", "element", "ligand_set", "ligand_names", "families", "member_ranks",
                "core_seen_in")


class BlockWriter(Protocol):
    """Appends blocks of hits to one open file; ``close(summary)`` finishes it."""

    def write(self, hits: pd.DataFrame) -> None: ...

    def close(self, summary: dict) -> None: ...


class _ArrowWriter:
    """CSV or Parquet through Arrow's C++ writers (one Parquet row group per block; CSV quoted only where needed)."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt = path, fmt
        self._writer = None
        self._schema = None

    def write(self, hits: pd.DataFrame) -> None:
        import pyarrow as pa

        table = pa.Table.from_pandas(hits, preserve_index=False, schema=self._schema)
        if self._writer is None:
            self._schema = table.schema
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                self._writer = pq.ParquetWriter(self.path, table.schema)
            else:
                import pyarrow.csv as pcsv

                self._writer = pcsv.CSVWriter(self.path, table.schema, write_options=pcsv.WriteOptions(quoting_style="needed"))
        self._writer.write_table(table)

    def close(self, summary: dict) -> None:
        if self._writer is not None:
            self._writer.close()
        elif self.fmt == "csv":
            self.path.write_text("")


class _H5Writer:
    """HDF5: one resizable, chunked dataset per column; the summary as a JSON attribute."""

    def __init__(self, path: Path):
        self.path, self.rows = path, 0
        self._file: h5py.File | None = None

    def write(self, hits: pd.DataFrame) -> None:
        if self._file is None:
            self._file = h5py.File(self.path, "w")
            write_header(self._file, keys.SCREEN_RESULTS_FORMAT, RESULTS_VERSION)
            g = self._file.create_group(keys.HITS)
            for column in hits.columns:
                values = _h5_values(hits[column])
                g.create_dataset(column, shape=(0,), maxshape=(None,), dtype=STR if values.dtype == object else values.dtype, chunks=(65536,))
        g = self._file[keys.HITS]
        n = len(hits)
        for column in hits.columns:
            ds = g[column]
            ds.resize((self.rows + n,))
            ds[self.rows :] = _h5_values(hits[column])
        self.rows += n

    def close(self, summary: dict) -> None:
        if self._file is None:
            self.write(pd.DataFrame({"core_id": pd.Series(dtype=object)}))
        self._file.attrs[keys.HITS_SUMMARY] = json.dumps(json_safe(summary), sort_keys=True, allow_nan=False)
        self._file.close()


def _h5_values(column: pd.Series) -> np.ndarray:
    """A column as HDF5 stores it: text as str objects, a nullable boolean without NA as plain bool."""
    values = column.to_numpy()
    if isinstance(column.dtype, pd.BooleanDtype) and not column.isna().any():
        return values.astype(bool)
    return values.astype(str).astype(object) if values.dtype == object else values


def _read_csv(path: str | os.PathLike) -> pd.DataFrame:
    hits = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=False)
    for column in ("core_domain", "set_domain"):
        if column in hits:
            hits[column] = pd.to_numeric(hits[column], errors="coerce")
    for column in ("core_in_domain", "set_in_domain"):
        if column in hits:
            hits[column] = hits[column].astype(str).map({"True": True, "False": False, "true": True, "false": False}).astype("boolean")
    return hits


def _read_h5(path: str | os.PathLike) -> pd.DataFrame:
    with h5py.File(path, "r") as f:
        g = f[keys.HITS]
        return pd.DataFrame({name: (g[name].asstr()[()] if h5py.check_string_dtype(g[name].dtype) else g[name][()]) for name in g})


@dataclass(frozen=True)
class HitFormat:
    """One hit-table file format: its name, ``read(path)``, ``open_writer(tmp_path)`` (a :class:`BlockWriter`),
    and whether the summary goes inside the file rather than into a JSON beside it."""

    name: str
    read: Callable[[str | os.PathLike], pd.DataFrame]
    open_writer: Callable[[Path], BlockWriter]
    summary_inside: bool = False


#: hit writers and readers by output suffix: adding a format is one row and its two functions.
HIT_FORMATS: FileTable[HitFormat] = FileTable("output format (file extension)", InvalidChoiceError)
HIT_FORMATS.add(".csv", HitFormat("csv", _read_csv, lambda path: _ArrowWriter(path, "csv")))
HIT_FORMATS.add((".parquet", ".pq"), HitFormat("parquet", pd.read_parquet, lambda path: _ArrowWriter(path, "parquet")))
HIT_FORMATS.add((".h5", ".hdf5"), HitFormat("h5", _read_h5, _H5Writer, summary_inside=True))
OUTPUT_FORMATS = tuple(dict.fromkeys(entry.name for entry in (HIT_FORMATS.find(f"x{k}") for k in HIT_FORMATS)))


def output_format(path: str | os.PathLike) -> str:
    """The hit-table format of ``path`` (``csv``, ``parquet`` or ``h5``) from its extension; an unknown one lists the choices."""
    return HIT_FORMATS.lookup(path).name


class HitWriter:
    """Appends blocks of hits to the temporary file of :func:`open_hit_writer`; set :attr:`summary` before the end."""

    def __init__(self, tmp: Path, fmt: HitFormat):
        self.fmt, self.rows = fmt, 0
        self.summary: dict = {}
        self._writer = fmt.open_writer(tmp)

    def write(self, hits: pd.DataFrame) -> None:
        """Append ``hits`` (same columns every call): vectorised per column, no per-row Python loop."""
        self._writer.write(hits)
        self.rows += len(hits)

    def close(self) -> None:
        self._writer.close(self.summary)


@contextlib.contextmanager
def open_hit_writer(path: str | os.PathLike, overwrite: bool = False) -> Iterator[HitWriter]:
    """A :class:`HitWriter` on a temporary file renamed to ``path`` (and its summary beside it) only when
    the ``with`` block completes: no half-written hit table is ever left."""
    fmt = HIT_FORMATS.lookup(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        writer = HitWriter(Path(tmp), fmt)
        try:
            yield writer
        finally:
            writer.close()
    if not fmt.summary_inside:
        with atomic_output(summary_path(path), overwrite=True) as tmp:
            tmp.write_text(json.dumps(json_safe(writer.summary), indent=2, sort_keys=True, allow_nan=False))


def write_hits(hits: pd.DataFrame, path: str | os.PathLike, summary: dict, overwrite: bool = False) -> None:
    """Write the hit table; the HDF5 form keeps ``summary`` as a JSON attribute (CSV/Parquet: a ``.json`` beside)."""
    with open_hit_writer(path, overwrite) as writer:
        writer.write(hits)
        writer.summary = summary


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
