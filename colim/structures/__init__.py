"""Structures: cores, ligand sets, ligand list files and ligand families (reading files is :mod:`colim.io`)."""

from colim.structures.core import core_id
from colim.structures.ligands import LigandSet

__all__ = ["LigandSet", "core_id"]
