"""The unimol-tools adapter: lazy, thread-safe import that leaves the user's working directory alone,
and strict loading of weights files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from fractions import Fraction

import pytest
import torch

from colim.errors import WeightsError
from colim.ext import unimol as ext

SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    import colim.cli
    from colim.plugins.manager import all_plugins, create_ligand_encoder
    names = [p.name for p in all_plugins()]
    assert "unimol" in names, names
    assert "unimol_tools" not in sys.modules, "listing plugins imported unimol_tools"
    start = os.getcwd()
    from colim.ext import unimol as ext
    errors = []
    def worker():
        try:
            ext.unimol_modules()
        except BaseException as exc:
            errors.append(exc)
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert "unimol_tools" in sys.modules
    print("CWD", os.getcwd() == start)
    """
)


def test_importing_unimol_tools_leaves_no_logs_in_the_working_directory(tmp_path):
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    env = dict(os.environ, COLIM_CACHE_DIR=str(cache))
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CWD True" in result.stdout
    assert list(work.iterdir()) == []
    assert (cache / "unimol" / "logs").is_dir()


def test_a_file_without_the_uni_mol_backbone_is_refused(tmp_path):
    path = tmp_path / "not_unimol.pt"
    torch.save({"model": {"embed_tokens.weight": torch.zeros(31, 512)}}, path)
    with pytest.raises(WeightsError) as info:
        ext.build_model(path, None)
    assert str(info.value) == f"{path} is not a Uni-Mol v1 molecule model: 192 tensors missing (e.g. encoder.emb_layer_norm.bias)"


def test_a_checkpoint_pickling_arbitrary_objects_is_refused(tmp_path):
    path = tmp_path / "pickled.pt"
    torch.save({"model": {}, "extra": Fraction(1, 2)}, path)
    with pytest.raises(WeightsError) as info:
        ext.build_model(path, None)
    assert str(info.value) == f"cannot load {path} safely: it pickles objects other than tensors; save its 'model' state_dict alone with torch.save"


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"not a torch file")
    with pytest.raises(WeightsError) as info:
        ext.build_model(path, None)
    assert str(info.value) == f"cannot read Uni-Mol weights {path}: not a torch checkpoint, or corrupt"


def test_features_are_deterministic_and_keep_hydrogens():
    model = ext.build_model(None, None)
    first = ext.featurize("[S]CCc1ccccc1", model.dictionary, seed=42)
    again = ext.featurize("[S]CCc1ccccc1", model.dictionary, seed=42)
    # PET thiolate: 8 C + 1 S + 9 H, between the CLS and SEP tokens.
    assert len(first["src_tokens"]) == 18 + 2
    assert (first["src_coord"] == again["src_coord"]).all()
    assert first["src_tokens"][0] == model.dictionary.bos() and first["src_tokens"][-1] == model.dictionary.eos()
