"""The base class of core-editing operators: pure, site-based edits of a core.

An operator lists the places it can act on a core (:meth:`EditOperator.sites`) and applies one of
them (:meth:`EditOperator.apply`), returning a new ``ase.Atoms`` and never touching its input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from ase import Atoms


@dataclass(frozen=True)
class EditSite:
    """Where and how an edit acts.

    Attributes:
        indices: atoms the edit involves (one for remove/substitute, two for swap, the atoms that
            define the surface site for add).
        element: the element put in place (substitute, add), else None.
        position: the new atom's position (add), else None.
        label: a short kind of site, e.g. ``"top"``, ``"bridge"``, ``"hollow"``.
    """

    indices: tuple[int, ...]
    element: str | None = None
    position: tuple[float, float, float] | None = None
    label: str = ""


class EditOperator:
    """Subclass, set ``name``, implement :meth:`sites` and :meth:`apply`; register through
    ``colim_register_edit_operators``. ``elements`` are the operator's argument from the CLI
    (``substitute:Ag+Au`` → ``("Ag", "Au")``)."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"

    def __init__(self, elements: Sequence[str] = ()):
        self.elements = tuple(elements)

    def init_args(self) -> dict:
        return {"elements": list(self.elements)}

    def sites(self, core: Atoms) -> list[EditSite]:
        """Every site this operator can edit on ``core`` (before symmetry deduplication)."""
        raise NotImplementedError

    def apply(self, core: Atoms, site: EditSite) -> Atoms:
        """A new core with the edit at ``site`` applied; ``core`` is left unchanged."""
        raise NotImplementedError
