"""Ligand graphs (element symbols, bonds with orders, donor atoms, formal charge) → colim ligand SMILES.

MetaLig stores each ligand as a graph with hydrogens and bond orders (1, 2, 3; 12 = aromatic), the indices
of its donor atoms and the ligand's formal charge. colim writes anionic (X-type) donors as radicals
(``[Cl]``, ``[S]CC``, a metallated aryl ``[c]1ccccc1``) and neutral donors as they are, so the conversion
keeps every hydrogen of the graph, marks as radicals ``-charge`` donor atoms that the bonds leave short of a
full valence, and gives over-valent atoms (a nitro N, a carbonyl O⁺ of CO) the formal charge RDKit needs.
Aromatic systems that RDKit cannot kekulize with those radicals (an N-heterocyclic carbene: the carbene
carbon has no π bond in the ring) are kekulized here by a maximum matching of the π-short atoms that leaves
donors unmatched first. Returns None for a graph no assignment makes a valid molecule.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Sequence

import networkx as nx
from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")

#: MetaLig's bond types → RDKit bond types (12 is aromatic).
BOND_TYPES = {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE, 12: Chem.BondType.AROMATIC}
#: the valences an atom of each element may end with, smallest first (others: RDKit's table).
_VALENCE_ERROR = re.compile(r"atom # (\d+)")
#: radical assignments tried per graph before the next strategy (donor subsets of size -charge).
MAX_RADICAL_CHOICES = 24
#: formal-charge fixes tried per assignment (over-valent N⁺, O⁺, P⁻, B⁻...).
MAX_CHARGE_FIXES = 8


@dataclass(frozen=True)
class LigandGraph:
    """A ligand as MetaLig stores it: ``atoms`` (symbols, H included), ``bonds`` ``(i, j, type)``,
    ``donors`` (indices of the metal-binding atoms) and ``charge`` (formal charge of the free ligand)."""

    atoms: tuple[str, ...]
    bonds: tuple[tuple[int, int, int], ...]
    donors: tuple[int, ...]
    charge: int

    @classmethod
    def from_json(cls, record: dict) -> "LigandGraph":
        """From one ``ligand_graphs.jsonl`` object (``atoms``, ``bonds``, ``donor_idc``, ``charge``)."""
        return cls(
            atoms=tuple(str(a) for a in record["atoms"]),
            bonds=tuple((int(i), int(j), int(t)) for i, j, t in record["bonds"]),
            donors=tuple(int(i) for i in record["donor_idc"]),
            charge=int(record["charge"]),
        )


def _default_valence(symbol: str) -> int:
    valences = Chem.GetPeriodicTable().GetValenceList(symbol)
    return max(int(valences[0]), 0) if len(valences) else 0


def _kekule_orders(graph: LigandGraph) -> dict[tuple[int, int], int]:
    """Single/double orders for the aromatic bonds: a maximum matching of the atoms whose σ bonds leave them
    short of their smallest valence, preferring matches that leave donor atoms unmatched (their deficit is
    then the radical or lone pair that binds the metal)."""
    used = [0] * len(graph.atoms)
    for i, j, t in graph.bonds:
        order = 1 if t == 12 else t
        used[i] += order
        used[j] += order
    short = {k for k, symbol in enumerate(graph.atoms) if _default_valence(symbol) - used[k] >= 1}
    donors = set(graph.donors)
    g = nx.Graph()
    for i, j, t in graph.bonds:
        if t == 12 and i in short and j in short:
            g.add_edge(i, j, weight=1 if (i in donors or j in donors) else 2)
    matching = nx.max_weight_matching(g, maxcardinality=True)
    orders = {}
    for i, j, t in graph.bonds:
        if t == 12:
            orders[(i, j)] = 2 if (i, j) in matching or (j, i) in matching else 1
    return orders


def _molecule(graph: LigandGraph, radicals: Sequence[int], charges: dict[int, int], kekule: dict[tuple[int, int], int] | None) -> Chem.Mol:
    mol = Chem.RWMol()
    for symbol in graph.atoms:
        atom = Chem.Atom(symbol)
        atom.SetNoImplicit(True)
        mol.AddAtom(atom)
    for i, j, t in graph.bonds:
        if t == 12 and kekule is not None:
            mol.AddBond(i, j, Chem.BondType.DOUBLE if kekule[(i, j)] == 2 else Chem.BondType.SINGLE)
        else:
            mol.AddBond(i, j, BOND_TYPES.get(t, Chem.BondType.SINGLE))
            if t == 12:
                mol.GetAtomWithIdx(i).SetIsAromatic(True)
                mol.GetAtomWithIdx(j).SetIsAromatic(True)
    for i in radicals:
        mol.GetAtomWithIdx(i).SetNumRadicalElectrons(1)
    for i, c in charges.items():
        mol.GetAtomWithIdx(i).SetFormalCharge(c)
    out = mol.GetMol()
    Chem.SanitizeMol(out)
    return out


def _with_charge_fixes(graph: LigandGraph, radicals: Sequence[int], kekule: dict | None) -> Chem.Mol | None:
    """Sanitise, giving each atom RDKit calls over-valent a +1 (then a -1) formal charge, a few times over."""
    charges: dict[int, int] = {}
    for _ in range(MAX_CHARGE_FIXES):
        try:
            return _molecule(graph, radicals, charges, kekule)
        except Chem.AtomValenceException as exc:
            found = _VALENCE_ERROR.search(str(exc))
            if found is None:
                return None
            atom = int(found.group(1))
            nxt = {None: 1, 1: -1}.get(charges.get(atom))
            if atom in radicals or nxt is None:
                return None
            charges[atom] = nxt
        except Exception:  # RDKit raises KekulizeException and bare ValueErrors: try the next strategy
            return None
    return None


def _radical_choices(graph: LigandGraph) -> list[tuple[int, ...]]:
    """Donor subsets to mark as radicals: ``-charge`` of them for an anion (all donors if fewer), none otherwise."""
    if graph.charge >= 0 or not graph.donors:
        return [()]
    n = -graph.charge
    if n >= len(graph.donors):
        return [tuple(graph.donors), ()]
    choices = list(itertools.islice(itertools.combinations(graph.donors, n), MAX_RADICAL_CHOICES))
    return choices + [()]


def graph_molecule(graph: LigandGraph) -> Chem.Mol | None:
    """An RDKit molecule (hydrogens removed) in colim's radical convention, or None when no assignment works."""
    for kekule in (None, _kekule_orders(graph)):
        for radicals in _radical_choices(graph):
            mol = _with_charge_fixes(graph, radicals, kekule)
            if mol is not None:
                return Chem.RemoveHs(mol)
    return None


def graph_smiles(graph: LigandGraph) -> str | None:
    """Canonical SMILES of :func:`graph_molecule` as colim writes it (a radical on every anionic donor:
    re-parsing gives bracket atoms short of a valence their radicals), or None."""
    mol = graph_molecule(graph)
    if mol is None:
        return None
    reparsed = Chem.MolFromSmiles(Chem.MolToSmiles(mol))
    return None if reparsed is None else Chem.MolToSmiles(reparsed)
