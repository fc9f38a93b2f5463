"""Output locks: one colim process at a time writes (or appends to, or resumes) a given output.

Two ``--append`` runs on one library, or two screens to one output, would otherwise both read the
old file and the last rename would silently drop the other's work. Each writer holds an OS file lock
(``fcntl.flock``) on ``.NAME.lock`` beside the output for the whole read-modify-write. A second
writer is refused at once with the pid and command line of the holder, except an append: appends
commute, so an appender waits its turn (up to a timeout, then the same clear error) and every append
lands. The lock file is removed by its holder; a lock left by a killed process is not held (the OS
drops it) and is simply reused.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Iterator

from colim.errors import ColimError
from colim.io.os_errors import writable_folder_error


class OutputLockedError(ColimError):
    """Another colim process is writing the same output."""


#: seconds an append waits for another process writing the same output before giving up ($COLIM_LOCK_WAIT overrides).
APPEND_WAIT_S = 600.0
LOCK_WAIT_ENV = "COLIM_LOCK_WAIT"
#: seconds between two tries while waiting.
_POLL_S = 0.05

#: resolved output path -> nesting depth, for locks this process already holds (flock is per open file).
_HELD: dict[str, int] = {}


def append_wait() -> float:
    """How long an append waits for the lock: ``$COLIM_LOCK_WAIT`` seconds, else :data:`APPEND_WAIT_S`."""
    raw = os.environ.get(LOCK_WAIT_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else APPEND_WAIT_S
    except ValueError:
        raise ColimError(f"{LOCK_WAIT_ENV} must be a number of seconds, got {raw!r}") from None


def lock_path(output: str | os.PathLike) -> Path:
    """The lock file guarding ``output``: ``.NAME.lock`` in the same folder."""
    target = Path(output)
    return target.with_name(f".{target.name}.lock")


def _command_line() -> str:
    return " ".join(["colim", *(shlex.quote(a) for a in sys.argv[1:])])


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "another process"
    pid, _, cmd = text.partition(" ")
    return f"pid {pid}: {cmd}" if pid.isdigit() and cmd else f"pid {pid}" if pid.isdigit() else "another process"


@contextlib.contextmanager
def output_lock(output: str | os.PathLike, wait: float | None = None) -> Iterator[None]:
    """Hold the lock on ``output`` for the block; OutputLockedError when another process holds it.

    ``wait``: seconds to wait for the other process to finish first (appends, which commute); None refuses at once.
    """
    target = Path(output)
    key = str(target.resolve())
    if key in _HELD:  # re-entered by this process (e.g. a command lock around atomic_output)
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    path = lock_path(target)
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise writable_folder_error(exc, target) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            if deadline is not None and time.monotonic() < deadline:
                time.sleep(_POLL_S)
                continue
            still, waited = ("still ", f" after {wait:g} s of waiting") if wait else ("", "")
            raise OutputLockedError(
                f"{target} is {still}being written by another colim process ({_holder(path)}){waited}; wait for it to finish or choose another output"
            ) from exc
        try:  # the holder before us may have removed the file after we opened it: lock the file on disk
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {_command_line()}\n".encode())
    except OSError:
        pass  # a full disk must not hide the real error the write itself will report
    _HELD[key] = 1
    try:
        yield
    finally:
        del _HELD[key]
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
