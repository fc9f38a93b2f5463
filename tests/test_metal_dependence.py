"""The shipped default lets the core change the answer: Cu55 and Au55 icosahedra (ASE) rank the shipped ligand
sets differently (issue 18's must-show), which the pair model learned from MetaLig's Cu, Ag and Au complexes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from scipy.stats import spearmanr

from colim.defaults import DEFAULT_MODEL, shipped
from colim.model.checkpoint import load_checkpoint

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "metal_dependence.py"


def _benchmark():
    spec = importlib.util.spec_from_file_location("metal_dependence", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cu55_and_au55_rank_the_shipped_sets_differently(tmp_path):
    probs, keys = _benchmark().scores(None, tmp_path)
    assert len(keys) == 2926
    assert spearmanr(probs["Cu"], probs["Au"])[0] < 0.9


def test_the_shipped_members_start_from_the_metalig_pair_model():
    seed0 = next(iter(sorted(shipped(DEFAULT_MODEL).glob("seed-*.pt"))))
    model, info = load_checkpoint(seed0)
    start = info["metadata"]["init_model"]
    assert Path(start["path"]).name == "pair_metalig.pt"
    assert {"Cu", "Ag", "Au"} <= set(start["metadata"]["elements"])
    assert model.core_encoder.init_args()["oxidation_state"] and model.core_encoder.init_args()["composition"]
