"""Quadratic pair bounds (colim.screening.pair_search) on the shipped default and real ligands: every set's bound
is at or above its exact logit, the curvature bounds hold between the grid points, and the bound is tight where
it matters (the best sets), which is what lets the pruned screen skip most of a flat landscape."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from colim import api
from colim.libraries.ligand_library import build_combinatorial_library, read_ligand_file
from colim.libraries.ligand_sets import SetRule
from colim.libraries.views import open_core_library, open_ligand_library
from colim.screening.bounds import HeadBounds, sigmoid, softplus
from colim.screening.engine import EngineOptions, ScreenEngine
from colim.screening.pair_search import applies, curvature_range, pair_terms
from colim.screening.screen import build_members
from tests.conftest import DATA


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    shipped = api.load_model(None)
    path = tmp_path_factory.mktemp("pairs") / "ligands60.h5"
    build_combinatorial_library(path, read_ligand_file(DATA / "ligands" / "ligands60.smi"), [m.model.ligand_encoder for m in shipped],
                                SetRule(1, 3))
    views = build_members(shipped, open_core_library(api.shipped(api.DEFAULT_CORE_LIBRARY)), open_ligand_library(path))
    return ScreenEngine(views, EngineOptions(top_k=10, prune=False), "cpu")


def test_the_shipped_heads_take_pair_bounds(engine):
    assert applies([HeadBounds.of(m.head) for m in engine.members])


@pytest.mark.parametrize("core", [0, 60, 150])
def test_every_set_is_bounded_and_the_best_sets_tightly(engine, core):
    for member in engine.members:
        bounds = HeadBounds.of(member.head)
        x = member.sets._ligand_projections(member.head).astype(np.float64)
        p_core = member.head.project_cores(torch.from_numpy(member.cores.block(core, core + 1)))[0].double().numpy()
        n = len(x)
        for k in (1, 2, 3):
            sets = np.array(list(itertools.combinations(range(n), k)))
            exact = softplus(p_core + x[sets].mean(axis=1)) @ bounds.w2[:, 0] + bounds.b2[0]
            tangent = x[sets[np.argmax(exact)]].mean(axis=0)
            terms = pair_terms(bounds, p_core, x, tangent, k)
            a, beta, gamma = terms.a, terms.beta, terms.gamma()
            bound = a + beta[sets].sum(axis=1)
            for i, j in itertools.combinations(range(k), 2):
                bound += gamma[sets[:, i], sets[:, j]]
            assert (bound >= exact - 1e-9).all()
            tenth = np.sort(exact)[-min(10, len(exact))]
            if k == 3:  # few sets' bounds reach the 10th best logit: the search scores only those
                assert (bound >= tenth).sum() < 0.05 * len(sets)
            # the unit bounds hold at points between the grid's samples too
            t = p_core + tangent
            lo, hi = p_core + x.min(axis=0), p_core + x.max(axis=0)
            up, low = curvature_range(t, lo, hi)
            y = lo + np.random.default_rng(k).random((4000, len(t))) * (hi - lo)
            d = y - t
            base = softplus(t) + sigmoid(t) * d
            assert (softplus(y) <= base + up * d**2 + 1e-12).all() and (softplus(y) >= base + low * d**2 - 1e-12).all()


def test_sets_holding_a_fixed_ligand_are_bounded_with_their_own_tangent(engine):
    """The form the search uses for a ligand set apart: ``k − 1`` free choices beside one fixed ligand."""
    member = engine.members[0]
    bounds = HeadBounds.of(member.head)
    x = member.sets._ligand_projections(member.head).astype(np.float64)
    p_core = member.head.project_cores(torch.from_numpy(member.cores.block(0, 1)))[0].double().numpy()
    far = int(np.argmax(np.linalg.norm(x - x.mean(axis=0), axis=1)))  # the ligand farthest from the others
    rest = np.delete(np.arange(len(x)), far)
    for k in (2, 3):
        free = np.array(list(itertools.combinations(range(len(rest)), k - 1)))
        exact = softplus(p_core + (x[far] + x[rest][free].sum(axis=1)) / k) @ bounds.w2[:, 0] + bounds.b2[0]
        best = free[np.argmax(exact)]
        tangent = (x[far] + x[rest][best].sum(axis=0)) / k
        terms = pair_terms(bounds, p_core, x[rest], tangent, k, fixed=x[far], n_fixed=1)
        a, beta, gamma = terms.a, terms.beta, terms.gamma()
        bound = a + beta[free].sum(axis=1) + (gamma[free[:, 0], free[:, 1]] if k == 3 else 0.0)
        assert (bound >= exact - 1e-9).all()
        assert bound[np.argmax(exact)] - exact.max() < 1e-9  # exact at the tangent
