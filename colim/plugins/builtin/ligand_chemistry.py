"""The ``ligchem`` ligand encoder: what a ligand does at a metal surface, as features → a small MLP.

A fingerprint sees substructures; it has no notion that PMe3 and PPh3 bind the same way or that SAdm
crowds a metal more than SCH3. ``ligchem`` describes each ligand by its chemistry (:func:`chemistry_features`):

* binding: anchor atoms by element (their total is the denticity), the charge the ligand carries once
  bound (an X-type radical anchor counts −1), its family (:mod:`colim.structures.families`) and
  whether an anchor sits on an aromatic ring (aryl vs alkyl thiolate);
* steric bulk, measured with ``morfeus`` on one RDKit conformer (ETKDGv3, fixed seed; MMFF-relaxed
  where MMFF has parameters) with a metal atom (Au) placed at the first anchor: the solid-angle cone
  angle, the buried volume in a 3.5 Å sphere and the Sterimol L, B1, B5 along the metal–anchor axis;
* size and aromaticity: heavy atoms, carbons, rotatable bonds, aromatic fraction and rings.

Counts and one-hots stay as they are; the continuous features are z-scored with the mean and standard
deviation over :data:`REFERENCE_LIGANDS`; then each block (binding, steric, size) is scaled to unit total
variance over those ligands, binding weighted 2 (:data:`BLOCK_WEIGHTS`), so no feature or block dominates
the distance. The statistics are buffers: a checkpoint keeps the scaling it was trained with. The metal sits where the anchor's cap would be: X-type anchors (``[S]CC``,
``[Cl]``, ``[Cl-]``, ``[H]``, ``[C]#C...``) are capped by an H for the conformer (SH, HCl, H2,
alkyne C–H; a carbene C by H⁺) and the metal replaces that H at the Au–anchor covalent distance;
an L-type donor (phosphine, amine) gets the metal opposite its substituents. With ``fingerprint=True``
(default) the unit-normalised Morgan + descriptor vector of the ``fingerprint`` encoder is appended, so
ligands of equal chemistry still differ. Features are computed once per SMILES (cached).
"""

from __future__ import annotations

import functools
import warnings
from typing import Sequence

import numpy as np
import torch
from ase.data import atomic_numbers, covalent_radii
from rdkit import Chem
from rdkit.Chem import AllChem, Descriptors
from torch import Tensor

from colim import Registrar, hookimpl
from colim.encoders import LigandEncoder
from colim.encoders.projected import ProjectedLigandEncoder
from colim.errors import LigandError
from colim.plugins.builtin.fingerprint import DESCRIPTORS, ligand_features
from colim.structures.families import FAMILIES, ligand_family

with warnings.catch_warnings():  # morfeus warns once that the optional libconeangle is absent
    warnings.simplefilter("ignore")
    from morfeus import BuriedVolume, SolidAngle, Sterimol

#: anchor-element slots; F/Cl/Br/I share one.
ANCHOR_ELEMENTS = ("H", "C", "N", "O", "P", "S", "Se", "Te", "halogen", "other")
HALOGENS = frozenset({"F", "Cl", "Br", "I"})
#: features kept as counts / one-hots (not z-scored).
DISCRETE_FEATURES = tuple(f"anchor_{e}" for e in ANCHOR_ELEMENTS) + tuple(f"family_{f}" for f in FAMILIES) + ("anchor_on_aromatic",)
#: features z-scored with the statistics of REFERENCE_LIGANDS.
CONTINUOUS_FEATURES = (
    "denticity", "bound_charge", "cone_angle", "buried_volume", "sterimol_L", "sterimol_B1", "sterimol_B5",
    "heavy_atoms", "carbons", "rotatable_bonds", "aromatic_fraction", "aromatic_rings",
)
FEATURE_NAMES = DISCRETE_FEATURES + CONTINUOUS_FEATURES
#: feature blocks, each scaled to unit total variance over REFERENCE_LIGANDS (then weighted).
BLOCKS = {
    "binding": tuple(f"anchor_{e}" for e in ANCHOR_ELEMENTS) + tuple(f"family_{f}" for f in FAMILIES) + ("denticity", "bound_charge"),
    "steric": ("cone_angle", "buried_volume", "sterimol_L", "sterimol_B1", "sterimol_B5"),
    "size": ("heavy_atoms", "carbons", "rotatable_bonds", "aromatic_fraction", "aromatic_rings", "anchor_on_aromatic"),
}
#: binding counts double: it decides how many metal atoms a ligand holds and the charge it brings,
#: which size and aromaticity alone would outweigh (PPh3 would sit nearer PET than PMe3 does).
BLOCK_WEIGHTS = {"binding": 2.0, "steric": 1.0, "size": 1.0}
#: metal placed at the anchor to measure sterics (Au; the Au–anchor distance is the covalent-radius sum).
PROBE_METAL = "Au"
BURIED_VOLUME_RADIUS = 3.5
CONFORMER_SEED = 0xC011
#: a conformer with a non-anchor atom closer than this (Å) to the metal probe folds over it.
MIN_CLEARANCE = 2.2
#: ligands spanning every family and size, whose feature statistics standardise the continuous features.
REFERENCE_LIGANDS = (
    "C[S]", "CC[S]", "CCCCCC[S]", "CC(C)(C)[S]", "[S]C1CCCCC1", "[S]C12CC3CC(CC(C3)C1)C2", "[S]CCc1ccccc1",
    "[S]c1ccccc1", "CC(C)(C)c1ccc([S])cc1", "O=C(O)c1ccc([S])cc1", "[S]c1cccc([S])c1", "[Se]c1ccccc1",
    "CC(C)(C)[Te]", "CP(C)C", "CCP(CC)CC", "P(c1ccccc1)(c1ccccc1)c1ccccc1", "C1CCC(CC1)P(C1CCCCC1)C1CCCCC1",
    "C(CP(c1ccccc1)c1ccccc1)P(c1ccccc1)c1ccccc1", "[C]#Cc1ccccc1", "[C]#CC(C)(C)C", "O=C[O]", "O=C([O])c1ccccc1",
    "[Cl]", "[Br]", "[I]", "[H]", "NCCN", "CCCCN", "CCOP(=S)([S])OCC", "CCN(CC)C(=S)[S]", "CC(C)N1[C]N(C(C)C)c2ccccc21",
)


def _mol(smiles: str) -> Chem.Mol:
    mol = Chem.MolFromSmiles(smiles) if smiles.strip() else None
    if mol is None:
        raise LigandError(f"invalid SMILES '{smiles}'")
    if mol.GetNumAtoms() == 0:
        raise LigandError(f"invalid SMILES '{smiles}'")
    return mol


def _anionic(atom: Chem.Atom) -> bool:
    """A negative atom that is not half of a charge-separated group (nitro, N-oxide)."""
    return atom.GetFormalCharge() < 0 and not any(n.GetFormalCharge() > 0 for n in atom.GetNeighbors())


def anchor_atoms(mol: Chem.Mol) -> list[int]:
    """Indices of the atoms that bind the metal, by colim's convention (first found rule wins).

    Radical or anionic atoms (X-type), plus a terminal ``=S``/``=Se`` beside a radical S/Se on one centre
    (the second arm of a dithiophosphate or dithiocarbamate); else P(III) donors; else thiol/selenol/
    tellurol chalcogens; else a terminal alkyne C; else a carboxylic OH; else amine or pyridine-type N;
    else the first heteroatom, else atom 0.
    """
    atoms = list(mol.GetAtoms())
    x_type = [a.GetIdx() for a in atoms if a.GetNumRadicalElectrons() > 0 or _anionic(a)]
    if x_type:
        extra = []
        for i in x_type:
            atom = mol.GetAtomWithIdx(i)
            if atom.GetSymbol() not in ("S", "Se"):
                continue
            for centre in atom.GetNeighbors():
                for b in centre.GetBonds():
                    other = b.GetOtherAtom(centre)
                    if other.GetSymbol() in ("S", "Se") and other.GetDegree() == 1 and b.GetBondType() == Chem.BondType.DOUBLE:
                        extra.append(other.GetIdx())
        return sorted(set(x_type) | set(extra))
    rules = (
        lambda a: a.GetSymbol() == "P" and a.GetDegree() == 3 and all(b.GetBondType() == Chem.BondType.SINGLE for b in a.GetBonds()),
        lambda a: a.GetSymbol() in ("S", "Se", "Te") and a.GetTotalNumHs() == 1,
        lambda a: a.GetSymbol() == "C" and a.GetTotalNumHs() == 1 and any(b.GetBondType() == Chem.BondType.TRIPLE for b in a.GetBonds()),
        lambda a: a.GetSymbol() == "O" and a.GetTotalNumHs() == 1 and any(n.GetSymbol() == "C" and any(
            b.GetBondType() == Chem.BondType.DOUBLE and b.GetOtherAtom(n).GetSymbol() == "O" for b in n.GetBonds()) for n in a.GetNeighbors()),
        lambda a: a.GetSymbol() == "N" and ((not a.GetIsAromatic() and a.GetDegree() + a.GetTotalNumHs() == 3
                                             and not any(b.GetBondType() != Chem.BondType.SINGLE for b in a.GetBonds()))
                                            or (a.GetIsAromatic() and a.GetDegree() == 2 and a.GetTotalNumHs() == 0)),
        lambda a: a.GetSymbol() not in ("C", "H"),
    )
    for rule in rules:
        found = [a.GetIdx() for a in atoms if rule(a)]
        if found:
            return found
    return [0]


def _acidic(atom: Chem.Atom) -> bool:
    """A thiol/selenol/tellurol, terminal-alkyne or carboxylic-acid H donor: it binds as the anion."""
    if atom.GetTotalNumHs() == 0 or atom.GetNumRadicalElectrons() or atom.GetFormalCharge():
        return False
    symbol = atom.GetSymbol()
    if symbol in ("S", "Se", "Te"):
        return atom.GetDegree() <= 1
    if symbol == "C":
        return any(b.GetBondType() == Chem.BondType.TRIPLE for b in atom.GetBonds())
    return symbol == "O" and any(n.GetSymbol() == "C" for n in atom.GetNeighbors())


def bound_charge(mol: Chem.Mol, anchors: Sequence[int]) -> int:
    """Charge of the ligand once bound: its formal charge, minus one per singly radical (X-type) anchor
    and per acidic anchor written neutral (a thiol SH binds as the thiolate), so ``CCS`` and ``[S]CC`` agree."""
    x_type = sum(1 for i in anchors if mol.GetAtomWithIdx(i).GetNumRadicalElectrons() == 1 or _acidic(mol.GetAtomWithIdx(i)))
    return Chem.GetFormalCharge(mol) - x_type


def _capped(mol: Chem.Mol, anchors: Sequence[int]) -> tuple[Chem.Mol, list[int]]:
    """The ligand with each X-type anchor capped by one H (a carbene by H+), hydrogens added; and the caps."""
    rw = Chem.RWMol(mol)
    capped = []
    for i in anchors:
        atom = rw.GetAtomWithIdx(i)
        radicals = atom.GetNumRadicalElectrons()
        if radicals == 0 and not _anionic(atom):
            continue
        atom.SetNumRadicalElectrons(0)
        if radicals >= 2:
            atom.SetFormalCharge(atom.GetFormalCharge() + 1)
        elif _anionic(atom):
            atom.SetFormalCharge(atom.GetFormalCharge() + 1)
        atom.SetNumExplicitHs(atom.GetNumExplicitHs() + 1)
        atom.SetNoImplicit(True)
        capped.append(i)
    out = rw.GetMol()
    Chem.SanitizeMol(out)
    out = Chem.AddHs(out)
    caps = []
    for i in capped:
        hydrogens = [n.GetIdx() for n in out.GetAtomWithIdx(i).GetNeighbors() if n.GetSymbol() == "H"]
        caps.append(hydrogens[0])
    return out, caps


def _conformers(mol: Chem.Mol, smiles: str, n: int) -> list[np.ndarray]:
    """Coordinates (Å) of ``n`` seeded ETKDGv3 conformers, MMFF- (else UFF-) relaxed where parameters exist."""
    if mol.GetNumAtoms() == 1:
        return [np.zeros((1, 3))]
    params = AllChem.ETKDGv3()
    params.randomSeed = CONFORMER_SEED
    ids = list(AllChem.EmbedMultipleConfs(mol, n, params))
    if not ids:
        params.useRandomCoords = True
        ids = list(AllChem.EmbedMultipleConfs(mol, n, params))
    if not ids:
        raise LigandError(f"cannot build a 3D conformer of '{smiles}' for the steric features")
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMoleculeConfs(mol, numThreads=1, maxIters=500)
    elif AllChem.UFFHasAllMoleculeParams(mol):
        AllChem.UFFOptimizeMoleculeConfs(mol, numThreads=1, maxIters=500)
    return [mol.GetConformer(i).GetPositions() for i in ids]


def _probe(capped: Chem.Mol, pos: np.ndarray, anchor: int, caps: Sequence[int]) -> tuple[list[int], int | None, np.ndarray]:
    """(atoms kept for the steric measures, the cap the metal replaces, the metal position) of one conformer."""
    cap = next((c for c in caps if capped.GetAtomWithIdx(c).GetNeighbors()[0].GetIdx() == anchor), None)
    atom = capped.GetAtomWithIdx(anchor)
    if cap is None and atom.GetSymbol() in ("S", "Se", "Te", "O", "C"):  # a neutral thiol's or acid's own H
        cap = next((n.GetIdx() for n in atom.GetNeighbors() if n.GetSymbol() == "H"), None)
    if cap is not None:
        direction = pos[cap] - pos[anchor]
    else:  # L-type donor: the metal opposite the substituents
        neighbours = [n.GetIdx() for n in atom.GetNeighbors()]
        direction = pos[anchor] - pos[neighbours].mean(axis=0) if neighbours else np.array([0.0, 0.0, 1.0])
    norm = np.linalg.norm(direction)
    direction = direction / norm if norm > 1e-6 else np.array([0.0, 0.0, 1.0])
    distance = covalent_radii[atomic_numbers[PROBE_METAL]] + covalent_radii[atomic_numbers[atom.GetSymbol()]]
    keep = [i for i in range(capped.GetNumAtoms()) if i not in set(caps) and i != cap]
    return keep, cap, pos[anchor] + distance * direction


def _clearance(pos: np.ndarray, keep: Sequence[int], anchor: int, metal: np.ndarray) -> float:
    """Closest approach (Å) of a kept atom other than the anchor to the metal (inf when there is none)."""
    others = [i for i in keep if i != anchor]
    return float(np.linalg.norm(pos[others] - metal, axis=1).min()) if others else float("inf")


def steric_features(smiles: str) -> tuple[float, float, float, float, float]:
    """(cone angle °, buried volume fraction, Sterimol L, B1, B5 in Å) of a ligand bound to Au by its first anchor."""
    mol = _mol(smiles)
    anchors = anchor_atoms(mol)
    try:
        capped, caps = _capped(mol, anchors)
    except Exception:  # noqa: BLE001 - RDKit refuses the capped form (unusual valence): one-line error
        raise LigandError(f"cannot build a 3D conformer of '{smiles}' for the steric features") from None
    anchor = anchors[0]
    # A flexible ligand (glutathione) may fold over the metal in its first conformer: then take the
    # conformer, of a few seeded ones, whose atoms stay farthest from the metal.
    candidates = _conformers(Chem.Mol(capped), smiles, 1)
    keep, cap, metal_at = _probe(capped, candidates[0], anchor, caps)
    pos = candidates[0]
    if _clearance(pos, keep, anchor, metal_at) < MIN_CLEARANCE:
        options = [(pos_i, _probe(capped, pos_i, anchor, caps)) for pos_i in _conformers(Chem.Mol(capped), smiles, 10)]
        pos, (keep, cap, metal_at) = max(options, key=lambda o: _clearance(o[0], o[1][0], anchor, o[1][2]))
    elements = [capped.GetAtomWithIdx(i).GetSymbol() for i in keep] + [PROBE_METAL]
    coordinates = np.vstack([pos[keep], metal_at])
    metal = len(elements)  # morfeus indices are 1-based
    attached = keep.index(anchor) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cone = SolidAngle(elements, coordinates, metal, density=0.01).cone_angle
            buried = BuriedVolume(elements, coordinates, metal, excluded_atoms=[metal], include_hs=True,
                                  radius=BURIED_VOLUME_RADIUS, density=0.01).fraction_buried_volume
            sterimol = Sterimol(elements, coordinates, metal, attached, n_rot_vectors=720)
        except ValueError:  # an atom inside the metal probe's sphere in every conformer tried
            raise LigandError(f"no conformer of '{smiles}' leaves room for a metal at its anchor (steric features)") from None
    return float(cone), float(buried), float(sterimol.L_value), float(sterimol.B_1_value), float(sterimol.B_5_value)


@functools.lru_cache(maxsize=65536)
def chemistry_features(smiles: str) -> np.ndarray:
    """The raw (unscaled) features of one ligand, in the order of :data:`FEATURE_NAMES`, float64.

    Raises :class:`LigandError` (one line) for an invalid SMILES or one RDKit cannot embed in 3D.
    """
    mol = _mol(smiles)
    anchors = anchor_atoms(mol)
    elements = np.zeros(len(ANCHOR_ELEMENTS))
    for i in anchors:
        symbol = mol.GetAtomWithIdx(i).GetSymbol()
        slot = "halogen" if symbol in HALOGENS else symbol if symbol in ANCHOR_ELEMENTS else "other"
        elements[ANCHOR_ELEMENTS.index(slot)] += 1
    family = np.zeros(len(FAMILIES))
    family[FAMILIES.index(ligand_family(Chem.MolToSmiles(mol)))] = 1.0
    on_aromatic = float(any(mol.GetAtomWithIdx(i).GetIsAromatic() or any(n.GetIsAromatic() for n in mol.GetAtomWithIdx(i).GetNeighbors())
                            for i in anchors))
    heavy = [a for a in mol.GetAtoms() if a.GetAtomicNum() > 1]
    aromatic_fraction = sum(a.GetIsAromatic() for a in heavy) / max(len(heavy), 1)
    continuous = [
        len(anchors), bound_charge(mol, anchors), *steric_features(smiles),
        np.log1p(len(heavy)), np.log1p(sum(a.GetAtomicNum() == 6 for a in heavy)),
        np.log1p(Descriptors.NumRotatableBonds(mol)), aromatic_fraction, Descriptors.NumAromaticRings(mol),
    ]
    return np.concatenate([elements, family, [on_aromatic], np.asarray(continuous, dtype=np.float64)])


@functools.lru_cache(maxsize=1)
def reference_statistics() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, std, block scale) per feature, from REFERENCE_LIGANDS: ``(raw - mean) / std * scale`` standardises.

    Continuous features are z-scored (std floored at 1e-3); counts and one-hots keep mean 0, std 1. Then
    each block of :data:`BLOCKS` is scaled to unit total variance over the reference ligands, times its
    :data:`BLOCK_WEIGHTS`, so a block of many features weighs no more than a block of few.
    """
    raw = np.stack([chemistry_features(s) for s in REFERENCE_LIGANDS])
    continuous = np.array([name in CONTINUOUS_FEATURES for name in FEATURE_NAMES])
    mean = np.where(continuous, raw.mean(axis=0), 0.0)
    std = np.where(continuous, np.maximum(raw.std(axis=0), 1e-3), 1.0)
    z = (raw - mean) / std
    scale = np.zeros(len(FEATURE_NAMES))
    for block, names in BLOCKS.items():
        idx = [FEATURE_NAMES.index(n) for n in names]
        scale[idx] = BLOCK_WEIGHTS[block] / np.sqrt(max(float(z[:, idx].var(axis=0).sum()), 1e-9))
    return mean, std, scale


def standardised_features(smiles: str, statistics: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """:func:`chemistry_features` standardised with ``statistics`` (default: :func:`reference_statistics`)."""
    mean, std, scale = statistics if statistics is not None else reference_statistics()
    return (chemistry_features(smiles) - mean) / std * scale


class LigandChemistryEncoder(ProjectedLigandEncoder):
    """Ligand chemistry features (+ optional unit-norm fingerprint) → Linear → Softplus → Linear, pooled per set."""

    name = "ligchem"

    def __init__(self, embedding_dim: int = 128, fingerprint: bool = True, radius: int = 2, n_bits: int = 1024, pooling: str = "mean"):
        super().__init__()
        self.fingerprint = fingerprint
        self.radius = radius
        self.n_bits = n_bits
        mean, std, scale = reference_statistics()
        self.register_buffer("feature_mean", torch.tensor(mean, dtype=torch.float64))
        self.register_buffer("feature_std", torch.tensor(std, dtype=torch.float64))
        self.register_buffer("feature_scale", torch.tensor(scale, dtype=torch.float64))
        self.in_dim = len(FEATURE_NAMES) + ((n_bits + len(DESCRIPTORS)) if fingerprint else 0)
        self.init_projection(self.in_dim, embedding_dim, pooling)

    def _row(self, smiles: str) -> np.ndarray:
        statistics = (self.feature_mean.cpu().numpy(), self.feature_std.cpu().numpy(), self.feature_scale.cpu().numpy())
        chem = standardised_features(smiles, statistics)
        if not self.fingerprint:
            return chem
        fp = ligand_features(smiles, self.radius, self.n_bits).astype(np.float64)
        return np.concatenate([chem, fp / max(float(np.linalg.norm(fp)), 1e-9)])

    def featurize(self, smiles: Sequence[str]) -> Tensor:
        """Scaled features ``[len(smiles), in_dim]`` (no gradient)."""
        rows = [self._row(s) for s in smiles]
        return torch.tensor(np.stack(rows), dtype=torch.float32) if rows else torch.zeros(0, self.in_dim)


@hookimpl
def colim_register_ligand_encoders(register: Registrar[LigandEncoder]) -> None:
    register.add(LigandChemistryEncoder)
