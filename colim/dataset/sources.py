"""One entry point for ``colim dataset build``: a MetaLig folder builds the metal-conditional complex
dataset (:mod:`colim.dataset.metalig`), anything else the cluster dataset (:mod:`colim.dataset.builder`),
optionally with known clusters as composition-level positives on idealised cores (:mod:`colim.dataset.idealised`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from colim.dataset.builder import DEFAULT_CARBON_MARGIN, BuildReport, build as build_clusters, read_ligand_pool
from colim.dataset.idealised import add_idealised_clusters
from colim.dataset.metalig import build_metalig, is_metalig_folder
from colim.dataset.records import MatchingDataset
from colim.errors import ColimError

#: builder options a MetaLig build accepts (the rest describe structure files).
METALIG_OPTIONS = ("seed", "split", "progress", "metals")


def build(inputs: Sequence[str | os.PathLike], *, metals: str | Sequence[str] | None = None,
          idealised_clusters: str | os.PathLike | None = None, **options) -> tuple[MatchingDataset, BuildReport]:
    """Build a dataset from ``inputs``: one MetaLig folder (``metals`` picks its metals, default Cu,Ag,Au), or
    structure files, folders and CSVs (see :func:`colim.dataset.builder.build` for their options), to which
    ``idealised_clusters`` (a known-clusters CSV) adds composition-level training positives on idealised cores."""
    paths = [Path(p) for p in inputs]
    metalig = [p for p in paths if is_metalig_folder(p)]
    if not metalig:
        if metals is not None:
            raise ColimError("--metals applies to a MetaLig folder only (ligands.csv.gz, complexes.csv.gz, ligand_graphs.jsonl.gz)")
        dataset, report = build_clusters(paths, **options)
        if idealised_clusters is not None:
            pool = read_ligand_pool(options["ligand_pool"]) if options.get("ligand_pool") is not None else []
            dataset = add_idealised_clusters(dataset, idealised_clusters, seed=options.get("seed", 0), ligand_pool=pool,
                                             carbon_margin=options.get("carbon_margin", DEFAULT_CARBON_MARGIN), report=report)
        return dataset, report
    if idealised_clusters is not None:
        raise ColimError("--idealised-clusters applies to a cluster dataset (structure files), not to a MetaLig folder")
    if len(paths) > 1:
        raise ColimError(f"{metalig[0]} is a MetaLig folder: build it on its own, not with other inputs")
    kept = {k: v for k, v in options.items() if k in METALIG_OPTIONS}
    if metals is not None:
        kept["metals"] = metals
    return build_metalig(metalig[0], **kept)
