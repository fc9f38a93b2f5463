"""Combinatorial ligand libraries: the rule's sets are numbered and named exactly as the materialised
library's, the file holds no per-set rows, and scoring them on the fly from per-ligand projections
equals scoring the stored set embeddings (to 1e-5), for linear pooling and, through the fallback, attention."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from colim import keys
from colim.model.members import ModelMember
from colim.io.hit_tables import open_hit_writer, read_hits
from colim.libraries.ligand_library import build_combinatorial_library, combination_sets, read_ligand_file
from colim.libraries.ligand_sets import SetRule, SetSpace, set_families, set_keys, set_names
from colim.libraries.views import open_core_library, open_ligand_library
from colim.model.dual_encoder import CoLiMModel
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.screening.engine import ScreenEngine
from colim.screening.screen import ScreenOptions, build_members, screen
from colim.screening.sources import linear_pooling
from tests.conftest import DATA

LIGANDS60 = DATA / "ligands" / "ligands60.smi"


@pytest.fixture(scope="module")
def ligands():
    return read_ligand_file(LIGANDS60)


def test_ligands60_expand_to_36050_sets_in_the_materialised_order(ligands):
    smiles = [lig.smiles for lig in ligands]
    space = SetSpace(smiles, [lig.family for lig in ligands], SetRule(1, 3))
    reference = combination_sets(smiles, 3)
    assert len(space) == len(reference) == 36_050
    members, ratios = space.block(0, len(space))
    assert list(set_keys(smiles, members, ratios)) == [str(s) for s in reference]
    ids = np.array([0, 59, 60, 1829, 1830, 36_049, 20_000, 20_000])
    rows = space.rows(ids)
    assert [str(s) for s in space.ligand_sets(*rows)] == [str(reference[i]) for i in ids]
    part = space.block(1000, 1100)
    np.testing.assert_array_equal(part[0], members[1000:1100])


def test_rules_and_ratios_filter_and_expand_sets(ligands):
    smiles, families = [lig.smiles for lig in ligands], [lig.family for lig in ligands]
    rule = SetRule(1, 3, ratios=("2:1",), combine=(("thiolate", "phosphine", "halide"),), require=("thiolate",), max_per_family=2)
    space = SetSpace(smiles, families, rule)
    sets = space.materialise()
    fam = {s: f for s, f in zip(smiles, families)}
    assert len(sets) == len(space) > 0
    for ls in sets:
        kinds = [fam[s] for s in ls.smiles]
        assert "thiolate" in kinds and set(kinds) <= {"thiolate", "phosphine", "halide"}
        assert max(kinds.count(f) for f in kinds) <= 2
        assert (ls.ratios in ((2.0, 1.0), (1.0, 2.0))) if len(ls) == 2 else ls.ratios is None
    pair = [ls for ls in sets if len(ls) == 2][0]
    assert str(pair).endswith(" 2:1")  # the first assignment, then its mirror
    m, r = space.block(0, len(space))
    assert list(set_keys(smiles, m, r)) == [str(s) for s in sets]
    names = {s: lig.name for s, lig in zip(smiles, ligands)}
    assert list(set_names([lig.name for lig in ligands], m)) == [".".join(names[s] for s in ls.smiles) for ls in sets]
    assert list(set_families(families, m)) == ["+".join(sorted({fam[s] for s in ls.smiles})) for ls in sets]
    assert list(set_names(families, m)) == [".".join(fam[s] for s in ls.smiles) for ls in sets]  # the hit column


def _model(pooling: str, seed: int = 0) -> CoLiMModel:
    torch.manual_seed(seed)
    model = CoLiMModel(create_core_encoder("cgcnn", embedding_dim=16, num_layers=1),
                       create_ligand_encoder("fingerprint", embedding_dim=16, pooling=pooling), hidden_dims=(32,))
    with torch.no_grad():
        model.head.norm.running_mean.normal_(0.0, 0.5)
        model.head.norm.running_var.uniform_(0.3, 3.0)
    return model.eval()


@pytest.mark.parametrize("pooling", ["mean", "attention"])
def test_on_the_fly_sets_score_as_the_materialised_library(pooling, ligands, screen_setup, tmp_path):
    model = _model(pooling)
    assert linear_pooling(model.ligand_encoder) == (pooling if pooling == "mean" else None)
    chosen = ligands[:9] + ligands[23:26] + ligands[41:43]  # thiolates, phosphines, halides
    rule = SetRule(1, 3, ratios=("2:1",))
    combo, mat = tmp_path / "combo.h5", tmp_path / "mat.h5"
    build_combinatorial_library(combo, chosen, [model.ligand_encoder], rule)
    build_combinatorial_library(mat, chosen, [model.ligand_encoder], rule, materialise=True)
    with h5py.File(combo, "r") as f:
        assert keys.SETS not in f and all(list(g) == [keys.LIGAND_EMBEDDINGS] for g in f[keys.LIB_EMBEDDINGS].values())
    from colim.libraries.core_library import write_core_library
    from colim.libraries.encoder_info import encoder_info

    core_lib = tmp_path / "cores.h5"
    write_core_library(core_lib, screen_setup["cores"], embeddings=model.core_encoder.encode(screen_setup["cores"]),
                       encoder_info=encoder_info(model.core_encoder))
    views = [build_members([ModelMember("m", model, {})], open_core_library(core_lib), open_ligand_library(p))[0] for p in (combo, mat)]
    assert len(views[0].sets) == len(views[1].sets) == len(SetSpace([l.smiles for l in chosen], [l.family for l in chosen], rule))
    n = len(views[0].sets)
    on_the_fly = views[0].sets.projections(views[0].head, 0, n)
    stored = views[1].sets.projections(views[1].head, 0, n)
    assert stored.abs().max() > 0.1
    torch.testing.assert_close(on_the_fly, stored, atol=1e-5, rtol=0)
    opts = ScreenOptions(top_k=5, set_block=97)
    a = screen(core_lib, combo, [ModelMember("m", model, {})], tmp_path / "a.csv", opts)
    b = screen(core_lib, mat, [ModelMember("m", model, {})], tmp_path / "b.csv", opts)
    assert a.summary["combinatorial_sets"] and not b.summary["combinatorial_sets"]
    pd.testing.assert_frame_equal(a.hits.drop(columns=["probability", "spread"]), b.hits.drop(columns=["probability", "spread"]))
    np.testing.assert_allclose(a.hits["probability"], b.hits["probability"], atol=1e-5)
    assert a.hits["ligand_set"].str.contains(" 2:1| 1:2").any()


def test_task_grid_and_merge_give_the_brute_force_top_k(screen_setup):
    model = screen_setup["models"][0]
    members = build_members([ModelMember("m", model, {})], open_core_library(screen_setup["core_lib"]), open_ligand_library(screen_setup["ligand_lib"]))
    whole = ScreenEngine(members, top_k=6, device="cpu", set_block=10**6)
    expect = np.concatenate([b.top_index for b in whole.run()])
    for set_block, core_block in ((7, 1), (13, 2), (44, 5)):
        engine = ScreenEngine(members, top_k=6, device="cpu", set_block=set_block, core_block=core_block)
        assert len(engine.set_blocks()) > 1
        parts = [engine.score_task(*t) for t in engine.tasks()]
        merged = [engine.merge([p for p in parts if p.start == a]) for a, _ in engine.blocks()]
        np.testing.assert_array_equal(np.concatenate([m.top_index for m in merged]), expect)
        shuffled = engine.merge(list(reversed([p for p in parts if p.start == 0])))
        np.testing.assert_array_equal(shuffled.top_index, merged[0].top_index)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".h5"])
def test_streamed_hits_equal_the_table_written_at_once(suffix, tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    table = pd.DataFrame({"core_id": np.array([f"c{i // 10}" for i in range(n)], dtype=object), "rank": np.tile(np.arange(1, 11), n // 10),
                          "ligand_set": np.array([f"[S]C.{i}" for i in range(n)], dtype=object), "probability": rng.random(n), "stable": rng.random(n) > 0.5})
    with open_hit_writer(tmp_path / f"streamed{suffix}") as writer:
        for start in range(0, n, 700):
            writer.write(table.iloc[start : start + 700])
        writer.summary = {"rows": n}
    back = read_hits(tmp_path / f"streamed{suffix}")
    pd.testing.assert_frame_equal(back[table.columns].reset_index(drop=True), table, check_dtype=False, check_exact=False, rtol=1e-5, atol=1e-6)


def test_rules_file_reads_as_the_rule_and_bad_rules_are_one_line_errors(tmp_path):
    from colim.errors import LibraryError
    from colim.libraries.ligand_sets import read_rules

    path = tmp_path / "rules.toml"
    path.write_text('kinds = "1-3"\nratios = ["2:1"]\ncombine = [["thiolate", "phosphine", "halide"]]\nrequire = ["thiolate"]\nmax_per_family = 2\n')
    assert read_rules(path) == SetRule(1, 3, ("2:1",), (("thiolate", "phosphine", "halide"),), ("thiolate",), 2)
    assert read_rules(path, kinds="2", ratios=("1:1",)) == SetRule(2, 2, ("1:1",), (("thiolate", "phosphine", "halide"),), ("thiolate",), 2)
    path.write_text('require = ["thiolates"]\n')
    with pytest.raises(LibraryError, match="^unknown ligand family 'thiolates' in the set rules; choose from thiolate, "):
        read_rules(path)
    path.write_text('kinds = "1-5"\n')
    with pytest.raises(LibraryError, match=r"^ligand kinds must satisfy 1 <= min <= max <= 4, got 1-5$"):
        read_rules(path)
    path.write_text('ratio = ["2:1"]\n')
    with pytest.raises(LibraryError, match="unknown set rule key"):
        read_rules(path)
