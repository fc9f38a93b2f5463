"""Atomic file output: write to a temporary file beside the target, rename only on success.

No colim command ever leaves a half-written output file behind, and an existing output is refused
unless the caller asks to overwrite it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from colim.errors import OutputExistsError


def check_output_path(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Return ``path`` as a Path, refusing an existing file unless ``overwrite`` is true."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; pass --overwrite to replace it")
    if target.parent and not target.parent.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, overwrite: bool = False, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces ``path`` only if the block finishes without error.

    Args:
        path: the final output file.
        overwrite: replace an existing ``path`` instead of raising :class:`OutputExistsError`.
        suffix: suffix of the temporary file (defaults to the target's, so format sniffing by
            extension still works).
    """
    target = check_output_path(path, overwrite)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=(suffix if suffix is not None else target.suffix) + ".part", dir=target.parent or "."
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():
            os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600 files; outputs get the usual mode
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
