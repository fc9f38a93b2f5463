"""A small metal-conditional dataset of real ligands on real single Cu, Ag and Au atoms.

Counts are how often each ligand sits on a Cu, Ag or Au centre in MetaLig v1.1.0 (MIT, Sommer et al.,
``../shared/data/metalig``: the ``metals`` column of ligands.csv, summed over oxidation states). A ligand
is a positive on a metal seen at least 10 times, a negative on a metal seen at most 5 times (while common on
another metal), left out in between: the labels depend on the metal, as in the MetaLig dataset.
"""

from __future__ import annotations

from ase import Atoms

from colim.dataset.records import MatchingDataset, PairRecord
from colim.structures.ligands import LigandSet

METALS = ("Cu", "Ag", "Au")
#: SMILES (colim's radical convention for anionic donors) and (Cu, Ag, Au) counts in MetaLig.
LIGANDS = (
    ("[O][Cl+3]([O-])([O-])[O-]", (702, 33, 0)),  # perchlorate
    ("[N]=C=S", (456, 7, 1)),  # isothiocyanate
    ("[C]#N", (27, 94, 257)),  # cyanide
    ("[O]C(=CC(=O)C(F)(F)F)C(F)(F)F", (346, 11, 0)),  # hfac
    ("Fc1[c]c(F)c(F)c(F)c1F", (25, 6, 245)),  # C6F5
    ("c1c[nH]cn1", (253, 16, 0)),  # imidazole
    ("CC(=O)C=C(C)[O]", (238, 1, 3)),  # acac
    ("CO", (206, 5, 0)),  # methanol
    ("C1CCC(P(C2CCCCC2)C2CCCCC2)CC1", (42, 51, 105)),  # PCy3
    ("CP(C)C", (79, 2, 28)),  # PMe3
    ("CS(C)=O", (132, 0, 1)),  # DMSO
    ("CN(C)C=O", (129, 2, 1)),  # DMF
    ("[CH3]", (7, 1, 75)),  # methyl
    ("CC(C)(C)P(C(C)(C)C)C(C)(C)C", (14, 7, 31)),  # PtBu3
    ("CC(C)(C)P(c1ccccc1-c1ccccc1)C(C)(C)C", (5, 8, 77)),  # JohnPhos
    ("[C]#Cc1ccccc1", (5, 2, 52)),  # phenylacetylide
    ("C(=Cc1ccncc1)c1ccccc1", (3, 60, 0)),  # 4-styrylpyridine
    ("Cc1ccc(P(c2ccc(C)cc2)c2ccc(C)cc2)cc1", (17, 53, 12)),  # P(p-tolyl)3
    ("c1ccc([As](c2ccccc2)c2ccccc2)cc1", (19, 45, 26)),  # AsPh3
    ("[S]c1sc(=S)sc1[S]", (32, 0, 32)),  # dmit
    ("[O]S([O])(=O)=O", (66, 0, 0)),  # sulfate
    ("N#C[N]C#N", (73, 1, 1)),  # dicyanamide
    ("[O]S(=O)(=O)C(F)(F)F", (252, 54, 7)),  # triflate
    ("c1ccc(P(c2ccccc2)c2ccccc2)cc1", (1396, 676, 660)),  # PPh3
    ("CC#N", (493, 92, 28)),  # acetonitrile
    ("c1ccncc1", (361, 64, 26)),  # pyridine
    ("NCCN", (251, 4, 5)),  # ethylenediamine
    ("Cc1cc(C)[nH]n1", (74, 4, 4)),  # 3,5-dimethylpyrazole
)


def metal_atoms() -> list[Atoms]:
    """One single-atom core per coinage metal, oxidation state +1, as the MetaLig dataset writes them."""
    cores = []
    for metal in METALS:
        atoms = Atoms(metal, positions=[[0.0, 0.0, 0.0]])
        atoms.info.update(id=f"{metal}(I)", oxidation_state=1, source="MetaLig")
        cores.append(atoms)
    return cores


def metal_dataset() -> MatchingDataset:
    """Every (ligand, metal) pair with a label; the dataset's own split deals ligands 8:1:1 by position."""
    pairs = []
    for i, (smiles, counts) in enumerate(LIGANDS):
        split = "val" if i % 10 == 8 else "test" if i % 10 == 9 else "train"
        for j, n in enumerate(counts):
            if n >= 10 or n <= 5:
                pairs.append(PairRecord(j, LigandSet.of([smiles]), int(n >= 10), split, smiles, "reported" if n >= 10 else "sampled"))
    return MatchingDataset(metal_atoms(), pairs, {"test": "metal-conditional"}, {})
