"""2D drawings of ligand sets for the report: RDKit SVG, one panel per ligand, anchor atoms highlighted.

colim writes X-type ligands with their anchor as a radical (``[S]CCc1ccccc1``, ``[C]#Cc1ccccc1``); L-type
donors (phosphines, amines) have none, so their P (else N) atoms are taken as the anchors.
"""

from __future__ import annotations

import re
from typing import Sequence

from rdkit import Chem
from rdkit.Chem import rdDepictor
from rdkit.Chem.Draw import rdMolDraw2D

#: RGB of the anchor-atom highlight (a light gold: the atom that binds the metal).
ANCHOR_COLOUR = (1.0, 0.82, 0.35)
_XML_HEADER = re.compile(r"<\?xml[^>]*\?>\s*")
_NAMESPACES = re.compile(r"\s+xmlns(:\w+)?='[^']*'")


def anchor_atoms(mol: Chem.Mol) -> list[int]:
    """Atoms that bind the metal: radical atoms, else phosphorus, else nitrogen atoms."""
    radicals = [a.GetIdx() for a in mol.GetAtoms() if a.GetNumRadicalElectrons() > 0]
    if radicals:
        return radicals
    for element in ("P", "N"):
        donors = [a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() == element]
        if donors:
            return donors
    return []


def ligand_svg(smiles: str, legend: str, bond_px: float = 26.0) -> str:
    """An inline SVG (no XML header, no namespace URLs) of one ligand, sized to the molecule so that every
    ligand of a report is drawn at the same scale; an unreadable SMILES is drawn as ``*`` and says so."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        mol, legend = Chem.MolFromSmiles("*"), f"{legend} (unreadable SMILES)"
    rdDepictor.Compute2DCoords(mol)
    xy = mol.GetConformer().GetPositions()[:, :2]
    span = (xy.max(axis=0) - xy.min(axis=0)) / 1.5 * bond_px  # RDKit lays bonds out 1.5 units long
    width = int(min(620, max(110, span[0] + 70, 9 * len(legend))))
    height = int(min(320, max(90, span[1] + 60)) + 26)
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    options = drawer.drawOptions()
    options.fixedBondLength = bond_px  # one scale for every ligand: a methyl thiolate is not drawn larger than PPh3
    options.legendFontSize = 15
    options.highlightRadius = 0.35
    options.addStereoAnnotation = True
    options.clearBackground = False
    anchors = anchor_atoms(mol)
    drawer.DrawMolecule(mol, highlightAtoms=anchors, highlightAtomColors={i: ANCHOR_COLOUR for i in anchors},
                        highlightBonds=[], legend=legend)
    drawer.FinishDrawing()
    return _NAMESPACES.sub("", _XML_HEADER.sub("", drawer.GetDrawingText())).strip()


def ligand_set_svg(smiles: Sequence[str], legends: Sequence[str]) -> str:
    """The ligands of a set side by side: one :func:`ligand_svg` each, in a ``<div class="ligands">``."""
    return '<div class="ligands">' + "".join(ligand_svg(s, n) for s, n in zip(smiles, legends)) + "</div>"
