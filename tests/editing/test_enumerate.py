"""Symmetry-unique enumeration, checked against brute-force pairwise RMSD deduplication of every edit."""

from __future__ import annotations

import pytest
from ase import Atoms

from colim.editing import EditError
from colim.editing.bruteforce import brute_force_edits, brute_force_unique
from colim.editing.enumerate import enumerate_edits
from colim.editing.spec import parse_operator, parse_operators

from .conftest import AU25_TOL


def stats_of(result, spec, depth=1):
    return next(s for s in result.stats if s.operator == spec and s.depth == depth)


def congruent_sets_match(ours, theirs, tol):
    """Every core we kept has exactly one brute-force counterpart and vice versa."""
    assert len(ours) == len(theirs)
    assert len(brute_force_unique(list(ours) + list(theirs), tol)) == len(ours)


@pytest.mark.parametrize("core_name,tol", [("ico13", 0.1), ("au13_heart", AU25_TOL)])
def test_icosahedron_has_two_removals_and_two_substitutions(core_name, tol, request):
    core = request.getfixturevalue(core_name)
    result = enumerate_edits(core, parse_operators("remove,substitute:Ag,add:Cu"), tol=tol)
    counts = {s.operator: (s.candidates, s.classes, s.unique) for s in result.stats}
    assert counts["remove"] == (13, 2, 2) and counts["substitute:Ag"] == (13, 2, 2)
    if core_name == "ico13":  # ideal Ih: one top, one bridge, one hollow site
        assert counts["add:Cu"] == (62, 3, 3)
        assert sorted(c.info["site"].split(":")[0] for c in result.cores if c.info["operator"] == "add") == ["bridge", "hollow", "top"]
    else:  # the Au25 heart is Th-distorted: edges (6 + 24) and faces (8 + 12) split, added atoms show it
        assert counts["add:Cu"][2] > 3
    for spec in ("remove", "substitute:Ag", "add:Cu"):
        unique, rejected = brute_force_edits(core, parse_operator(spec), tol)
        assert rejected == 0
        congruent_sets_match([c for c in result.cores if c.info["operator"] == spec.split(":")[0]], unique, tol)


def test_au25_core_classes_match_brute_force(au25):
    result = enumerate_edits(au25, parse_operators("remove,substitute:Ag+Cu,add:Au"), tol=AU25_TOL)
    # Th symmetry: centre, 12 icosahedron-shell and 12 staple atoms
    assert (stats_of(result, "remove").unique, stats_of(result, "substitute:Ag+Cu").unique) == (3, 6)
    add = stats_of(result, "add:Au")
    assert add.classes == add.unique + sum(add.rejected.values()) + add.duplicates
    for spec in ("remove", "add:Au"):
        unique, rejected = brute_force_edits(au25, parse_operator(spec), AU25_TOL)
        ours = [c for c in result.cores if c.info["operator"] == spec.split(":")[0]]
        congruent_sets_match(ours, unique, AU25_TOL)
        assert (rejected > 0) == bool(stats_of(result, spec).rejected)
    assert add.rejected["too-close"] > 0  # hollows next to the staple atoms clash, and are counted


def test_swap_on_doped_icosahedra_matches_brute_force(ico13):
    doped = ico13.copy()
    doped.info = {"id": "AgAu12"}
    doped[1].symbol = "Ag"
    result = enumerate_edits(doped, parse_operators("swap,remove"), tol=0.1)
    swap = stats_of(result, "swap")
    # Ag with the centre (new), or with a neighbour / next / opposite surface Au: the input again
    assert (swap.candidates, swap.classes, swap.unique, swap.duplicates) == (12, 4, 1, 3)
    assert stats_of(result, "remove").unique == 5  # Ag, centre, and the three Au shells around Ag
    unique, _ = brute_force_edits(doped, parse_operator("remove"), 0.1)
    congruent_sets_match([c for c in result.cores if c.info["operator"] == "remove"], unique, 0.1)
    doped[0].symbol = "Cu"  # Cu centre, Ag surface
    result = enumerate_edits(doped, parse_operators("swap"), tol=0.1)
    products = [parse_operator("swap").apply(doped, s) for s in parse_operator("swap").sites(doped)]
    reps = brute_force_unique([doped] + products, 0.1)
    assert reps[0] == 0 and stats_of(result, "swap").unique == len(reps) - 1 == 4
    congruent_sets_match(result.cores, [products[i - 1] for i in reps[1:]], 0.1)


def test_depth_two_deduplicates_across_parents(ico13):
    result = enumerate_edits(ico13, parse_operators("remove"), depth=2, tol=0.1)
    depth1 = [c for c in result.cores if c.info["depth"] == 1]
    depth2 = [c for c in result.cores if c.info["depth"] == 2]
    assert len(depth1) == 2
    # hollow Au12 -> 1; Au12 with a vacancy -> centre, 5 neighbours, 5 next, opposite = 4; the
    # centre+surface vacancy is reached from both parents and counted once
    assert len(depth2) == 4 and stats_of(result, "remove", 2).duplicates == 1
    every = [parse_operator("remove").apply(p, s) for p in depth1 for s in parse_operator("remove").sites(p)]
    assert len(brute_force_unique(every, 0.1)) == 4
    congruent_sets_match(depth2, [every[i] for i in brute_force_unique(every, 0.1)], 0.1)
    assert all(c.info["parent"] in {d.info["id"] for d in depth1} for c in depth2)
    assert all(c.info["id"].count("~remove:") == 2 for c in depth2)


def test_max_caps_the_number_of_cores(ico13):
    result = enumerate_edits(ico13, parse_operators("remove,substitute:Ag+Cu"), depth=2, max_cores=3, tol=0.1)
    assert len(result.cores) == 3 and result.capped
    assert not enumerate_edits(ico13, parse_operators("remove"), tol=0.1).capped


def test_sanity_rejections_are_counted_per_reason():
    chain = Atoms("Au5", positions=[[0, 0, 0], [2.8, 0, 0], [5.6, 0, 0], [8.4, 0, 0], [11.2, 0, 0]])
    chain.info = {"id": "chain"}
    result = enumerate_edits(chain, parse_operators("remove"), tol=0.05)
    st = stats_of(result, "remove")
    # end atom: fine; next to the end: leaves a lone atom; middle: two pieces
    assert (st.candidates, st.classes, st.unique) == (5, 3, 1)
    assert dict(st.rejected) == {"isolated-atom": 1, "disconnected": 1}
    assert dict(result.rejected()) == {"isolated-atom": 1, "disconnected": 1}


def test_input_that_fails_sanity_is_refused(ico13):
    apart = Atoms("Au2", positions=[[0, 0, 0], [6.0, 0, 0]])
    apart.info = {"id": "apart"}
    with pytest.raises(EditError) as e:
        enumerate_edits(apart, parse_operators("remove"))
    assert str(e.value) == "apart: the input core fails the sanity checks (isolated-atom: atom 0 (Au) has no neighbour within bonding distance)"


def test_enumeration_leaves_the_input_unchanged(au25):
    before = (au25.get_positions().copy(), au25.numbers.copy(), dict(au25.info))
    enumerate_edits(au25, parse_operators("remove,add:Cu"), tol=AU25_TOL)
    assert (au25.get_positions() == before[0]).all() and (au25.numbers == before[1]).all() and au25.info == before[2]
