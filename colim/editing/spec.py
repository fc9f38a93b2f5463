"""Operator specs from the command line: ``remove,substitute:Ag+Au,add:Cu,swap`` → operator instances."""

from __future__ import annotations

from colim.editing.operator import EditError, EditOperator
from colim.plugins.manager import create_edit_operator


def parse_operator(spec: str) -> EditOperator:
    """One operator from ``name`` or ``name:El1+El2`` (name looked up in the edit-operator registry)."""
    name, _, args = spec.strip().partition(":")
    arguments = [a.strip() for a in args.split("+") if a.strip()] if args else []
    return create_edit_operator(name.strip(), arguments)


def parse_operators(specs: str) -> list[EditOperator]:
    """Operators from a comma-separated list; an empty list or a repeated spec is refused."""
    parts = [p for p in (s.strip() for s in specs.split(",")) if p]
    if not parts:
        raise EditError("no edit operators given; e.g. --ops remove,substitute:Ag+Au,add:Cu,swap")
    ops = [parse_operator(p) for p in parts]
    seen: set[str] = set()
    for op in ops:
        if op.spec in seen:
            raise EditError(f"operator '{op.spec}' is given twice")
        seen.add(op.spec)
    return ops
