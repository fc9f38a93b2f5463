"""The ``molgnn`` ligand encoder: a small trainable GNN over each ligand's RDKit molecular graph,
pooled per ligand, then pooled over the ligand set (mean, sum or attention).

Needs no download. Graphs are built once per SMILES (cached); hydrogens are implicit (a count per
heavy atom) and the anchor atom of a radical-anchor SMILES such as ``[S]CCc1ccccc1`` is marked by its
radical electrons.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np
import torch
from rdkit import Chem
from torch import Tensor, nn
from torch_geometric.data import Batch, Data
from torch_geometric.nn import GINEConv, global_add_pool, global_mean_pool

from colim import Registrar, hookimpl
from colim.encoders import LigandEncoder
from colim.encoders.projected import PooledLigandEncoder
from colim.errors import LigandError

#: elements with their own one-hot slot; anything else (metals included) shares the last slot.
ELEMENTS = ("H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "As", "Se", "Br", "Te", "I")
DEGREES = 6  # 0..5, larger values clamp to 5
CHARGES = (-2, -1, 0, 1, 2)  # clamped to this range
RADICALS = 3  # 0, 1, 2+
HYDROGENS = 5  # 0..4, larger values clamp to 4
#: atom features: element, degree, formal charge, aromatic, in ring, radical electrons, total H.
ATOM_DIM = len(ELEMENTS) + 1 + DEGREES + len(CHARGES) + 2 + RADICALS + HYDROGENS
BOND_TYPES = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE, Chem.BondType.AROMATIC)
#: bond features: type (single, double, triple, aromatic, other), conjugated, in ring.
BOND_DIM = len(BOND_TYPES) + 1 + 2


def _one_hot(index: int, size: int) -> list[float]:
    row = [0.0] * size
    row[min(max(index, 0), size - 1)] = 1.0
    return row


def atom_features(atom: Chem.Atom) -> list[float]:
    """One-hot element, degree, formal charge, radical electrons and H count, plus aromatic and ring bits."""
    symbol = atom.GetSymbol()
    element = ELEMENTS.index(symbol) if symbol in ELEMENTS else len(ELEMENTS)
    charge = min(max(atom.GetFormalCharge(), CHARGES[0]), CHARGES[-1]) - CHARGES[0]
    return (
        _one_hot(element, len(ELEMENTS) + 1)
        + _one_hot(atom.GetDegree(), DEGREES)
        + _one_hot(charge, len(CHARGES))
        + [float(atom.GetIsAromatic()), float(atom.IsInRing())]
        + _one_hot(atom.GetNumRadicalElectrons(), RADICALS)
        + _one_hot(atom.GetTotalNumHs(), HYDROGENS)
    )


def bond_features(bond: Chem.Bond) -> list[float]:
    """One-hot bond type, plus conjugated and ring bits."""
    kind = BOND_TYPES.index(bond.GetBondType()) if bond.GetBondType() in BOND_TYPES else len(BOND_TYPES)
    return _one_hot(kind, len(BOND_TYPES) + 1) + [float(bond.GetIsConjugated()), float(bond.IsInRing())]


@functools.lru_cache(maxsize=65536)
def molecular_graph_arrays(smiles: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x [N, ATOM_DIM] float32, edge_index [2, 2B] int64, edge_attr [2B, BOND_DIM] float32)`` of a SMILES."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise LigandError(f"invalid SMILES '{smiles}'")
    x = np.array([atom_features(a) for a in mol.GetAtoms()], dtype=np.float32).reshape(-1, ATOM_DIM)
    pairs, feats = [], []
    for bond in mol.GetBonds():
        i, j, f = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), bond_features(bond)
        pairs += [(i, j), (j, i)]
        feats += [f, f]
    edge_index = np.array(pairs, dtype=np.int64).reshape(-1, 2).T.copy()
    edge_attr = np.array(feats, dtype=np.float32).reshape(-1, BOND_DIM)
    return x, edge_index, edge_attr


def molecular_graph(smiles: str) -> Data:
    """The PyG graph of one ligand (``x``, ``edge_index``, ``edge_attr``), from the per-SMILES cache."""
    x, edge_index, edge_attr = molecular_graph_arrays(smiles)
    return Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(edge_index), edge_attr=torch.from_numpy(edge_attr))


class MolGNNLigandEncoder(PooledLigandEncoder):
    """Atom features → Linear → ``num_layers`` × (h + GINEConv(h)) → [sum ‖ mean] over atoms → MLP
    (``embedding_dim``) per ligand, then :class:`SetPooling` over the set.

    Sum pooling keeps the ligand's size (carbon count) visible; mean pooling its composition.

    Args:
        embedding_dim: size of per-ligand and set embeddings.
        hidden_dim: atom feature size inside the GNN.
        num_layers: number of GINE layers.
        pooling: set pooling, ``mean``, ``sum`` or ``attention``.
    """

    name = "molgnn"
    version = "1"

    def __init__(self, embedding_dim: int = 128, hidden_dim: int = 128, num_layers: int = 3, pooling: str = "mean"):
        super().__init__()
        self.embedding_dim = int(embedding_dim)
        self.input = nn.Linear(ATOM_DIM, hidden_dim)
        self.convs = nn.ModuleList(
            GINEConv(nn.Sequential(nn.Linear(hidden_dim, hidden_dim), nn.Softplus(), nn.Linear(hidden_dim, hidden_dim)), train_eps=True, edge_dim=BOND_DIM)
            for _ in range(num_layers)
        )
        self.act = nn.Softplus()
        self.readout = nn.Sequential(nn.Linear(2 * hidden_dim, self.embedding_dim), nn.Softplus(), nn.Linear(self.embedding_dim, self.embedding_dim))
        self.init_pooling(pooling, self.embedding_dim)

    def featurize(self, smiles: Sequence[str]) -> Batch:
        """The molecular graphs of ``smiles`` as one PyG batch (CPU, cached per SMILES)."""
        return Batch.from_data_list([molecular_graph(s) for s in smiles])

    def embed_ligands(self, smiles: Sequence[str]) -> Tensor:
        if not len(smiles):
            return torch.zeros(0, self.embedding_dim, device=self.device)
        batch = self.featurize(smiles).to(self.device)
        h = self.input(batch.x)
        for conv in self.convs:
            h = h + self.act(conv(h, batch.edge_index, batch.edge_attr))
        size = len(smiles)
        graph = torch.cat([global_add_pool(h, batch.batch, size=size), global_mean_pool(h, batch.batch, size=size)], dim=-1)
        return self.readout(graph)


@hookimpl
def colim_register_ligand_encoders(register: Registrar[LigandEncoder]) -> None:
    register.add(MolGNNLigandEncoder)
