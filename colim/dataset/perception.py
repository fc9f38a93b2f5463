"""Split a whole cluster into its inorganic core and its ligands, perceived from 3D coordinates alone.

Rules (documented in docs/dataset.md):

* bonds: distance < ``tolerance`` × (sum of covalent radii);
* core: every metal atom (:func:`colim.structures.core.is_metal`) plus every single non-metal atom whose only
  neighbours are metals (central halide, S²⁻, Se²⁻, hydride, O²⁻), and non-metal atoms with no
  bond at all that sit inside the metal framework (long interstitial contacts). A halogen bonded to
  exactly one metal is a terminal halide ligand (``[Cl]``) instead;
* anchor-only frameworks: in a structure without carbon, an S/Se/Te bonded only to metals and not
  inside the metal framework is a truncated thiolate anchor (Au_n(SR)_m files keep only the S, or SH
  where the cut R was capped by H). Such
  a structure yields anchors and no ligand, unless ``anchor_placeholder`` asks for ``[S]C``;
* ligands: every other connected group of non-metal atoms bonded to a metal. Hydrogens missing from
  X-ray or united-atom files are added from the local geometry (bond angles, bond lengths);
  bond orders come from RDKit's ``DetermineBondOrders`` with the anionic anchors capped by a
  temporary H that is then removed, so the anchor is written as a radical (``[S]CCc1ccccc1``);
* fragments bonded to no metal (solvent, counter-ions) are dropped and reported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.data import covalent_radii
from rdkit import Chem

from colim.errors import StructureError
from colim.io.structure_readers import BOND_TOLERANCE, bonded_pairs
from colim.notes import note
from colim.structures.core import is_metal
from colim.structures.formula import cluster_formula
from colim.structures.ligands import LigandSet, canonical_smiles

#: default bond tolerance of the perception (the same as colim.structures.bonded_pairs').
PERCEPTION_TOLERANCE = BOND_TOLERANCE

VALENCE = {"H": 1, "B": 3, "C": 4, "N": 3, "O": 2, "F": 1, "Si": 4, "P": 3, "S": 2, "Cl": 1, "As": 3, "Se": 2, "Br": 1, "Te": 2, "I": 1}
HALOGENS = frozenset({"F", "Cl", "Br", "I"})
CHALCOGENS = frozenset({"S", "Se", "Te"})
#: anchor elements whose metal bond is covalent (anionic ligands): capped by H while bond orders are found.
ANIONIC_ANCHORS = frozenset({"C", "O", "S", "Se", "Te", "F", "Cl", "Br", "I"})
#: element of the placeholder ligand written for a truncated anchor.
PLACEHOLDER = {"S": "[S]C", "Se": "[Se]C", "Te": "[Te]C"}


@dataclass
class Perception:
    """What one whole-cluster structure holds: its core, its ligand kinds with counts, and notes."""

    core: Atoms
    ligands: dict[str, int] = field(default_factory=dict)  # canonical SMILES -> copies
    anchors: dict[str, int] = field(default_factory=dict)  # element -> truncated anchors (anchor-only)
    dropped: dict[str, int] = field(default_factory=dict)  # formula -> unbound fragments dropped
    notes: list[str] = field(default_factory=list)
    ignored_anchors: int = 0  # bare anchors beside perceived ligands, in no ligand count

    @property
    def counts_every_ligand(self) -> bool:
        """True when ``ligands`` counts every ligand of the structure (no bare anchor left out of the count)."""
        return bool(self.ligands) and not self.ignored_anchors

    @property
    def ligand_set(self) -> LigandSet | None:
        """The ligand kinds with their copy numbers as ratios, or None when no ligand was perceived."""
        if not self.ligands:
            return None
        return LigandSet.from_mapping(self.ligands)

    @property
    def anchor_only(self) -> bool:
        """True when the structure holds truncated anchors and no ligand atoms beyond them."""
        return bool(self.anchors) and not self.ligands


def _neighbours(atoms: Atoms, tolerance: float) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(len(atoms))]
    for i, j in bonded_pairs(atoms, tolerance):
        out[int(i)].append(int(j))
        out[int(j)].append(int(i))
    return out


def _heavy_formula(smiles: str) -> tuple:
    return tuple(sorted(Counter(a.GetSymbol() for a in Chem.MolFromSmiles(smiles).GetAtoms()).items()))


def _merge_isomer_debris(ligands: Counter, notes: list[str]) -> None:
    """Count rare variants of the main ligand with its heavy atoms (rings opened by crude geometry) as it."""
    total = sum(ligands.values())
    if len(ligands) < 2 or total < 10:
        return
    main = max(ligands, key=ligands.get)
    formula = _heavy_formula(main)
    for smi in list(ligands):
        if smi != main and ligands[smi] <= 0.1 * total and _heavy_formula(smi) == formula:
            notes.append(f"{ligands[smi]}x {smi} (same heavy atoms as {main}, crude geometry) counted as {main}")
            ligands[main] += ligands.pop(smi)


def _angle(center: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    u, v = a - center, b - center
    cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _bond_ratio(atoms: Atoms, i: int, j: int) -> float:
    """Bond length over the sum of covalent (single-bond) radii: ~1.0 single, ~0.88 double, ~0.79 triple."""
    d = atoms.get_distance(i, j)
    return d / (covalent_radii[atoms.numbers[i]] + covalent_radii[atoms.numbers[j]])


def _missing_hydrogens(atoms: Atoms, i: int, nbrs: list[int], anchored: bool) -> int:
    """Hydrogens to add to heavy atom ``i`` (``nbrs`` = its non-metal neighbours), from its geometry.

    Hybridisation comes from the bond angles (linear sp, planar sp2, else sp3); a terminal atom
    uses its bond length instead. Anionic anchors get none (they stay radicals).
    """
    sym = atoms[i].symbol
    if sym not in VALENCE or sym == "H" or sym in HALOGENS:
        return 0
    if anchored and sym in ANIONIC_ANCHORS:
        return 0
    n = len(nbrs)
    pos = atoms.positions
    if n == 0:
        return VALENCE[sym]
    if sym == "C":
        if n >= 4:
            return 0
        if n == 3:
            a = [_angle(pos[i], pos[nbrs[x]], pos[nbrs[y]]) for x, y in ((0, 1), (0, 2), (1, 2))]
            return 0 if sum(a) > 350.0 else 1
        if n == 2:
            ang = _angle(pos[i], pos[nbrs[0]], pos[nbrs[1]])
            return 0 if ang > 160.0 else (1 if ang > 115.0 else 2)
        ratio = _bond_ratio(atoms, i, nbrs[0])
        return 1 if ratio < 0.83 else (2 if ratio < 0.93 else 3)
    if sym in ("N", "P", "As"):
        if n >= 3:
            return 0
        if n == 2:
            ang = _angle(pos[i], pos[nbrs[0]], pos[nbrs[1]])
            mean_ratio = np.mean([_bond_ratio(atoms, i, j) for j in nbrs])
            return 0 if ang > 150.0 or mean_ratio < 0.95 else 1
        ratio = _bond_ratio(atoms, i, nbrs[0])
        return 0 if ratio < 0.83 else (1 if ratio < 0.93 else 2)
    if sym in ("O", "S", "Se", "Te"):
        if n >= 2:
            return 0
        return 0 if _bond_ratio(atoms, i, nbrs[0]) < 0.93 else 1
    return max(0, VALENCE[sym] - n)


def _assign_orders(deficit: dict[int, int], edges: dict[int, list[int]], budget: list[int]) -> dict[tuple[int, int], int] | None:
    """Raise bond orders until every atom's valence deficit is 0 (most constrained atom first), or None."""
    open_atoms = [a for a, d in deficit.items() if d > 0]
    if not open_atoms:
        return {}
    budget[0] -= 1
    if budget[0] < 0:
        return None
    options = {a: [b for b in edges[a] if deficit[b] > 0] for a in open_atoms}
    a = min(open_atoms, key=lambda x: (len(options[x]), x))
    for b in options[a]:
        deficit[a] -= 1
        deficit[b] -= 1
        rest = _assign_orders(deficit, edges, budget)
        deficit[a] += 1
        deficit[b] += 1
        if rest is not None:
            key = (min(a, b), max(a, b))
            rest[key] = rest.get(key, 0) + 1
            return rest
    return None


def ligand_smiles(atoms: Atoms, members: list[int], nbrs: list[list[int]], anchors: set[int]) -> str:
    """Canonical SMILES of one ligand fragment, hydrogens completed, anchors written as radicals.

    Hydrogens present in the file are kept, missing ones added from the geometry
    (:func:`_missing_hydrogens`); bond orders are raised until every atom reaches its usual valence
    (C 4, N/P 3, O/S/Se 2), with each anionic anchor's metal bond counting as one valence that
    becomes the radical. A carboxylate bonded through both O may leave one O uncapped.

    Args:
        atoms: the whole cluster.
        members: indices of the fragment's atoms (non-metals, one connected group).
        nbrs: non-metal neighbour lists of every atom.
        anchors: indices of atoms bonded to a metal.
    """
    symbols = atoms.get_chemical_symbols()
    heavy = [a for a in members if symbols[a] != "H"]
    if not heavy:
        raise StructureError("a ligand fragment made of hydrogen only")
    hydrogens = {a: 0 for a in heavy}
    for h in members:
        if symbols[h] == "H":
            owners = [b for b in nbrs[h] if symbols[b] != "H"]
            if owners:
                hydrogens[min(owners, key=lambda b: atoms.get_distance(h, b))] += 1
    heavy_set = set(heavy)
    edges = {a: [b for b in nbrs[a] if b in heavy_set] for a in heavy}
    for a in heavy:
        hydrogens[a] += _missing_hydrogens(atoms, a, edges[a] + [h for h in nbrs[a] if symbols[h] == "H"], a in anchors)
    caps = [a for a in heavy if a in anchors and symbols[a] in ANIONIC_ANCHORS]
    attempts = [(caps, False)] + [([c for c in caps if c != drop], False) for drop in caps if symbols[drop] == "O"]
    # Last resort for crude geometries (a ring angle off by 15°): saturate open valences with H.
    attempts.append((caps, True))
    for capped, saturate in attempts:
        deficit = {a: VALENCE.get(symbols[a], len(edges[a]) + hydrogens[a]) - len(edges[a]) - hydrogens[a] - (a in capped) for a in heavy}
        if any(d < 0 for d in deficit.values()):
            continue
        if saturate:
            hydrogens = {a: hydrogens[a] + deficit[a] for a in heavy}
            orders: dict[tuple[int, int], int] | None = {}
        else:
            orders = _assign_orders(dict(deficit), edges, [20000])
        if orders is None:
            continue
        rw = Chem.RWMol()
        index = {}
        for a in heavy:
            atom = Chem.Atom(symbols[a])
            atom.SetNoImplicit(True)
            atom.SetNumExplicitHs(hydrogens[a])
            atom.SetNumRadicalElectrons(1 if a in capped else 0)
            index[a] = rw.AddAtom(atom)
        kinds = {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE}
        for a in heavy:
            for b in edges[a]:
                if a < b:
                    rw.AddBond(index[a], index[b], kinds.get(1 + orders.get((a, b), 0), Chem.BondType.QUADRUPLE))
        try:
            mol = rw.GetMol()
            Chem.SanitizeMol(mol)
            return canonical_smiles(Chem.MolToSmiles(mol))
        except Exception:  # noqa: BLE001 - an unsanitisable assignment: try the next capping
            continue
    formula = Atoms([symbols[a] for a in members]).get_chemical_formula()
    raise StructureError(f"cannot assign bond orders to ligand fragment {formula} (unusual valence or missing atoms)")


def _components(members: list[int], nbrs: list[list[int]]) -> list[list[int]]:
    allowed = set(members)
    seen: set[int] = set()
    out = []
    for start in members:
        if start in seen:
            continue
        seen.add(start)
        stack, comp = [start], []
        while stack:
            a = stack.pop()
            comp.append(a)
            for b in nbrs[a]:
                if b in allowed and b not in seen:
                    seen.add(b)
                    stack.append(b)
        out.append(sorted(comp))
    return out


def perceive(atoms: Atoms, tolerance: float = PERCEPTION_TOLERANCE, anchor_placeholder: bool = False) -> Perception:
    """Split ``atoms`` (a whole cluster) into core and ligand kinds; ``atoms`` is not changed.

    Raises :class:`StructureError` when the structure holds no metal atom or a ligand fragment
    whose bond orders cannot be assigned.
    """
    source = str(atoms.info.get("id", atoms.get_chemical_formula()))
    symbols = atoms.get_chemical_symbols()
    metal = np.array([is_metal(s) for s in symbols])
    if not metal.any():
        raise StructureError(f"{source}: no metal atom, not a nanocluster")
    all_nbrs = _neighbours(atoms, tolerance)
    nonmetal_nbrs = [[j for j in row if not metal[j]] for row in all_nbrs]
    metal_count = [int(sum(metal[j] for j in row)) for row in all_nbrs]
    centre = atoms.positions[metal].mean(axis=0)
    metal_radius = float(np.linalg.norm(atoms.positions[metal] - centre, axis=1).mean()) if metal.sum() > 1 else 0.0
    has_carbon = "C" in symbols

    def interior(i: int) -> bool:
        return bool(np.linalg.norm(atoms.positions[i] - centre) < max(0.6 * metal_radius, 0.5))

    core_idx = list(np.nonzero(metal)[0])
    anchors: Counter[str] = Counter()
    ligands: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    notes: list[str] = []
    ignored = 0
    anchor_atoms = {i for i in range(len(atoms)) if not metal[i] and metal_count[i] > 0}
    for comp in _components([i for i in range(len(atoms)) if not metal[i]], nonmetal_nbrs):
        bound = any(metal_count[a] for a in comp)
        heavy = [a for a in comp if symbols[a] != "H"]
        if bound and not has_carbon and heavy and all(symbols[a] in CHALCOGENS and metal_count[a] for a in heavy):
            # Truncated Au–SR framework: every S is an anchor, even where long S–S contacts join two,
            # and an H on it is the cap of the cut R (Au68(SH)34 model files), not a ligand.
            for a in heavy:
                if len(heavy) == 1 and len(comp) == 1 and metal_count[a] >= 4 and interior(a):
                    core_idx.append(a)
                else:
                    anchors[symbols[a]] += 1
            continue
        if len(comp) == 1:
            a = comp[0]
            sym = symbols[a]
            if bound and sym in HALOGENS and metal_count[a] == 1:
                ligands[canonical_smiles(f"[{sym}]")] += 1
            elif bound or interior(a):
                core_idx.append(a)
            else:
                dropped[sym] += 1
            continue
        if not bound:
            dropped[Atoms([symbols[a] for a in comp]).get_chemical_formula()] += 1
            continue
        ligands[ligand_smiles(atoms, comp, nonmetal_nbrs, anchor_atoms)] += 1
    core = atoms[sorted(int(i) for i in core_idx)]
    core.info = {k: v for k, v in atoms.info.items() if isinstance(v, (str, int, float))}
    _merge_isomer_debris(ligands, notes)
    if anchors and not ligands:
        if anchor_placeholder:
            for sym, n in anchors.items():
                ligands[canonical_smiles(PLACEHOLDER[sym])] += n
            notes.append(f"anchor-only: {sum(anchors.values())} truncated anchors written as placeholder ligands")
        else:
            notes.append(f"anchor-only: {', '.join(f'{n} {s}' for s, n in sorted(anchors.items()))} truncated anchors, no ligand set")
    elif anchors:
        notes.append(f"{sum(anchors.values())} bare anchors beside perceived ligands ignored")
        ignored = sum(anchors.values())
    if dropped:
        notes.append("dropped unbound fragments: " + ", ".join(f"{n}x {f}" for f, n in sorted(dropped.items())))
    if len(ligands) > 4:
        raise StructureError(f"{source}: {len(ligands)} ligand kinds perceived (at most 4): {'.'.join(sorted(ligands))}")
    return Perception(core=core, ligands=dict(ligands), anchors=dict(anchors), dropped=dict(dropped), notes=notes, ignored_anchors=ignored)


def is_whole_cluster(atoms: Atoms) -> bool:
    """True when ``atoms`` holds organic ligand atoms (carbon and hydrogen) beside its metals: a whole cluster,
    not a core (a core is metals plus the inorganic atoms of its heart: a carbide C or a hydride H alone stay)."""
    symbols = set(atoms.get_chemical_symbols())
    return {"C", "H"} <= symbols and any(is_metal(s) for s in symbols)


def cores_of_clusters(structures: list[Atoms]) -> tuple[list[Atoms], list[tuple[str, str, str]]]:
    """``structures`` with each whole cluster (:func:`is_whole_cluster`) replaced by its core as ``colim dataset
    build`` perceives it (ligands found from the 3D bonds and taken off; ``info`` kept). Returns the cores and,
    per cluster replaced, ``(id, cluster formula, core formula)``; a ``note:`` line says so for each."""
    out, replaced = [], []
    for atoms in structures:
        if not is_whole_cluster(atoms):
            out.append(atoms)
            continue
        core = perceive(atoms).core
        core.info = dict(atoms.info)
        out.append(core)
        replaced.append((str(atoms.info.get("id", "")), cluster_formula(atoms), cluster_formula(core)))
        note(f"{replaced[-1][0]}: a whole cluster with organic ligands ({replaced[-1][1]}): its core {replaced[-1][2]} is used, "
             "perceived as 'colim dataset build' does (give a core file to keep other atoms)")
    return out, replaced
