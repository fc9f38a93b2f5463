"""The built-in operators: pure, provenance-stamped, with the documented sites and argument errors."""

from __future__ import annotations

import numpy as np
import pytest
from ase.data import atomic_numbers, covalent_radii

from colim.editing import EditError
from colim.editing.spec import parse_operator, parse_operators
from colim.errors import UnknownPluginError
from colim.plugins.manager import edit_operators


def snapshot(core):
    return core.get_positions().copy(), core.numbers.copy(), dict(core.info)


@pytest.mark.parametrize("spec", ["remove", "substitute:Ag+Cu", "add:Cu", "swap"])
def test_operators_never_change_their_input(au25, spec):
    core = au25.copy()
    core.info = dict(au25.info)
    core[5].symbol = "Ag"  # so swap has sites too
    op = parse_operator(spec)
    before = snapshot(core)
    sites = op.sites(core)
    assert sites
    for site in sites[:: max(1, len(sites) // 7)]:
        edited = op.apply(core, site)
        assert edited is not core
    pos, num, info = snapshot(core)
    assert np.array_equal(pos, before[0]) and np.array_equal(num, before[1]) and info == before[2]


def test_provenance_fields_of_each_operator(au25):
    core = au25
    removed = parse_operator("remove").apply(core, parse_operator("remove").sites(core)[12])
    assert removed.info == {
        "id": "au25_opt~remove:12", "parent": "au25_opt", "operator": "remove", "site": "12", "site_kind": "interior CN9",
        "element": "Au", "depth": 1, "source": core.info["source"],
    }
    assert len(removed) == 24
    sub = parse_operator("substitute:Ag")
    doped = sub.apply(removed, sub.sites(removed)[3])
    assert doped.info["id"] == "au25_opt~remove:12~substitute:3:Ag"
    assert (doped.info["parent"], doped.info["operator"], doped.info["site"], doped.info["element"], doped.info["depth"]) == (
        "au25_opt~remove:12", "substitute", "3", "Ag", 2)
    assert doped.get_chemical_symbols()[3] == "Ag" and doped.get_chemical_formula() == "AgAu23"
    swap = parse_operator("swap")
    swapped = swap.apply(doped, swap.sites(doped)[0])
    assert swapped.info["operator"] == "swap" and swapped.info["element"] == "Ag+Au" and swapped.info["depth"] == 3
    assert swapped.info["site"] == "0-3" and swapped.get_chemical_symbols()[0] == "Ag"
    assert swapped.info["site_kind"].startswith("centre CN")


def test_sites_are_named_by_kind(au25):
    """Au25's core: the centre (12 neighbours), the 12 icosahedral atoms inside the staple shell (CN9 here), the
    staple Au atoms on the hull; add sites keep their kind with the number of atoms they touch."""
    remove = parse_operator("remove")
    kinds = {remove.apply(au25, s).info["site_kind"] for s in remove.sites(au25)}
    assert kinds == {"centre CN12", "interior CN9", "vertex CN3"}
    assert remove.apply(au25, remove.sites(au25)[0]).info["site_kind"] == "centre CN12"
    add = parse_operator("add:Au")
    assert {add.apply(au25, s).info["site_kind"].split()[0] for s in add.sites(au25)} <= {"top", "bridge", "hollow"}


def test_substitute_skips_same_element_and_swap_needs_unlike_atoms(ico13):
    assert len(parse_operator("substitute:Ag+Au").sites(ico13)) == 13
    assert parse_operator("swap").sites(ico13) == []
    alloy = ico13.copy()
    alloy[4].symbol = "Ag"
    assert sorted(tuple(sorted(s.indices)) for s in parse_operator("swap").sites(alloy)) == [
        tuple(sorted((4, j))) for j in range(13) if j != 4]


def test_add_sites_are_top_bridge_hollow_at_bond_length_outside(ico13):
    op = parse_operator("add:Cu")
    sites = op.sites(ico13)
    kinds = {k: sum(s.label == k for s in sites) for k in ("top", "bridge", "hollow")}
    assert kinds == {"top": 12, "bridge": 30, "hollow": 20}  # vertices, edges, faces of the icosahedron
    bond = covalent_radii[atomic_numbers["Cu"]] + covalent_radii[atomic_numbers["Au"]]
    pos = ico13.get_positions()
    centre = pos.mean(axis=0)
    for s in sites:
        new = np.asarray(s.position)
        assert np.allclose(np.linalg.norm(pos[list(s.indices)] - new, axis=1), bond)
        assert np.linalg.norm(new - centre) > np.linalg.norm(pos[list(s.indices)] - centre, axis=1).max()
        edited = op.apply(ico13, s)
        assert edited.get_chemical_formula() == "Au13Cu" and edited.info["site"].startswith(s.label + ":")


def test_operator_argument_errors_are_one_line():
    with pytest.raises(EditError) as e:
        parse_operator("remove:Ag")
    assert str(e.value) == "operator 'remove' takes no arguments, got 'remove:Ag'"
    with pytest.raises(EditError) as e:
        parse_operator("substitute")
    assert str(e.value) == "operator 'substitute' needs elements, e.g. substitute:Ag+Cu"
    with pytest.raises(EditError) as e:
        parse_operator("add:Xx")
    assert str(e.value) == "unknown element 'Xx' in 'add:Xx'; use chemical symbols such as Ag, Au, Cu"
    with pytest.raises(UnknownPluginError) as e:
        parse_operators("remove,remov")
    assert str(e.value) == f"unknown edit operator 'remov'; choose from: {', '.join(edit_operators().names())}"
    assert {"add", "remove", "substitute", "swap"} <= set(edit_operators().names())
    with pytest.raises(EditError) as e:
        parse_operators("remove,remove")
    assert str(e.value) == "operator 'remove' is given twice"


def test_ops_spec_parses_into_instances():
    ops = parse_operators("remove, substitute:Ag+Au ,add:Cu,swap")
    assert [type(o).__name__ for o in ops] == ["RemoveOperator", "SubstituteOperator", "AddOperator", "SwapOperator"]
    assert ops[1].elements == ("Ag", "Au") and ops[2].elements == ("Cu",)
    assert [o.spec for o in ops] == ["remove", "substitute:Ag+Au", "add:Cu", "swap"]
