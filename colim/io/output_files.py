"""Atomic file output: write to a temporary file beside the target, rename only on success.

No colim command ever leaves a half-written output file behind, and an existing output is refused
unless the caller asks to overwrite it. The write holds the output's lock (:mod:`colim.io.locks`), an
output that is also an input is refused, a read-only folder or a full disk is one error line (the old
file kept), and temporary files that a killed colim left beside the output are cleaned up.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from colim.errors import OutputExistsError, OutputWriteError
from colim.io.locks import output_lock
from colim.io.os_errors import os_error_kind, writable_folder_error

__all__ = ["atomic_output", "check_output_path", "os_error_kind", "refuse_input_as_output", "remove_stale_temp_files", "writable_folder_error"]

def check_output_path(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Return ``path`` as a Path, refusing an existing file unless ``overwrite`` is true."""
    target = Path(path)
    if target.is_dir():
        raise OutputWriteError(f"{target} is a folder; give a file name as the output")
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; pass --overwrite to replace it")
    if target.parent and not target.parent.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise writable_folder_error(exc, target) from exc
    return target


def refuse_input_as_output(output: str | os.PathLike, inputs: Iterable[str | os.PathLike | None]) -> None:
    """Refuse an output that is one of the command's inputs: writing it would destroy the input."""
    target = Path(output)
    if not target.exists():
        return
    for given in inputs:
        if given is None or not Path(given).exists():
            continue
        if os.path.samefile(given, target):
            raise OutputWriteError(f"{target} is also an input of this command ({given}); writing it would destroy the input: choose another output")


def remove_stale_temp_files(target: Path) -> list[Path]:
    """Remove ``.NAME.*.part`` temp files of colim's naming beside ``target`` (call with its lock held)."""
    folder = target.parent if str(target.parent) else Path(".")
    removed = []
    for stale in folder.glob(f".{glob_escape(target.name)}.*.part"):
        with contextlib.suppress(OSError):
            stale.unlink()
            removed.append(stale)
    return removed


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


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
    with output_lock(target):
        remove_stale_temp_files(target)
        try:
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=(suffix if suffix is not None else target.suffix) + ".part", dir=target.parent or "."
            )
        except OSError as exc:
            raise writable_folder_error(exc, target, target.exists()) from exc
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            yield tmp
            if tmp.exists():
                os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600 files; outputs get the usual mode
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            err = writable_folder_error(exc, target, target.exists())
            if err is exc:
                raise
            raise err from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
