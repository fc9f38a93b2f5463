"""Paths colim keeps beside an output (``.NAME.lock``, ``NAME.state/``, ``NAME.state/run.json``): something
else found there is named in one line and left alone; colim deletes nothing it did not write."""

from __future__ import annotations

import os
from pathlib import Path

from colim.errors import OutputWriteError


def refuse_foreign(path: str | os.PathLike, kind: str, what: str) -> None:
    """Refuse when ``path`` exists but is not a ``kind`` (``"file"`` or ``"folder"``); ``what`` says what colim keeps there."""
    p = Path(path)
    if not os.path.lexists(p):
        return
    found = "a folder" if p.is_dir() and not p.is_symlink() else "a file" if p.is_file() and not p.is_symlink() else "something else (a link or device)"
    if (kind == "file" and found == "a file") or (kind == "folder" and found == "a folder"):
        return
    raise OutputWriteError(f"{p}: {found} sits where colim keeps {what} (a {kind}); move it away and run the command again "
                           "(colim deletes nothing it did not write)")
