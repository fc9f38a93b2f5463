"""The base class of core-editing operators: pure, site-based edits of a core.

An operator lists the places it can act on a core (:meth:`EditOperator.sites`) and applies one of
them (:meth:`EditOperator.apply`), returning a new ``ase.Atoms`` and never touching its input.
:meth:`EditOperator.child` stamps the provenance every edited core carries in ``atoms.info``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from ase import Atoms

from colim.editing.site_kind import site_kind
from colim.errors import EditError
from colim.io.structure_readers import element_symbol_ok
from colim.structures.core import core_id

#: provenance keys written into ``atoms.info`` of every edited core.
PROVENANCE_KEYS = ("id", "parent", "operator", "site", "site_kind", "element", "depth")


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

    @property
    def text(self) -> str:
        """The site as provenance text: ``"12"``, ``"3-17"``, ``"hollow:3-5-7"``."""
        where = "-".join(str(i) for i in self.indices)
        return f"{self.label}:{where}" if self.label else where

    def key(self) -> tuple:
        """Identity of the site up to the order of its atoms (used to match symmetry images)."""
        return (self.label, tuple(sorted(self.indices)), self.element)


class EditOperator:
    """Subclass, set ``name``, implement :meth:`sites` and :meth:`apply`; register through
    ``colim_register_edit_operators``.

    ``arguments`` are what follows the colon on the command line (``substitute:Ag+Au`` →
    ``("Ag", "Au")``). Class attributes ``takes_arguments`` / ``needs_arguments`` say whether they are
    allowed / required; ``arguments_are_elements`` (the default) checks them as element symbols and
    exposes them as :attr:`elements`, the elements the edit puts in place. An operator whose
    arguments are something else (a scale factor) sets it to False and parses them itself.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    takes_arguments: ClassVar[bool] = False
    needs_arguments: ClassVar[bool] = False
    arguments_are_elements: ClassVar[bool] = True

    def __init__(self, arguments: Sequence[str] = ()):
        self.arguments = tuple(str(a) for a in arguments)
        if self.arguments and not self.takes_arguments:
            raise EditError(f"operator '{self.name}' takes no arguments, got '{self.spec}'")
        if self.needs_arguments and not self.arguments:
            example = f"{self.name}:Ag+Cu" if self.arguments_are_elements else f"{self.name}:VALUE"
            raise EditError(f"operator '{self.name}' needs {'elements' if self.arguments_are_elements else 'an argument'}, e.g. {example}")
        if self.arguments_are_elements:
            for element in self.arguments:
                if not element_symbol_ok(element):
                    raise EditError(f"unknown element '{element}' in '{self.spec}'; use chemical symbols such as Ag, Au, Cu")

    @property
    def elements(self) -> tuple[str, ...]:
        """The elements this edit puts in place (substitute, add); empty for operators that take none."""
        return self.arguments if self.arguments_are_elements else ()

    @property
    def spec(self) -> str:
        """The operator as written on the command line: ``substitute:Ag+Au``."""
        return self.name + (":" + "+".join(self.arguments) if self.arguments else "")

    def init_args(self) -> dict:
        return {"arguments": list(self.arguments)}

    def sites(self, core: Atoms) -> list[EditSite]:
        """Every site this operator can edit on ``core`` (before symmetry deduplication)."""
        raise NotImplementedError

    def apply(self, core: Atoms, site: EditSite) -> Atoms:
        """A new core with the edit at ``site`` applied; ``core`` is left unchanged."""
        raise NotImplementedError

    def child(self, parent: Atoms, atoms: Atoms, site: EditSite, element: str | None = None) -> Atoms:
        """``atoms`` (a new object) with provenance: parent id, operator, site, element, depth, id."""
        pid = core_id(parent)
        element = element if element is not None else (site.element or "")
        label = site.text + (f":{site.element}" if site.element else "")
        atoms.pbc = False
        atoms.info = {
            "id": f"{pid}~{self.name}:{label}",
            "parent": pid,
            "operator": self.name,
            "site": site.text,
            "site_kind": site_kind(parent, site.indices, site.label),
            "element": element,
            "depth": int(parent.info.get("depth") or 0) + 1,
        }
        if parent.info.get("source"):
            atoms.info["source"] = parent.info["source"]
        return atoms
