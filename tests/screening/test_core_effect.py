"""Each hit says how much its core decided: ``core_effect`` = the hit's probability minus the same ligand set's
mean probability over the fixed Cu/Ag/Au icosahedron panel, on real DFT Au cores, ASE icosahedra and real
ligand SMILES, in every hit format, the summary and ``colim screen``'s output."""

from __future__ import annotations

import copy
import json
import sys

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
from ase.cluster import Icosahedron
from click.testing import CliRunner

from colim import keys
from colim.cli import cli
from colim.defaults import DEFAULT_LIGAND_LIBRARY, shipped
from colim.io.hit_tables import read_hits, summary_path
from colim.libraries.core_library import build_core_library
from colim.libraries.views import open_ligand_library
from colim.model.members import ModelMember, load_model
from colim.screening.core_effect import SMALL_EFFECT, CorePanel, core_effect_line, panel_cores
from colim.screening.screen import ScreenOptions, screen
from colim.structures.ligands import LigandSet

#: the panel as the docs state it: ASE icosahedra of 13 and 55 atoms of Cu, Ag and Au at their fcc lattice constants.
PANEL_SPEC = (("Cu", 3.61), ("Ag", 4.09), ("Au", 4.08))


def test_panel_is_the_documented_icosahedra_and_the_same_on_every_call():
    cores = panel_cores()
    assert [c.info["id"] for c in cores] == ["Cu13-icosahedron", "Cu55-icosahedron", "Ag13-icosahedron", "Ag55-icosahedron",
                                             "Au13-icosahedron", "Au55-icosahedron"]
    expected = [Icosahedron(metal, shells, latticeconstant=a) for metal, a in PANEL_SPEC for shells in (2, 3)]
    for core, ref in zip(cores, expected):
        assert core.get_chemical_symbols() == ref.get_chemical_symbols()
        np.testing.assert_array_equal(core.positions, ref.positions)
    np.testing.assert_array_equal(np.concatenate([c.positions for c in panel_cores()]), np.concatenate([c.positions for c in cores]))


def unfolded_panel_means(models, sets: list[LigandSet]) -> np.ndarray:
    """Each set's probability averaged over the panel cores and the members, through the models' own (unfolded) heads."""
    cores = panel_cores()
    out = np.zeros(len(sets))
    with torch.no_grad():
        for model in models:
            h_core = model.core_encoder.encode(cores)
            h_sets = model.ligand_encoder.encode(sets)
            for j in range(len(sets)):
                logits = model.head(h_core, h_sets[j : j + 1].expand(len(cores), -1))
                out[j] += torch.sigmoid(logits).mean().item()
    return out / len(models)


def test_core_effect_is_probability_minus_the_panel_mean_of_the_unfolded_ensemble(screen_setup):
    s = screen_setup
    result = screen(s["core_lib"], s["ligand_lib"], [ModelMember("m0", s["models"][0], {}), ModelMember("m1", s["models"][1], {})], options=ScreenOptions(top_k=6))
    hits = result.hits
    assert {"core_effect", "panel_probability"} <= set(hits.columns)
    keys = list(dict.fromkeys(hits["ligand_set"]))
    expected = dict(zip(keys, unfolded_panel_means(s["models"], [LigandSet.parse(k) for k in keys])))
    np.testing.assert_allclose(hits["panel_probability"], hits["ligand_set"].map(expected), atol=1e-5)
    np.testing.assert_allclose(hits["core_effect"], hits["probability"] - hits["panel_probability"], atol=1e-12)
    assert hits["core_effect"].abs().min() > 1e-4  # these random heads look at the core, if a little (a blind one: 0, below)
    effect = result.summary["core_effect"]
    assert effect["hits"] == len(hits) and effect["mean"] == pytest.approx(hits["core_effect"].mean())
    assert (effect["min"], effect["max"]) == pytest.approx((hits["core_effect"].min(), hits["core_effect"].max()))
    assert effect["above_panel"] == int((hits["core_effect"] > 0).sum())
    assert effect["small"] == int((hits["core_effect"].abs() < SMALL_EFFECT).sum())
    assert effect["panel"] == [c.info["id"] for c in panel_cores()] and effect["panel_metals"] == ["Cu", "Ag", "Au"]


def test_a_model_blind_to_the_core_has_core_effect_zero_on_every_hit(screen_setup):
    s = screen_setup
    blind = copy.deepcopy(s["models"][0])
    with torch.no_grad():  # the first layer's core columns: the head no longer sees the core
        blind.head.layers[0].weight[:, : blind.head.core_dim] = 0.0
    hits = screen(s["core_lib"], s["ligand_lib"], [ModelMember("blind", blind, {})], options=ScreenOptions(top_k=5)).hits
    assert hits.groupby("core_id")["ligand_set"].apply(tuple).nunique() == 1  # every core, the same ranking
    np.testing.assert_allclose(hits["core_effect"], 0.0, atol=1e-6)


def test_streamed_screen_scores_each_distinct_hit_set_once_and_sums_up_the_same(screen_setup, monkeypatch):
    s = screen_setup
    panels = []

    class Recording(CorePanel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.scored = []
            panels.append(self)

        def set_means(self, set_rows):
            self.scored.append(len(set(np.asarray(set_rows).tolist()) - self._cache.keys()))
            return super().set_means(set_rows)

    monkeypatch.setattr(sys.modules["colim.screening.screen"], "CorePanel", Recording)
    models = [ModelMember("m0", s["models"][0], {})]
    whole = screen(s["core_lib"], s["ligand_lib"], models, options=ScreenOptions(top_k=4))
    streamed = screen(s["core_lib"], s["ligand_lib"], models, options=ScreenOptions(top_k=4, core_block=1))
    assert len(panels) == 2 and len(panels[1].scored) == 5  # one call per core block
    assert sum(panels[1].scored) == streamed.hits["ligand_set"].nunique() == len(panels[1]._cache)
    pd.testing.assert_frame_equal(whole.hits, streamed.hits)
    a, b = whole.summary["core_effect"], streamed.summary["core_effect"]
    assert a.keys() == b.keys()
    for key in a:  # pytest ≥ 9.2's approx takes no nested values (the panel's core ids): those compare exactly
        assert a[key] == (pytest.approx(b[key]) if isinstance(b[key], (int, float)) else b[key]), key


@pytest.mark.parametrize("name", ["hits.csv", "hits.parquet", "hits.h5"])
def test_every_hit_format_keeps_core_effect_and_the_summary(screen_setup, tmp_path, name):
    s = screen_setup
    result = screen(s["core_lib"], s["ligand_lib"], [ModelMember("m0", s["models"][0], {})], tmp_path / name, ScreenOptions(top_k=3))
    back = read_hits(tmp_path / name)
    for column in ("core_effect", "panel_probability"):
        np.testing.assert_allclose(back[column].to_numpy(dtype=float), result.hits[column].to_numpy(dtype=float), rtol=1e-12)
    assert list(back["core_seen_in"]) == list(result.hits["core_seen_in"])
    if name.endswith(".h5"):
        with h5py.File(tmp_path / name) as f:
            summary = json.loads(f.attrs[keys.HITS_SUMMARY])
    else:
        summary = json.loads(summary_path(tmp_path / name).read_text())
    assert summary["core_effect"]["hits"] == len(back) and summary["core_effect"]["mean"] == pytest.approx(back["core_effect"].mean())


def test_cli_screen_prints_how_much_the_cores_decided(screen_setup, tmp_path):
    s = screen_setup
    out = tmp_path / "hits.csv"
    result = CliRunner().invoke(cli, ["screen", "--core-lib", str(s["core_lib"]), "--ligand-lib", str(s["ligand_lib"]),
                                      "--model", str(s["paths"][0]), "-o", str(out), "--top-k", "3"])
    assert result.exit_code == 0, result.output
    effect = json.loads(summary_path(out).read_text())["core_effect"]
    line = core_effect_line(effect)
    assert line in result.stdout.splitlines()
    assert line.startswith("core effect (hit probability minus the same set's mean on the Cu/Ag/Au reference panel): "
                           f"mean {effect['mean']:+.3f}, from {effect['min']:+.3f} to {effect['max']:+.3f}; "
                           f"{effect['above_panel']} of 15 hits score above the panel")


def test_shipped_model_on_the_panel_icosahedra_themselves_has_core_effects_summing_to_zero(tmp_path):
    """Screening the six panel cores against every shipped set: each set's panel mean is the mean of its six
    hit probabilities, so its six core effects sum to zero."""
    named = load_model(None)
    cores = []
    for metal, a in PANEL_SPEC:
        for shells in (2, 3):
            core = Icosahedron(metal, shells, latticeconstant=a)
            core.info["id"] = f"ase-{metal}{len(core)}"
            cores.append(core)
    build_core_library(tmp_path / "cores.h5", cores, [m.model.core_encoder for m in named])
    sets = open_ligand_library(shipped(DEFAULT_LIGAND_LIBRARY)).num_sets  # every shipped set is a hit of every core
    hits = screen(tmp_path / "cores.h5", shipped(DEFAULT_LIGAND_LIBRARY), named, options=ScreenOptions(top_k=sets)).hits
    assert len(hits) == 6 * sets
    by_set = hits.groupby("ligand_set")
    np.testing.assert_allclose(by_set["probability"].mean(), by_set["panel_probability"].first(), atol=1e-6)
    np.testing.assert_allclose(by_set["core_effect"].sum(), 0.0, atol=1e-5)
    assert hits["core_effect"].abs().max() > 1e-3  # the shipped model does look at the core
