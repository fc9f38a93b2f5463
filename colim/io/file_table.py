"""One table per kind of file: file suffix (or exact file name) → the entry that reads or writes it.

As ASE's ``io/formats.py`` does, each kind of file colim reads or writes (structures, edited cores,
hit tables, core sources) has one :class:`FileTable`; adding a format is one ``add`` row and one
function. A suffix can be claimed once: a second claim is refused, naming both entries.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Generic, Iterator, TypeVar

from colim.errors import ColimError

T = TypeVar("T")


class FileTable(Generic[T]):
    """Suffixes (``".xyz"``) and exact names (``"POSCAR"``) of one kind of file, each mapped to one entry.

    Args:
        what: how errors name the kind of file, e.g. ``"structure format"``.
        error: the :class:`ColimError` subclass raised for a path no row matches.
    """

    def __init__(self, what: str, error: type[ColimError] = ColimError) -> None:
        self.what = what
        self.error = error
        self._rows: dict[str, T] = {}

    def add(self, keys: str | tuple[str, ...], entry: T) -> T:
        """Map each suffix (lower-case, with its dot) or exact file name in ``keys`` to ``entry``."""
        for key in (keys,) if isinstance(keys, str) else keys:
            name = key.lower() if key.startswith(".") else key
            if name in self._rows:
                raise ValueError(f"{self.what} '{name}' is already registered ({self._rows[name]!r}); cannot add {entry!r}")
            self._rows[name] = entry
        return entry

    @staticmethod
    def key_of(path: str | os.PathLike) -> str:
        """The suffix that decides a path's format (``.xyz`` for ``a.xyz.gz``), or the bare file name."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == ".gz":
            suffix = Path(p.stem).suffix.lower()
        return suffix or p.name

    def find(self, path: str | os.PathLike) -> T | None:
        """The entry for ``path`` (by suffix, else by exact file name such as ``POSCAR``), else None."""
        p = Path(path)
        key = self.key_of(p)
        return self._rows.get(key, self._rows.get(p.name))

    def lookup(self, path: str | os.PathLike) -> T:
        """The entry for ``path``; a one-line error listing what colim handles when there is none."""
        entry = self.find(path)
        if entry is None:
            p = Path(path)
            raise self.error(f"{path}: unknown {self.what} '{p.suffix or p.name}'; colim handles {', '.join(self.keys())}")
        return entry

    def keys(self) -> list[str]:
        """Every registered suffix and file name, in the order they were added."""
        return list(self._rows)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key.lower() if key.startswith(".") else key) in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
