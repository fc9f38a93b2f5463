"""Resumable screens: finished tasks (core block × set block) saved beside the output, so an interrupted
screen, single-process or distributed, picks up where it stopped, with no task lost and none scored twice.

The state is a folder ``<output>.state/`` holding ``run.json`` (what the screen is: library and model
hashes, top-k, depth; and the task grid, which a resumed screen keeps) and one
``task_<start>_<stop>_<s0>_<s1>.npz`` per finished task, each written to a temporary name and renamed,
so a task file is either complete or absent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np

from colim.errors import LibraryError, OutputWriteError
from colim.io.side_paths import refuse_foreign
from colim.screening.engine import BlockResult

_TASK = re.compile(r"task_(\d+)_(\d+)_(\d+)_(\d+)\.npz")


def state_dir(output: str | os.PathLike) -> Path:
    """The state folder of a screen writing ``output``."""
    out = Path(output)
    return out.with_name(out.name + ".state")


class ScreenState:
    """Finished tasks of one screen, identified by ``fingerprint`` (a JSON-able dict); ``grid`` is
    ``{"core_block": n, "set_block": m}``; a saved grid wins over the one given (see :attr:`grid`)."""

    def __init__(self, output: str | os.PathLike, fingerprint: dict, restart: bool = False, grid: dict | None = None):
        self.dir = state_dir(output)
        self.fingerprint = fingerprint
        self.grid = dict(grid or {})
        run_file = self.dir / "run.json"
        self.created = False
        refuse_foreign(self.dir, "folder", f"the resume state of {Path(output).name}")
        refuse_foreign(run_file, "file", f"the description of a resumable screen of {Path(output).name}")
        if self.dir.exists() and restart:
            shutil.rmtree(self.dir)
        if run_file.is_file():
            try:
                saved = json.loads(run_file.read_text())
            except ValueError:
                saved = None
            if not isinstance(saved, dict) or saved.get("screen") != fingerprint:
                raise LibraryError(f"{self.dir} holds the state of a different screen; pass --restart to discard it")
            self.grid = saved.get("grid", self.grid)
        else:
            self.created = not self.dir.exists()
            self.dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(run_file, json.dumps({"screen": fingerprint, "grid": self.grid}, sort_keys=True).encode())

    def _path(self, task: tuple[int, int, int, int]) -> Path:
        return self.dir / "task_{}_{}_{}_{}.npz".format(*task)

    def done(self) -> set[tuple[int, int, int, int]]:
        """The tasks whose results are saved (by file name; a damaged file is dropped when loaded)."""
        out = set()
        for stale in self.dir.glob("*.part*"):  # a temp task file of a killed screen
            stale.unlink(missing_ok=True)
        for path in self.dir.glob("task_*.npz"):
            match = _TASK.fullmatch(path.name)
            if match:
                out.add(tuple(int(g) for g in match.groups()))
        return out

    def load(self, task: tuple[int, int, int, int]) -> BlockResult | None:
        """One saved task result, or None when absent or cut short (then it is simply scored again)."""
        path = self._path(task)
        try:
            with np.load(path) as z:
                return BlockResult(int(z["start"]), int(z["stop"]), z["top_index"], z["top_score"], z["member_index"], z["member_score"],
                                   int(z["set_stop"]) - int(z["set_start"]), int(z["set_start"]), int(z["set_stop"]),
                                   int(z["scored"]) if "scored" in z.files else -1)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)  # a task file cut short (kill -9, full disk) is simply scored again
            return None

    def save(self, block: BlockResult) -> None:
        """Persist one finished task."""
        path = self._path((block.start, block.stop, block.set_start, block.set_stop))
        tmp = path.with_name(path.name + ".part.npz")
        try:
            np.savez(tmp, start=block.start, stop=block.stop, set_start=block.set_start, set_stop=block.set_stop, top_index=block.top_index,
                     top_score=block.top_score, member_index=block.member_index, member_score=block.member_score, scored=block.scored_pairs)
            os.replace(tmp, path)
        except OSError as exc:  # a full disk: say where the finished tasks are and how to go on
            tmp.unlink(missing_ok=True)
            kept = len(self.done())
            raise OutputWriteError(f"{self.dir}: cannot save a finished task ({exc.strerror or exc}); "
                                   + (f"the {kept} tasks saved so far are kept there: make room and run the same command again to resume"
                                      if kept else "no task was saved: make room and run the command again")) from None

    def discard_if_empty(self) -> None:
        """Remove the state folder when this screen made it and no task was saved in it (a refused screen leaves nothing)."""
        if self.created and not self.done():
            self.discard()

    def discard(self) -> None:
        """Remove the state once the output is written."""
        shutil.rmtree(self.dir, ignore_errors=True)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
