"""Where an edited core was edited, in the edited core's own atom numbering, for the report's 3D view.

A core's provenance names its last edit: ``operator`` and ``site`` (atom indices of the *parent*,
``"12"``, ``"3-17"``, ``"hollow:3-5-7"``). Substitute and swap keep the parent's numbering; add appends
the new atom last; remove takes an atom out, so it is shown as a ghost at the parent's position (when
the parent is in the core library).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ase import Atoms


@dataclass
class EditHighlight:
    """Atoms to highlight in the edited core, ghost atoms (removed ones) and a sentence for a chemist.

    Attributes:
        atoms: indices into the edited core. ghosts: ``(symbol, (x, y, z))`` of atoms no longer there.
        text: e.g. ``"Au → Ag substitution at atom 12"``. note: why a part could not be drawn, else "".
    """

    atoms: list[int] = field(default_factory=list)
    ghosts: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)
    text: str = ""
    note: str = ""


def parse_site(site: str) -> tuple[str, list[int]]:
    """``"hollow:3-5-7"`` → ``("hollow", [3, 5, 7])``; ``"12"`` → ``("", [12])``; unreadable → ``("", [])``."""
    label, _, where = site.rpartition(":")
    try:
        return label, [int(i) for i in where.split("-") if i != ""]
    except ValueError:
        return label, []


def _atoms_text(indices: list[int]) -> str:
    return f"atom {indices[0]}" if len(indices) == 1 else "atoms " + ", ".join(str(i) for i in indices)


def edit_highlight(core: Atoms, parent: Atoms | None) -> EditHighlight:
    """The highlight of ``core``'s last edit (from its ``atoms.info`` provenance); empty for an unedited core."""
    operator = str(core.info.get("operator") or "")
    site = str(core.info.get("site") or "")
    element = str(core.info.get("element") or "")
    if not operator:
        return EditHighlight(text="unedited core")
    label, indices = parse_site(site)
    symbols = core.get_chemical_symbols()
    if operator == "remove":
        if parent is None or not indices or indices[0] >= len(parent):
            return EditHighlight(text=f"{element or 'atom'} removed ({_atoms_text(indices)} of the parent)",
                                 note="the removed atom is not drawn: the parent core is not in the core library")
        i = indices[0]
        x, y, z = (float(v) for v in parent.positions[i])
        return EditHighlight(ghosts=[(parent.get_chemical_symbols()[i], (x, y, z))],
                             text=f"{parent.get_chemical_symbols()[i]} removed at {_atoms_text(indices)} of the parent (drawn as a ghost)")
    if operator == "add":
        new = len(core) - 1
        kind = f"{label} site" if label else "site"
        return EditHighlight(atoms=[new] + [i for i in indices if i < new],
                             text=f"{symbols[new]} added at a {kind} over {_atoms_text(indices)} (new atom {new})")
    inside = [i for i in indices if 0 <= i < len(core)]
    note = "" if len(inside) == len(indices) else f"site {site} lies outside this core's {len(core)} atoms"
    if operator == "substitute" and len(inside) == 1:
        was = parent.get_chemical_symbols()[inside[0]] if parent is not None and inside[0] < len(parent) else "?"
        return EditHighlight(atoms=inside, text=f"{was} → {symbols[inside[0]]} substitution at {_atoms_text(inside)}", note=note)
    if operator == "swap" and len(inside) == 2:
        i, j = inside
        return EditHighlight(atoms=inside, text=f"swap of atoms {i} (now {symbols[i]}) and {j} (now {symbols[j]})", note=note)
    return EditHighlight(atoms=inside, text=f"{operator} at {label + ' ' if label else ''}{_atoms_text(indices) if indices else site}", note=note)
