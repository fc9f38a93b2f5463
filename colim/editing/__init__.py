"""Atom-level editing of cores: operators (plugins) and symmetry-unique enumeration of edits."""

from colim.editing.operator import PROVENANCE_KEYS, EditError, EditOperator, EditSite

__all__ = ["PROVENANCE_KEYS", "EditError", "EditOperator", "EditSite"]
