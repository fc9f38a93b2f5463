"""Output locks: one colim process at a time writes (or appends to, or resumes) a given output.

Two ``--append`` runs on one library, or two screens to one output, would otherwise both read the
old file and the last rename would silently drop the other's work. Each writer holds an OS file lock
(``fcntl.flock``) on ``.NAME.lock`` beside the output for the whole read-modify-write. A second
writer is refused at once with the pid and command line of the holder, except an append: appends
commute, so an appender waits its turn (up to a timeout, then the same clear error) and every append
lands. The lock file is removed by its holder; a lock left by a killed process is not held (the OS
drops it) and is simply reused. A reader (a screen reading its libraries, :func:`reading`) holds a shared
lock on the same file: a writer that would replace the file it reads is refused (or, appending, waits).
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
from colim.io.side_paths import refuse_foreign


class OutputLockedError(ColimError):
    """Another colim process is writing the same output (or reading the file an output would replace)."""


#: first word of a lock file written by a reader (:func:`reading`), not a writer.
_READER = "reading:"


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
    text = text.removeprefix(_READER).strip()
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
    refuse_foreign(path, "file", f"the lock of {target.name}")
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
            if _read_by_reader(path):
                raise OutputLockedError(
                    f"{target} is {still}being read by another colim process ({_holder(path)}){waited}; replacing it now would mix "
                    "the old file's data with the new one's: wait for it to finish or choose another output"
                ) from exc
            raise OutputLockedError(
                f"{target} is {still}being written by another colim process ({_holder(path)}){waited}; wait for it to finish or choose another output"
            ) from exc
        if _locks_the_file_on_disk(fd, path):  # the holder before us may have removed the file after we opened it
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


def _read_by_reader(path: Path) -> bool:
    try:
        return path.read_text(encoding="utf-8", errors="replace").startswith(_READER)
    except OSError:
        return False


@contextlib.contextmanager
def reading(source: str | os.PathLike) -> Iterator[None]:
    """Hold a shared lock on ``source`` for the block, so that no colim writer replaces it while it is read
    (a screen reads its libraries block by block: a library rebuilt meanwhile would pair the new file's ids
    with the old file's scores). Readers share the lock; a writer is refused while any holds it, and a
    reader is refused while a writer holds it. A file in a folder nobody may write needs no lock."""
    target = Path(source)
    key = str(target.resolve())
    if key in _HELD:  # this process writes it: its own lock already keeps other writers out
        yield
        return
    path = lock_path(target)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:  # a read-only folder: no colim process can replace the file either
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputLockedError(f"{target} is being written by another colim process ({_holder(path)}); wait for it to finish") from exc
            raise
        if _locks_the_file_on_disk(fd, path):
            break
        os.close(fd)
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{_READER} {os.getpid()} {_command_line()}\n".encode(), 0)
    try:
        yield
    finally:
        try:  # the last reader out removes the lock file (holding it alone, as a writer does)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with contextlib.suppress(OSError):
                path.unlink()
        except OSError:
            pass
        os.close(fd)


def _locks_the_file_on_disk(fd: int, path: Path) -> bool:
    """Whether the open lock file ``fd`` is still the file at ``path`` (its holder may have removed it meanwhile)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False
