"""The built-in edit operators: ``remove``, ``substitute``, ``add`` and ``swap``.

Each is pure (returns a new core, never touches its input) and stamps provenance through
:meth:`colim.editing.EditOperator.child`.
"""

from __future__ import annotations

from ase import Atoms

from colim import Registrar, hookimpl
from colim.editing.operator import EditError, EditOperator, EditSite
from colim.editing.surface import surface_sites


def _check_indices(core: Atoms, site: EditSite, count: int, name: str) -> None:
    if len(site.indices) != count or any(not 0 <= i < len(core) for i in site.indices):
        raise EditError(f"{name} needs {count} atom index{'es' if count > 1 else ''} between 0 and {len(core) - 1}, got site {site.text}")


class RemoveOperator(EditOperator):
    """Remove one atom."""

    name = "remove"

    def sites(self, core: Atoms) -> list[EditSite]:
        return [EditSite((i,)) for i in range(len(core))]

    def apply(self, core: Atoms, site: EditSite) -> Atoms:
        _check_indices(core, site, 1, self.name)
        (i,) = site.indices
        keep = [k for k in range(len(core)) if k != i]
        return self.child(core, core[keep], site, element=core.get_chemical_symbols()[i])


class SubstituteOperator(EditOperator):
    """Replace one atom by each named element (same-element substitutions are skipped)."""

    name = "substitute"
    takes_arguments = True
    needs_arguments = True

    def sites(self, core: Atoms) -> list[EditSite]:
        symbols = core.get_chemical_symbols()
        return [EditSite((i,), element=e) for i in range(len(core)) for e in self.elements if e != symbols[i]]

    def apply(self, core: Atoms, site: EditSite) -> Atoms:
        _check_indices(core, site, 1, self.name)
        new = core.copy()
        symbols = new.get_chemical_symbols()
        symbols[site.indices[0]] = site.element
        new.set_chemical_symbols(symbols)
        return self.child(core, new, site)


class AddOperator(EditOperator):
    """Add one atom of each named element at on-top, bridge and hollow surface sites."""

    name = "add"
    takes_arguments = True
    needs_arguments = True

    def sites(self, core: Atoms) -> list[EditSite]:
        return [
            EditSite(s.indices, element=e, position=s.position, label=s.kind)
            for e in self.elements
            for s in surface_sites(core, e)
        ]

    def apply(self, core: Atoms, site: EditSite) -> Atoms:
        if site.position is None:  # a site given by its atoms only: look its position up
            matches = [
                s for s in self.sites(core)
                if sorted(s.indices) == sorted(site.indices) and s.element == site.element and site.label in ("", s.label)
            ]
            if not matches:
                raise EditError(f"no add site {site.text} for {site.element} on {core.get_chemical_formula()}")
            site = matches[0]
        new = core.copy()
        new += Atoms(site.element, positions=[site.position])
        return self.child(core, new, site)


class SwapOperator(EditOperator):
    """Exchange the elements of two unlike atoms."""

    name = "swap"

    def sites(self, core: Atoms) -> list[EditSite]:
        z = core.numbers
        n = len(core)
        return [EditSite((i, j)) for i in range(n) for j in range(i + 1, n) if z[i] != z[j]]

    def apply(self, core: Atoms, site: EditSite) -> Atoms:
        _check_indices(core, site, 2, self.name)
        i, j = site.indices
        new = core.copy()
        numbers = new.numbers.copy()
        numbers[i], numbers[j] = numbers[j], numbers[i]
        new.numbers = numbers
        symbols = core.get_chemical_symbols()
        return self.child(core, new, site, element="+".join(sorted({symbols[i], symbols[j]})))


@hookimpl
def colim_register_edit_operators(register: Registrar[EditOperator]) -> None:
    for cls in (RemoveOperator, SubstituteOperator, AddOperator, SwapOperator):
        register.add(cls)
