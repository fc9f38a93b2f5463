"""colim: rank protective ligands for designed coinage-metal nanocluster cores (the CoLiM method).

Each job is one function here: ``colim.read_cores``, ``colim.enumerate_edits``, ``colim.apply_edit``,
``colim.write_cores``, ``colim.build_core_library``, ``colim.build_ligand_library``, ``colim.screen``,
``colim.read_hits``, ``colim.write_report``, ``colim.build_dataset``, ``colim.pretrain``, ``colim.train``,
``colim.evaluate``, ``colim.core_lift``, ``colim.cross_match``, ``colim.explain``, ``colim.load_model``, ``colim.run_demo``, ``colim.compare`` and the smaller jobs
of ``colim plugins``, ``inspect``, ``weights``, ``pretrain-data`` and ``dataset stats`` (see docs/api.md). They live in
:mod:`colim.api` and load on first use, so ``import colim`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from colim.errors import ColimError, ColimWarning
from colim.plugins.hookspecs import hookimpl
from colim.plugins.registry import Registrar
from colim.version import __version__

#: the public functions of :mod:`colim.api`, importable as ``colim.<name>``.
API = (
    "ModelMember", "apply_edit", "build_core_library", "build_dataset", "build_ligand_library", "compare", "core_lift", "cross_match", "dataset_stats", "enumerate_edits",
    "evaluate", "explain", "generate_pretraining_set", "import_weights", "inspect", "list_plugins", "list_weights", "load_model",
    "nc_database_set", "pretrain", "pretraining_set_info", "read_cores", "read_hits", "run_demo", "screen", "train", "verify_weights",
    "write_cores", "write_report",
)

__all__ = ["ColimError", "ColimWarning", "Registrar", "__version__", "hookimpl", *API]


def __getattr__(name: str) -> Any:
    """Load :mod:`colim.api` the first time one of its functions is asked for (PEP 562)."""
    if name in API:
        return getattr(importlib.import_module("colim.api"), name)
    raise AttributeError(f"module 'colim' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(API))
