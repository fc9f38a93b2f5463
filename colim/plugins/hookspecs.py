"""The hooks a colim plugin can implement.

A plugin module (built-in or from the ``colim`` entry-point group) implements any of these with
``@colim.hookimpl``; each hook receives a typed registrar, ``register``, and calls ``register.add(SomeClass)``.
The registered name is the class's ``name`` attribute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from colim.editing import EditOperator
    from colim.encoders import CoreEncoder, LigandEncoder
    from colim.plugins.registry import Registrar

PROJECT_NAME = "colim"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def colim_register_core_encoders(register: "Registrar[CoreEncoder]") -> None:
    """Register :class:`colim.encoders.CoreEncoder` subclasses (graph or descriptor encoders of a core)."""


@hookspec
def colim_register_ligand_encoders(register: "Registrar[LigandEncoder]") -> None:
    """Register :class:`colim.encoders.LigandEncoder` subclasses (per-ligand embeddings pooled over a set)."""


@hookspec
def colim_register_edit_operators(register: "Registrar[EditOperator]") -> None:
    """Register :class:`colim.editing.EditOperator` subclasses (pure, site-based core edits)."""
