"""External encoder weights (Uni-Mol): a verified local cache that colim never downloads into.

Weights live in one folder, ``$COLIM_WEIGHTS_DIR`` (default ``~/.cache/colim/weights``, never inside
site-packages), each under its own name (``unimol_mol``), with a ``manifest.json`` recording the file,
its sha256, size, source path and import date, plus an optional companion dictionary (the token
vocabulary Uni-Mol needs). Files are copied atomically (temporary file + rename) and their sha256 is
checked again before an encoder uses them.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import re
import sysconfig
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from colim.errors import WeightsError
from colim.hashing import file_sha256
from colim.io.output_files import atomic_output

#: environment variable naming the weights cache folder.
WEIGHTS_DIR_ENV = "COLIM_WEIGHTS_DIR"
#: default cache folder when the variable is unset.
DEFAULT_WEIGHTS_DIR = Path("~/.cache/colim/weights")
#: manifest file inside the cache folder.
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "colim-weights-manifest"
MANIFEST_VERSION = 1
#: default name of imported Uni-Mol molecule weights.
DEFAULT_NAME = "unimol_mol"
#: companion dictionary files looked for beside imported weights (Uni-Mol's names).
DICTIONARY_NAMES = ("dict.txt", "mol.dict.txt")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileRecord:
    """One cached file: path relative to the cache folder, sha256, size in bytes, where it came from."""

    file: str
    sha256: str
    size: int
    source: str


@dataclass(frozen=True)
class WeightsEntry:
    """A named set of weights in the cache: the weights file, its import date, an optional dictionary."""

    name: str
    file: str
    sha256: str
    size: int
    source: str
    imported: str
    dictionary: FileRecord | None = None

    @property
    def record(self) -> FileRecord:
        return FileRecord(self.file, self.sha256, self.size, self.source)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, body: dict) -> "WeightsEntry":
        dictionary = body.get("dictionary")
        return cls(
            name=body["name"], file=body["file"], sha256=body["sha256"], size=int(body["size"]),
            source=body.get("source", ""), imported=body.get("imported", ""),
            dictionary=FileRecord(**dictionary) if dictionary else None,
        )


@dataclass(frozen=True)
class ResolvedWeights:
    """Absolute paths of verified weights (and dictionary) ready for an encoder to load."""

    name: str
    path: Path
    sha256: str
    dictionary: Path | None


def _site_dirs() -> list[Path]:
    paths = sysconfig.get_paths()
    return [Path(paths[key]).resolve() for key in ("purelib", "platlib") if key in paths]


def weights_dir() -> Path:
    """The cache folder (``$COLIM_WEIGHTS_DIR`` or ``~/.cache/colim/weights``); refuses site-packages."""
    raw = os.environ.get(WEIGHTS_DIR_ENV)
    folder = Path(raw).expanduser() if raw else DEFAULT_WEIGHTS_DIR.expanduser()
    resolved = folder.resolve()
    for site in _site_dirs():
        if resolved == site or site in resolved.parents:
            raise WeightsError(f"{WEIGHTS_DIR_ENV}={folder} lies inside site-packages ({site}); choose a folder outside the Python installation")
    return resolved


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise manifest updates between processes (an advisory lock file in the cache folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_manifest(folder: Path) -> dict[str, WeightsEntry]:
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        body = json.loads(path.read_text())
        if body.get("format") != MANIFEST_FORMAT:
            raise ValueError("not a colim weights manifest")
        return {entry["name"]: WeightsEntry.from_json(entry) for entry in body["weights"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WeightsError(f"cannot read weights manifest {path}: {exc}") from exc


def _write_manifest(folder: Path, entries: dict[str, WeightsEntry]) -> None:
    body = {"format": MANIFEST_FORMAT, "format_version": MANIFEST_VERSION,
            "weights": [entries[name].to_json() for name in sorted(entries)]}
    with atomic_output(folder / MANIFEST_NAME, overwrite=True) as tmp:
        tmp.write_text(json.dumps(body, indent=2) + "\n")


def list_weights() -> list[WeightsEntry]:
    """Every weights entry in colim's verified cache (name, size, sha256, import date, source), by name."""
    entries = _read_manifest(weights_dir())
    return [entries[name] for name in sorted(entries)]


def get_entry(name: str) -> WeightsEntry | None:
    """The cached entry called ``name``, or None."""
    return _read_manifest(weights_dir()).get(name)


def _copy_verified(source: Path, destination: Path) -> tuple[str, int]:
    """Copy ``source`` to ``destination`` through a temporary file in the same folder; returns (sha256, size)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, destination)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def _find_dictionary(weights: Path) -> Path | None:
    for candidate in DICTIONARY_NAMES:
        if (weights.parent / candidate).is_file():
            return weights.parent / candidate
    return None


def import_weights(
    path: str | os.PathLike,
    name: str = DEFAULT_NAME,
    dictionary: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> WeightsEntry:
    """Copy weights (and their dictionary) into the cache under ``name`` and record their sha256.

    Args:
        path: the weights file (e.g. Uni-Mol's ``mol_pre_all_h_220816.pt``).
        name: the cache name (letters, digits, ``_.-``).
        dictionary: the token dictionary; by default ``dict.txt`` or ``mol.dict.txt`` beside ``path``.
        overwrite: replace an entry of the same name holding different weights.
    """
    source = Path(path).expanduser()
    if not source.is_file():
        raise WeightsError(f"weights file {source} does not exist")
    if not _NAME_RE.match(name):
        raise WeightsError(f"invalid weights name '{name}': use letters, digits, '_', '.' and '-'")
    dict_source = Path(dictionary).expanduser() if dictionary is not None else _find_dictionary(source)
    if dict_source is not None and not dict_source.is_file():
        raise WeightsError(f"dictionary file {dict_source} does not exist")
    folder = weights_dir()
    with _locked(folder):
        entries = _read_manifest(folder)
        old = entries.get(name)
        if old is not None and not overwrite and old.sha256 != file_sha256(source):
            raise WeightsError(f"weights '{name}' already hold other weights (sha256 {old.sha256[:12]}); pass --overwrite to replace them")
        sub = folder / name
        sha, size = _copy_verified(source, sub / source.name)
        dict_record = None
        if dict_source is not None:
            dict_name = "dict.txt" if dict_source.name == source.name else dict_source.name
            dict_sha, dict_size = _copy_verified(dict_source, sub / dict_name)
            dict_record = FileRecord(f"{name}/{dict_name}", dict_sha, dict_size, str(dict_source.resolve()))
        entry = WeightsEntry(
            name=name, file=f"{name}/{source.name}", sha256=sha, size=size, source=str(source.resolve()),
            imported=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), dictionary=dict_record,
        )
        if old is not None:
            for stale in {old.file} | ({old.dictionary.file} if old.dictionary else set()):
                if stale not in {entry.file, dict_record.file if dict_record else None}:
                    (folder / stale).unlink(missing_ok=True)
        entries[name] = entry
        _write_manifest(folder, entries)
    return entry


def _verify_record(name: str, record: FileRecord, folder: Path, what: str) -> Path:
    path = folder / record.file
    if not path.is_file():
        raise WeightsError(f"weights '{name}': {what} {path} is missing; import it again with `colim weights import`")
    actual = file_sha256(path)
    if actual != record.sha256:
        raise WeightsError(f"weights '{name}' fail verification: sha256 of {path} is {actual[:12]}, the manifest records {record.sha256[:12]}")
    return path


def verify_entry(entry: WeightsEntry) -> ResolvedWeights:
    """Recompute the sha256 of an entry's files; a mismatch or missing file raises :class:`WeightsError`."""
    folder = weights_dir()
    path = _verify_record(entry.name, entry.record, folder, "weights file")
    dictionary = _verify_record(entry.name, entry.dictionary, folder, "dictionary") if entry.dictionary else None
    return ResolvedWeights(entry.name, path, entry.sha256, dictionary)


def verify_weights(names: list[str] | None = None) -> list[ResolvedWeights]:
    """Verify the named entries (all when ``names`` is empty or None); unknown names raise."""
    entries = _read_manifest(weights_dir())
    selected = list(names) if names else sorted(entries)
    for name in selected:
        if name not in entries:
            raise WeightsError(f"no weights named '{name}' in {weights_dir()}; imported: {', '.join(sorted(entries)) or '(none)'}")
    return [verify_entry(entries[name]) for name in selected]


def resolve_weights(name: str) -> ResolvedWeights | None:
    """Verified paths of the cached entry ``name``, or None when nothing is cached under that name."""
    entry = get_entry(name)
    return verify_entry(entry) if entry is not None else None

