"""Generating a pretraining set: many clusters in parallel chunks, resumable, written atomically.

Cluster ``i`` of a run is fixed by the recipe and ``i`` alone (see :mod:`colim.pretrain_data.clusters`).
Indices are grouped into chunks of :data:`CHUNK_SIZE`; each finished chunk is written atomically to
``<output>.parts/chunk-NNNNNN.extxyz`` beside the output, with the recipe in ``manifest.json``. A rerun
with the same recipe skips finished chunks; when all are done they are joined, in index order, into
the output (also atomically) and the parts folder is removed. The output therefore either does not
exist or is complete, and a resumed run gives exactly the file an uninterrupted run gives.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Sequence

from ase.io import write as ase_write

from colim.choices import resolve_choice
from colim.errors import ColimError
from colim.io.output_files import atomic_output, check_output_path
from colim.pretrain_data.clusters import EMT_ELEMENTS, ClusterRecipe, make_cluster
from colim.pretrain_data.xtb import require_tblite, xtb_gap

#: energy backends: ``emt`` (E_form), ``xtb`` (EMT E_form + GFN1-xTB HOMO–LUMO gap).
BACKENDS: tuple[str, ...] = ("emt", "xtb")

#: clusters per chunk file (the unit of resumption).
CHUNK_SIZE = 25

#: format tag of the resume manifest.
MANIFEST_FORMAT = "colim-pretrain-parts"


class GeneratorError(ColimError):
    """Bad generator parameters or a parts folder that does not match them."""


def parse_elements(text: str | Sequence[str]) -> tuple[str, ...]:
    """Element list from ``"Ag,Cu,Au"`` (or a sequence), each one an EMT element; order kept, duplicates dropped."""
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    if not items:
        raise GeneratorError("no elements given; choose from: " + ", ".join(EMT_ELEMENTS))
    by_lower = {e.lower(): e for e in EMT_ELEMENTS}
    out: list[str] = []
    for item in items:
        element = by_lower.get(item.lower())
        if element is None:
            raise GeneratorError(f"unknown element '{item}'; choose from: {', '.join(EMT_ELEMENTS)} (ASE EMT elements)")
        if element not in out:
            out.append(element)
    return tuple(out)


def parse_sizes(text: str) -> tuple[int, int]:
    """Size range from ``"4-100"`` or ``"13"`` (atoms per cluster, inclusive, at least 2)."""
    parts = str(text).replace(" ", "").split("-")
    try:
        low, high = (int(parts[0]), int(parts[-1])) if len(parts) in (1, 2) else (0, -1)
    except ValueError:
        low, high = 0, -1
    if low < 2 or high < low:
        raise GeneratorError(f"bad size range '{text}'; give MIN-MAX with 2 <= MIN <= MAX, e.g. 4-100")
    return low, high


def _chunk_name(chunk: int) -> str:
    return f"chunk-{chunk:06d}.extxyz"


def parts_dir(output: str | os.PathLike) -> Path:
    """The work folder holding finished chunks of ``output`` while it is being generated."""
    out = Path(output)
    return out.with_name(out.name + ".parts")


def generate_chunk(recipe: ClusterRecipe, indices: Sequence[int], path: str) -> int:
    """Make clusters ``indices`` of ``recipe`` and write them atomically to ``path``; returns the count."""
    frames = []
    for index in indices:
        atoms = make_cluster(recipe, index)
        if recipe.backend == "xtb":
            atoms.info.update(xtb_gap(atoms))
        frames.append(atoms)
    with atomic_output(path, overwrite=True) as tmp:
        ase_write(tmp, frames, format="extxyz")
    return len(frames)


def _check_manifest(work: Path, recipe: ClusterRecipe, n: int) -> None:
    """Create the manifest of a new parts folder, or refuse one made with a different recipe."""
    manifest = work / "manifest.json"
    wanted = {"format": MANIFEST_FORMAT, "recipe": recipe.as_dict(), "n": n, "chunk_size": CHUNK_SIZE}
    if manifest.exists():
        try:
            found = json.loads(manifest.read_text())
        except (OSError, ValueError) as exc:
            raise GeneratorError(f"{manifest}: unreadable resume manifest ({exc}); remove {work}") from exc
        if found != wanted:
            raise GeneratorError(
                f"{work} holds a run with other parameters; rerun with the same ones to resume, or remove it"
            )
        return
    work.mkdir(parents=True, exist_ok=True)
    with atomic_output(manifest, overwrite=True) as tmp:
        tmp.write_text(json.dumps(wanted, indent=1))


def _join(work: Path, n_chunks: int, output: Path, overwrite: bool) -> None:
    """Concatenate the chunk files in order into ``output`` (gzipped if it ends in .gz), atomically."""
    with atomic_output(output, overwrite=overwrite) as tmp:
        opener = gzip.open if output.suffix == ".gz" else open
        with opener(tmp, "wb") as sink:
            for chunk in range(n_chunks):
                with open(work / _chunk_name(chunk), "rb") as source:
                    shutil.copyfileobj(source, sink)


def generate(
    output: str | os.PathLike,
    n: int,
    recipe: ClusterRecipe,
    workers: int = 2,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Generate ``n`` clusters of ``recipe`` into the extended-XYZ file ``output`` (resuming a stopped run).

    Args:
        output: ``.extxyz``/``.xyz`` file, gzipped if it ends in ``.gz``.
        n: number of clusters (indices 0..n-1).
        recipe: shapes, elements, sizes, seed, relaxation and backend.
        workers: processes; 1 runs in this process.
        overwrite: replace an existing ``output``.
        progress: called with the number of clusters finished since the last call (including,
            once at the start, those found already done).
    """
    if n < 1:
        raise GeneratorError(f"--n must be at least 1, got {n}")
    if workers < 1:
        raise GeneratorError(f"--workers must be at least 1, got {workers}")
    resolve_choice(recipe.backend, BACKENDS, "backend")
    if recipe.backend == "xtb":
        require_tblite()
    target = check_output_path(output, overwrite)
    work = parts_dir(target)
    _check_manifest(work, recipe, n)
    chunks = [list(range(start, min(start + CHUNK_SIZE, n))) for start in range(0, n, CHUNK_SIZE)]
    todo = [c for c in range(len(chunks)) if not (work / _chunk_name(c)).exists()]
    if progress is not None:
        progress(sum(len(chunks[c]) for c in range(len(chunks)) if c not in set(todo)))
    if workers == 1 or len(todo) <= 1:
        for c in todo:
            done = generate_chunk(recipe, chunks[c], str(work / _chunk_name(c)))
            if progress is not None:
                progress(done)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(generate_chunk, recipe, chunks[c], str(work / _chunk_name(c))) for c in todo]
            try:
                for future in as_completed(futures):
                    done = future.result()
                    if progress is not None:
                        progress(done)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # finished chunks stay; rerun resumes
                raise
    _join(work, len(chunks), target, overwrite)
    shutil.rmtree(work)
    return target
