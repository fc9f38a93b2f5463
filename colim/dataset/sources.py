"""One entry point for ``colim dataset build``: a MetaLig folder builds the metal-conditional complex
dataset (:mod:`colim.dataset.metalig`), anything else the cluster dataset (:mod:`colim.dataset.builder`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from colim.dataset.builder import BuildReport, build as build_clusters
from colim.dataset.metalig import build_metalig, is_metalig_folder
from colim.dataset.records import MatchingDataset
from colim.errors import ColimError

#: builder options a MetaLig build accepts (the rest describe structure files).
METALIG_OPTIONS = ("seed", "split", "progress", "metals")


def build(inputs: Sequence[str | os.PathLike], *, metals: str | Sequence[str] | None = None, **options) -> tuple[MatchingDataset, BuildReport]:
    """Build a dataset from ``inputs``: one MetaLig folder (``metals`` picks its metals, default Cu,Ag,Au), or
    structure files, folders and CSVs (see :func:`colim.dataset.builder.build` for their options)."""
    paths = [Path(p) for p in inputs]
    metalig = [p for p in paths if is_metalig_folder(p)]
    if not metalig:
        if metals is not None:
            raise ColimError("--metals applies to a MetaLig folder only (ligands.csv.gz, complexes.csv.gz, ligand_graphs.jsonl.gz)")
        return build_clusters(paths, **options)
    if len(paths) > 1:
        raise ColimError(f"{metalig[0]} is a MetaLig folder: build it on its own, not with other inputs")
    kept = {k: v for k, v in options.items() if k in METALIG_OPTIONS}
    if metals is not None:
        kept["metals"] = metals
    return build_metalig(metalig[0], **kept)
