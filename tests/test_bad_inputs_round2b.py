"""The bad-input catalogue, round 2 (issue 20, integrity and new-user cases): interrupts, readers against
overwriting writers, tampered ligand libraries, outputs that are not regular files, report escaping, and
what a new user tripped on. Each case drives the real CLI or API on real inputs (docs/errors.md)."""

from __future__ import annotations

import os
import stat
import warnings

import numpy as np
import pandas as pd
import pytest
from ase.cluster import Icosahedron

import colim
import colim.api as colim_api
from colim.io.edited_cores import write_cores
from tests.test_bad_inputs import AU25, DFT, LIBRARIES, SEED0, assert_refused, invoke, libs, screen_args, snapshot  # noqa: F401


# --- outputs are regular files ----------------------------------------------------------------------

def test_output_that_is_a_fifo_or_a_device_is_refused(tmp_path):
    smi = tmp_path / "two.smi"
    smi.write_text("[S]C SCH3\n[S]CC SEt\n")
    fifo = tmp_path / "pipe.h5"
    os.mkfifo(fifo)
    message = "is not a regular file (a device, fifo or socket); colim writes its outputs to regular files: choose another output"
    assert_refused(tmp_path, f"{fifo} {message}", "library", "ligands", smi, "--model", SEED0, "-o", fifo, "--overwrite")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    if os.geteuid() == 0:  # a /dev/null-like character device (1, 3), made in tmp: only root may mknod
        null = tmp_path / "null.h5"
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        assert_refused(tmp_path, f"{null} {message}", "library", "ligands", smi, "--model", SEED0, "-o", null, "--overwrite")
        assert stat.S_ISCHR(os.stat(null).st_mode)
    with pytest.raises(colim.ColimError, match="is not a regular file"):
        colim.build_ligand_library(smi, fifo, model=SEED0, overwrite=True)


# --- names carry the ratio ------------------------------------------------------------------------

def test_ligand_names_carry_the_ratio(tmp_path):
    smi = tmp_path / "two.smi"
    smi.write_text("[S]C SCH3\nCC(C)(C)P(C(C)(C)C)C(C)(C)C PtBu3\n")
    lib = tmp_path / "lig.h5"
    made = invoke("library", "ligands", smi, "--model", SEED0, "--kinds", "2", "--ratios", "1:1", "--ratios", "2:1", "-o", lib)
    assert made.exit_code == 0, made.output
    cores = tmp_path / "cores.h5"
    assert invoke("library", "cores", AU25, "--model", SEED0, "-o", cores, "--silent").exit_code == 0
    hits = colim.screen(cores, lib, SEED0, top_k=3).hits
    assert len(hits) == 3 and hits["ligand_names"].is_unique, hits["ligand_names"].tolist()
    named = dict(zip(hits["ligand_set"], hits["ligand_names"]))
    for key, name in named.items():
        ratio = key.split(" ")[1].split(":")
        parts = [float(r) for r in ratio]
        expected = ":".join(f"{p / min(parts):.3g}" for p in parts)
        assert name.endswith(" " + expected), (key, name)
    assert {n.split(" ")[1] for n in named.values()} == {"1:1", "2:1", "1:2"}


# --- the API's domain warnings reach a notebook ----------------------------------------------------

def test_api_emits_domain_warnings_as_colim_warnings(tmp_path, libs):
    pd13 = Icosahedron("Pd", 2)
    pd13.info["id"] = "Pd13"
    edits = tmp_path / "pd13.h5"
    write_cores(edits, [pd13])
    cores = tmp_path / "pd13_cores.h5"
    colim.build_core_library(edits, cores, model=SEED0)
    with pytest.warns(colim.ColimWarning) as caught:
        result = colim.screen(cores, libs["ligands"], SEED0, top_k=2)
    lines = result.summary["warnings"]
    assert lines and [str(w.message) for w in caught if w.category is colim.ColimWarning] == lines
    assert all(f"warning: {line}" in repr(result) for line in lines)
    with pytest.warns(colim.ColimWarning, match="farther from every training core"):
        colim.explain(pd13, "[S]C", model=SEED0, steps=4)
    with warnings.catch_warnings():  # the CLI prints them as Warning: lines, never as Python warnings
        warnings.simplefilter("error", colim.ColimWarning)
        done = invoke("screen", "--core-lib", cores, "--ligand-lib", libs["ligands"], "--model", SEED0, "-o", tmp_path / "h.csv", "--top-k", "2", "--silent")
    assert done.exit_code == 0, done.output
    assert f"Warning: {lines[0]}" in done.output
