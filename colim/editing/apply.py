"""Applying one named edit to a core: parse the site the user gave, find it among the operator's
sites, apply the edit and run the sanity checks (what ``colim edit apply`` and :func:`colim.apply_edit` do)."""

from __future__ import annotations

import re

from ase import Atoms

from colim.editing.operator import EditError, EditOperator
from colim.editing.sanity import check_core
from colim.editing.spec import parse_operator
from colim.structures.core import core_id


def parse_site(text: str) -> tuple[str, tuple[int, ...]]:
    """``12`` / ``3,17`` / ``3-17`` / ``hollow:3-5-7`` → (label, indices)."""
    label, _, where = str(text).rpartition(":")
    parts = [p for p in re.split(r"[,\-\s]+", where.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise EditError(f"bad site '{text}'; give atom indices like 12, 3,17 or hollow:3,5,7")
    return label.strip().lower(), tuple(int(p) for p in parts)


def one_edit_operator(op: str, element: str | None = None) -> EditOperator:
    """The operator of ``op`` (``name`` or ``name:El``), with ``element`` put in place; refuses several elements."""
    spec = f"{op.partition(':')[0]}:{element}" if element else op
    operator = parse_operator(spec)
    if len(operator.elements) > 1:
        raise EditError(f"'colim edit apply' makes one edit; give one element, not {'+'.join(operator.elements)}")
    return operator


def apply_edit(core: Atoms, op: str, site: str, element: str | None = None, check: bool = True) -> Atoms:
    """The core made by one edit of ``core`` at ``site`` (atom indices, as in :func:`parse_site`).

    ``check`` refuses an edited core that fails the sanity checks (overlapping, isolated or
    disconnected atoms); ``core`` itself is never changed.
    """
    operator = one_edit_operator(op, element)
    label, indices = parse_site(site)
    matches = [s for s in operator.sites(core) if sorted(s.indices) == sorted(indices) and (not label or s.label == label)]
    if not matches:
        raise EditError(f"no {operator.spec} site {site} on {core_id(core)} ({len(core)} atoms)")
    edited = operator.apply(core, matches[0])
    problem = check_core(edited)
    if problem is not None and check:
        raise EditError(f"{edited.info['id']} fails the sanity checks ({problem.reason}: {problem.detail}); pass --no-check to write it anyway")
    return edited
