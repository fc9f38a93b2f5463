"""What an OSError met while writing an output means to the user: no space, a read-only folder, or neither.

Both the atomic outputs (:mod:`colim.io.output_files`) and the output locks (:mod:`colim.io.locks`) turn
such an error into one line naming the file and the folder; this module sits below both.
"""

from __future__ import annotations

import errno
from pathlib import Path

from colim.errors import OutputWriteError

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def os_error_kind(exc: BaseException) -> str | None:
    """'no space' / 'read-only' / None for an OSError (h5py reports errno only inside its message)."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code in _NO_SPACE or "errno = 28" in text or "No space left" in text or "Disk quota" in text:
        return "no space"
    if code in _READ_ONLY or "errno = 30" in text or "Read-only file system" in text or "errno = 13" in text:
        return "read-only"
    return None


def writable_folder_error(exc: OSError, target: Path, kept: bool = False) -> BaseException:
    """The one-line error for an OSError while writing ``target`` (or ``exc`` itself if not a user problem)."""
    kind = os_error_kind(exc)
    folder = target.parent if str(target.parent) else Path(".")
    while not folder.exists() and folder != folder.parent:  # a folder colim was about to create: name the one that refused it
        folder = folder.parent
    old = "; the old file is kept" if kept else ""
    if kind == "no space":
        return OutputWriteError(f"cannot write {target}: no space left on device in {folder}; nothing was written{old}")
    if kind == "read-only":
        return OutputWriteError(f"cannot write {target}: {folder} is read-only or not writable by you{old}")
    return exc
