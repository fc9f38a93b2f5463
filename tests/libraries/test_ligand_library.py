"""The shipped ligand list (libraries/ligands): every SMILES parses, names are unique, families valid."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from colim.structures.families import ligand_family
from colim.libraries.ligand_library import read_ligand_file
from colim.structures.ligands import LigandSet, canonical_smiles

LIBRARY = Path(__file__).resolve().parents[2] / "libraries" / "ligands"
FAMILIES = {
    "thiolate", "selenolate", "tellurolate", "phosphine", "diphosphine", "alkynyl", "carboxylate", "halide",
    "hydride", "amine", "dithiophosphate", "dithiocarbamate", "other",
}
#: X-type ligands are written with a radical anchor; L-type donors as neutral closed-shell molecules.
RADICAL_FAMILIES = FAMILIES - {"phosphine", "diphosphine", "amine"}
KNOWN_CLUSTERS = Path(__file__).resolve().parents[2] / "tests" / "data" / "reference" / "known_clusters.csv"


def read_rows() -> list[dict[str, str]]:
    with open(LIBRARY / "ligands.csv", newline="") as handle:
        return list(csv.DictReader(handle))


ROWS = read_rows()


def test_csv_has_the_documented_columns_and_a_useful_size():
    with open(LIBRARY / "ligands.csv", newline="") as handle:
        assert next(csv.reader(handle)) == ["name", "smiles", "family"]
    assert 60 <= len(ROWS) <= 100


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_every_smiles_parses_as_one_ligand(row):
    canon = canonical_smiles(row["smiles"])
    assert LigandSet.of([row["smiles"]]).smiles == (canon,)


def test_names_and_molecules_are_unique():
    names = [r["name"] for r in ROWS]
    assert len(set(names)) == len(names)
    canon = [canonical_smiles(r["smiles"]) for r in ROWS]
    assert len(set(canon)) == len(canon)


def test_every_family_is_a_documented_family():
    assert {r["family"] for r in ROWS} <= FAMILIES
    readme = (LIBRARY / "README.md").read_text()
    for family in FAMILIES:
        assert family in readme


def test_anchor_convention_radicals_for_x_type_neutral_for_l_type():
    for row in ROWS:
        mol = Chem.MolFromSmiles(row["smiles"])
        radicals = Descriptors.NumRadicalElectrons(mol)
        assert Chem.GetFormalCharge(mol) == 0, row["name"]
        if row["family"] in RADICAL_FAMILIES:
            assert radicals >= 1, row["name"]
        else:
            assert radicals == 0, row["name"]


def test_every_ligand_is_documented_in_the_readme():
    readme = (LIBRARY / "README.md").read_text()
    for row in ROWS:
        assert f"| {row['name']} |" in readme, row["name"]


def test_smi_file_matches_the_csv():
    lines = (LIBRARY / "ligands.smi").read_text().splitlines()
    assert [line.split(maxsplit=1) for line in lines] == [[r["smiles"], r["name"]] for r in ROWS]


def test_the_family_classifier_agrees_with_the_family_column():
    disagree = {r["name"]: (r["family"], ligand_family(r["smiles"])) for r in ROWS if ligand_family(r["smiles"]) != r["family"]}
    assert disagree == {}


def test_colim_reads_the_same_ligands_from_the_smi_and_the_csv():
    """Alkynyl SMILES hold '#': a .smi reader must not take it for the start of a comment."""
    from_csv = [(lig.smiles, lig.name, lig.family) for lig in read_ligand_file(LIBRARY / "ligands.csv")]
    from_smi = [(lig.smiles, lig.name, lig.family) for lig in read_ligand_file(LIBRARY / "ligands.smi")]
    assert from_csv == [(canonical_smiles(r["smiles"]), r["name"], r["family"]) for r in ROWS]
    assert from_smi == from_csv


def test_the_ligand_list_holds_every_ligand_real_ag_and_cu_clusters_carry():
    """Every ligand SMILES of the 52 reference Ag/Cu/alloy clusters (neutral thiols and anions in that file)
    is in the list in colim's anchor-radical convention, except the inorganic heart (Se2-, Te2-) and the
    counter-ion-like nitrate and cyanide."""
    listed = {canonical_smiles(r["smiles"]) for r in ROWS}
    with open(KNOWN_CLUSTERS, newline="") as handle:
        reported = {s for row in csv.DictReader(handle) for s in row["ligand_smiles"].split(";") if s}
    missing = {s for s in reported if anchor_radical_form(s) not in listed}
    assert missing == {"[Se-2]", "[Te-2]", "[O-][N+](=O)[O-]", "[C-]#N"}


def anchor_radical_form(smiles: str) -> str:
    """A neutral thiol/selenol/tellurol, alkyne or acid, or an anion, written in colim's radical convention."""
    mol = Chem.RWMol(Chem.MolFromSmiles(smiles))
    for atom in mol.GetAtoms():
        anion = atom.GetFormalCharge() == -1 and atom.GetSymbol() in ("H", "F", "Cl", "Br", "I", "O", "S")
        acidic_h = atom.GetSymbol() in ("S", "Se", "Te") and atom.GetTotalNumHs() == 1 and atom.GetDegree() == 1
        terminal_alkyne = atom.GetSymbol() == "C" and atom.GetTotalNumHs() == 1 and any(
            b.GetBondType() == Chem.BondType.TRIPLE for b in atom.GetBonds())
        if anion or acidic_h or terminal_alkyne:
            atom.SetFormalCharge(0)
            atom.SetNumExplicitHs(0)
            atom.SetNoImplicit(True)
            atom.SetNumRadicalElectrons(1)
    return canonical_smiles(Chem.MolToSmiles(mol))
