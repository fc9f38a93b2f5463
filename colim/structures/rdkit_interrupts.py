"""Ctrl-C inside RDKit: its conformer embedding and substructure search install their own SIGINT handler,
cancel, log a warning ('Interrupted, cancelling conformer generation', 'Substructure search was
interrupted, result may not include all matches') and return a partial result, so Python never sees the
interrupt and a ligand build would finish with a different conformer or a wrong family. RDKit's log is
the one trace: :func:`honour_interrupts` watches it and raises KeyboardInterrupt.

RDKit writes its log to Python's ``sys.stderr`` or, from code running without the GIL, straight to file
descriptor 2. While a watch is on, RDKit's warnings are enabled and both routes are read: ``sys.stderr``
through a filter, descriptor 2 through a temporary file that is copied back when the block ends. Lines
that are not RDKit's pass on unchanged; RDKit's own lines are dropped unless they were enabled before
(colim keeps them off).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from typing import Iterator, TextIO

from rdkit import rdBase

#: the start of an RDKit log line: "[12:34:56] ".
_RDKIT_LINE = re.compile(r"\[\d\d:\d\d:\d\d\] ")


def _is_interrupt(line: str) -> bool:
    return bool(_RDKIT_LINE.match(line)) and "interrupted" in line.lower()


class InterruptWatch:
    """A stand-in for ``sys.stderr`` that notes RDKit's 'interrupted' warnings, there or on descriptor 2."""

    def __init__(self, target: TextIO, show_rdkit: bool, fd_copy=None):
        self.target, self.show_rdkit, self.seen = target, show_rdkit, False
        self._fd_copy, self._read = fd_copy, 0

    def write(self, text: str) -> int:
        if _is_interrupt(text):
            self.seen = True
        if self.show_rdkit or not _RDKIT_LINE.match(text):
            self.target.write(text)
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def check(self) -> None:
        """KeyboardInterrupt if RDKit swallowed a Ctrl-C since the watch began."""
        if self._fd_copy is not None and not self.seen:
            data = os.pread(self._fd_copy.fileno(), 1 << 20, self._read)
            self._read += len(data)
            self.seen = any(_is_interrupt(line) for line in data.decode(errors="replace").splitlines())
        if self.seen:
            raise KeyboardInterrupt

    def __getattr__(self, name: str):  # isatty, encoding, buffer ... of the real stream
        return getattr(self.target, name)


def _warnings_enabled() -> bool:
    return any(line.strip() == "rdApp.warning:enabled" for line in rdBase.LogStatus().splitlines())


@contextlib.contextmanager
def honour_interrupts() -> Iterator[InterruptWatch]:
    """Raise KeyboardInterrupt at the end of the block (or at ``watch.check()``) if RDKit swallowed a Ctrl-C in
    it; an error that followed the cancelled call (no conformer found) gives way to the interrupt."""
    shown = _warnings_enabled()
    rdBase.EnableLog("rdApp.warning")
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    copy = tempfile.TemporaryFile()
    saved = os.dup(2)
    os.dup2(copy.fileno(), 2)
    watch = InterruptWatch(sys.stderr, shown, copy)
    sys.stderr = watch
    failed = None
    try:
        yield watch
    except Exception as exc:  # noqa: BLE001 - re-raised below, after the interrupt check
        failed = exc
    finally:
        sys.stderr = watch.target
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        if not shown:
            rdBase.DisableLog("rdApp.warning")
        copy.seek(0)
        captured = copy.read().decode(errors="replace")
        copy.close()
        for line in captured.splitlines(keepends=True):
            watch.seen = watch.seen or _is_interrupt(line)
            if shown or not _RDKIT_LINE.match(line):
                os.write(2, line.encode())
    if watch.seen:
        raise KeyboardInterrupt from failed
    if failed is not None:
        raise failed


__all__ = ["InterruptWatch", "honour_interrupts"]
