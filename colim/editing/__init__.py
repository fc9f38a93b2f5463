"""Atom-level editing of cores: operators (plugins) and symmetry-unique enumeration of edits."""

from colim.editing.operator import EditOperator, EditSite

__all__ = ["EditOperator", "EditSite"]
