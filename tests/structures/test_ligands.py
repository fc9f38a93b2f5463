"""Ligand sets are canonical, order-free and bounded to 4 kinds."""

import pytest

from colim.errors import LigandError
from colim.structures.ligands import LigandSet

PET = "[S]CCc1ccccc1"
PPH3 = "c1ccc(P(c2ccccc2)c2ccccc2)cc1"
FORMATE = "O=C[O]"


def test_order_and_spelling_do_not_matter():
    a = LigandSet.parse(f"{PET}.{PPH3}")
    b = LigandSet.parse("P(c1ccccc1)(c1ccccc1)c1ccccc1.c1ccccc1CC[S]")
    assert a == b and hash(a) == hash(b)


def test_duplicates_collapse_and_ratios_follow_their_ligand():
    s = LigandSet.parse(f"{PET}.{PPH3}.{FORMATE}.{PET} 6:3:6:6")
    assert len(s) == 3
    ratios = dict(zip(s.smiles, s.ratios))
    assert ratios[LigandSet.parse(PET).smiles[0]] == 12
    assert sum(s.weights) == pytest.approx(1.0)


def test_more_than_four_kinds_is_refused():
    with pytest.raises(LigandError, match="at most 4 ligand kinds, got 5"):
        LigandSet.parse("[S]C.[S]CC.[S]CCC.[S]CCCC.[S]CCCCC")


def test_invalid_smiles_is_named():
    with pytest.raises(LigandError, match=r"invalid SMILES 'C1CC'"):
        LigandSet.parse("C1CC.[S]C")
