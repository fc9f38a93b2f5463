"""Structures: reading files into ``ase.Atoms``, cores, ligand sets, ligand list files and ligand families."""

from colim.structures.core import core_id
from colim.structures.ligands import LigandSet
from colim.structures.readers import FORMATS, read_frames, read_structure, read_structures

__all__ = ["FORMATS", "LigandSet", "core_id", "read_frames", "read_structure", "read_structures"]
