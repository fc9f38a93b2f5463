"""The hooks a colim plugin can implement.

A plugin module (built-in or from the ``colim`` entry-point group) implements any of these with
``@colim.hookimpl``; each hook receives a typed registrar, ``register``, and calls ``register.add(SomeClass)``.
The registered name is the class's ``name`` attribute. Each hook also says which plugin kind it registers and the
base class (by dotted name) every registered class must subclass: the manager builds its kinds from these marks,
so it imports no base class itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, TypeVar

import pluggy

if TYPE_CHECKING:
    from colim.editing import EditOperator
    from colim.encoders import CoreEncoder, LigandEncoder
    from colim.plugins.registry import Registrar

F = TypeVar("F", bound=Callable)

PROJECT_NAME = "colim"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


def registers(kind: str, base: str) -> Callable[[F], F]:
    """Mark a registration hook with its plugin kind (``"core encoder"``) and base class (``"colim.encoders:CoreEncoder"``)."""

    def mark(spec: F) -> F:
        spec.colim_kind = kind  # type: ignore[attr-defined]
        spec.colim_base = base  # type: ignore[attr-defined]
        return spec

    return mark


@hookspec
@registers("core encoder", "colim.encoders:CoreEncoder")
def colim_register_core_encoders(register: "Registrar[CoreEncoder]") -> None:
    """Register :class:`colim.encoders.CoreEncoder` subclasses (graph or descriptor encoders of a core)."""


@hookspec
@registers("ligand encoder", "colim.encoders:LigandEncoder")
def colim_register_ligand_encoders(register: "Registrar[LigandEncoder]") -> None:
    """Register :class:`colim.encoders.LigandEncoder` subclasses (per-ligand embeddings pooled over a set)."""


@hookspec
@registers("edit operator", "colim.editing:EditOperator")
def colim_register_edit_operators(register: "Registrar[EditOperator]") -> None:
    """Register :class:`colim.editing.EditOperator` subclasses (pure, site-based core edits)."""
