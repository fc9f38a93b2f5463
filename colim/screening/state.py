"""Resumable screens: finished core blocks saved beside the output, so an interrupted screen picks up
where it stopped, with no block lost and none scored twice.

The state is a folder ``<output>.state/`` holding ``run.json`` (what the screen is: library and model
hashes, top-k, depth) and one ``block_<start>_<stop>.npz`` per finished core block, each written to a
temporary name and renamed, so a block file is either complete or absent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np

from colim.errors import LibraryError
from colim.screening.engine import BlockResult

_BLOCK = re.compile(r"block_(\d+)_(\d+)\.npz$")


def state_dir(output: str | os.PathLike) -> Path:
    """The state folder of a screen writing ``output``."""
    out = Path(output)
    return out.with_name(out.name + ".state")


class ScreenState:
    """Finished blocks of one screen, identified by ``fingerprint`` (a JSON-able dict)."""

    def __init__(self, output: str | os.PathLike, fingerprint: dict, restart: bool = False):
        self.dir = state_dir(output)
        self.fingerprint = fingerprint
        run_file = self.dir / "run.json"
        if self.dir.exists() and restart:
            shutil.rmtree(self.dir)
        if run_file.is_file():
            try:
                saved = json.loads(run_file.read_text())
            except ValueError:
                saved = None
            if saved != fingerprint:
                raise LibraryError(f"{self.dir} holds the state of a different screen; pass --restart to discard it")
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(run_file, json.dumps(fingerprint, sort_keys=True).encode())

    def finished(self) -> list[BlockResult]:
        """Saved blocks, in core order."""
        blocks = []
        for stale in self.dir.glob("*.part*"):  # a temp block of a killed screen
            stale.unlink(missing_ok=True)
        named = [p for p in self.dir.glob("block_*.npz") if _BLOCK.fullmatch(p.name)]
        for path in sorted(named, key=lambda p: int(_BLOCK.fullmatch(p.name).group(1))):
            try:
                with np.load(path) as z:
                    blocks.append(BlockResult(int(z["start"]), int(z["stop"]), z["top_index"], z["top_score"], z["member_index"], z["member_score"]))
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                path.unlink(missing_ok=True)  # a block file cut short (kill -9, full disk) is simply scored again
        return blocks

    def resume_point(self) -> tuple[int, list[BlockResult]]:
        """``(first unscored core, contiguous finished blocks from core 0)``."""
        done, position = [], 0
        for block in self.finished():
            if block.start != position:
                break
            done.append(block)
            position = block.stop
        return position, done

    def save(self, block: BlockResult) -> None:
        """Persist one finished block."""
        path = self.dir / f"block_{block.start}_{block.stop}.npz"
        tmp = path.with_name(path.name + ".part.npz")
        np.savez(tmp, start=block.start, stop=block.stop, top_index=block.top_index, top_score=block.top_score,
                 member_index=block.member_index, member_score=block.member_score)
        os.replace(tmp, path)

    def discard(self) -> None:
        """Remove the state once the output is written."""
        shutil.rmtree(self.dir, ignore_errors=True)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
