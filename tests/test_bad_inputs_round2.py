"""The bad-input catalogue, round 2 (issue 20, validation and CLI failure cases): one validation for the CLI and
the API, scheduler addresses, worker and memory caps, set rules and ratios, combinatorial sizes, leftovers at
side paths, library shapes checked on open, reports of edited hit tables, and ``colim inspect`` on colim's own
files. Each case runs the real command (or API call) on real inputs, checks the exact one-line error and that
nothing was written or lost (docs/errors.md)."""

from __future__ import annotations

import errno
import json
import math
import shutil
import signal

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
from ase.cluster import Icosahedron

import colim.api as colim_api
import colim.io.hit_tables as hit_tables
import colim.screening.distributed as distributed_module
import colim.screening.state as state_module
from colim import keys
from colim.errors import ColimError, LibraryError
from colim.libraries import ligand_library as ll
from colim.libraries.ligand_sets import SetRule, SetSpace
from colim.libraries.rows import H5Rows
from colim.model.checkpoint import load_checkpoint
from colim.screening.state import state_dir
from colim.validation import MAX_MEMORY_MB, OptionError, machine_cores
from tests.test_bad_inputs import AU25, SEED0, assert_refused, invoke, libs, screen_args, snapshot  # noqa: F401


@pytest.fixture(scope="module")
def hits(libs, tmp_path_factory):
    """One small screen's hit table (CSV + summary) to edit."""
    out = tmp_path_factory.mktemp("hits") / "hits.csv"
    made = invoke(*screen_args(libs, out))
    assert made.exit_code == 0, made.output
    return out


# --- one validation for the API and the CLI ---------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"top_k": -1}, "top_k must be a whole number ≥ 1, got -1"),
    ({"top_k": 0}, "top_k must be a whole number ≥ 1, got 0"),
    ({"top_k": 2.7}, "top_k must be a whole number ≥ 1, got 2.7"),
    ({"top_k": None}, "top_k must be a whole number ≥ 1, got None"),
    ({"workers": 0}, "workers must be a whole number ≥ 1, got 0"),
    ({"workers": "2"}, "workers must be a whole number ≥ 1, got '2'"),
    ({"core_block": -3}, "core_block must be a whole number ≥ 1, got -3"),
    ({"memory_mb": -5}, "memory_mb must be a finite number > 0, got -5"),
    ({"memory_mb": math.nan}, "memory_mb must be a finite number > 0, got nan"),
    ({"memory_mb": 1e303}, "memory_mb must be at most 16,777,216, got 1e+303"),
    ({"restart": "no"}, "restart must be True or False, got 'no'"),
    ({"device": "tpu"}, "device must be one of auto, cpu, cuda, got 'tpu'"),
    ({"scheduler": ""}, "scheduler must be a Dask scheduler address such as tcp://HOST:8786, got ''"),
    ({"core_library": pd.DataFrame()}, "core_library must be a file path, got a DataFrame"),
    ({"core_library": 123}, "core_library must be a file path, got 123"),
    ({"model": 123}, "model must be a checkpoint (.pt), an ensemble directory or manifest, a list of those, the members load_model returns, "
                     "or None for the shipped model; got 123"),
])
def test_api_refuses_what_the_cli_refuses(tmp_path, options, message):
    before = snapshot(tmp_path)
    with pytest.raises(ColimError) as err:
        colim_api.screen(output=tmp_path / "hits.csv", **options)
    assert str(err.value) == message
    assert snapshot(tmp_path) == before


def test_api_wrong_types_are_one_line_errors(tmp_path):
    cases = [
        (lambda: colim_api.read_hits(tmp_path / "missing.csv"), f"{tmp_path / 'missing.csv'}: no such hit table"),
        (lambda: colim_api.explain(AU25, 123), "ligands must be text such as '[S]C.[S]CC 12:6', got 123"),
        (lambda: colim_api.read_cores(123), "a core source must be a structure file, a core library or dataset (.h5) path, or ase.Atoms; got 123"),
        (lambda: colim_api.load_model(123), "model must be a checkpoint (.pt), an ensemble directory or manifest, a list of those, "
                                            "the members load_model returns, or None for the shipped model; got 123"),
    ]
    for call, message in cases:
        with pytest.raises(ColimError) as err:
            call()
        assert str(err.value) == message


@pytest.mark.parametrize("args, message", [
    (["--top-k", "2.7"], "--top-k must be a whole number ≥ 1, got 2.7"),
    (["--memory-mb", "1e303"], f"--memory-mb must be at most {MAX_MEMORY_MB:,.0f}, got 1e+303"),
    (["--workers", "1000"], f"--workers must be at most this machine's {machine_cores()} CPU cores (one worker process per core), got 1000"),
    (["--scheduler", ""], "--scheduler must be a Dask scheduler address such as tcp://HOST:8786, got ''"),
    (["--scheduler", "garbage"], "--scheduler must be a Dask scheduler address such as tcp://HOST:8786 (host and port 1-65535; IPv6 hosts in brackets, [::1]:8786), got 'garbage'"),
    (["--scheduler", "tcp://"], "--scheduler must be a Dask scheduler address such as tcp://HOST:8786 (host and port 1-65535; IPv6 hosts in brackets, [::1]:8786), got 'tcp://'"),
    (["--scheduler", "tcp://[::1:8786"], "--scheduler must be a Dask scheduler address such as tcp://HOST:8786 (host and port 1-65535; IPv6 hosts in brackets, [::1]:8786), got 'tcp://[::1:8786'"),
    (["--scheduler", "http://host:8786"], "--scheduler must be a Dask scheduler address such as tcp://HOST:8786: scheme 'http://' is not supported (use tcp:// or tls://), got 'http://host:8786'"),
    (["--scheduler", "ucx://127.0.0.1:8786"], "--scheduler must be a Dask scheduler address such as tcp://HOST:8786: scheme 'ucx://' is not supported (use tcp:// or tls://), got 'ucx://127.0.0.1:8786'"),
])
def test_screen_option_values_refused_in_one_line(libs, tmp_path, args, message):
    assert_refused(tmp_path, message, *screen_args(libs, tmp_path / "hits.csv", *args))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_device_cuda_without_cuda(libs, tmp_path):
    assert_refused(tmp_path, "--device cuda: no CUDA GPU is available on this machine (or torch was built without CUDA); use cpu or auto",
                   *screen_args(libs, tmp_path / "hits.csv", "--device", "cuda"))


def test_unreachable_scheduler_fails_within_the_stated_timeout_and_leaves_no_state(libs, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(distributed_module, "SCHEDULER_TIMEOUT_S", 1)
    before = snapshot(tmp_path)
    result = invoke(*screen_args(libs, tmp_path / "hits.csv", "--scheduler", "tcp://127.0.0.1:1"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: --scheduler tcp://127.0.0.1:1: no Dask scheduler answered there within 1 s (")
    assert len(result.output.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before  # no hits.csv.state left behind


def test_library_paths_leave_the_client_absolute(libs, monkeypatch):
    monkeypatch.chdir(libs["cores"].parent)
    assert H5Rows(libs["cores"].name, f"{keys.CORES}/{keys.CORE_IDS}").path == str(libs["cores"])


def test_ctrl_c_before_the_screen_starts_is_one_line(libs, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(colim_api, "screen", interrupted)
    assert_refused(tmp_path, "interrupted (Ctrl-C) before the command finished; no output was half-written", *screen_args(libs, tmp_path / "hits.csv"))


# --- ligand files, ratios and set rules ---------------------------------------------------------------

def test_unknown_family_in_a_ligand_csv(tmp_path):
    csv = tmp_path / "lig.csv"
    csv.write_text("smiles,name,family\n[S]C,SCH3,thiolate\n[S]CC,SEt,thiol\n")
    assert_refused(tmp_path, f"{csv}:3: unknown ligand family 'thiol'; use one of thiolate, selenolate, tellurolate, phosphine, diphosphine, alkynyl, "
                             "carboxylate, halide, hydride, amine, dithiophosphate, dithiocarbamate, other, or leave the cell empty for colim to perceive it",
                   "library", "ligands", csv, "--model", SEED0, "-o", tmp_path / "lig.h5")


def test_organometallic_smiles_named_as_a_metal(tmp_path):
    smi = tmp_path / "hg.smi"
    smi.write_text("C[Hg]C dimethylmercury\n")
    assert_refused(tmp_path, f"{smi}:1: 'C[Hg]C' contains a metal (Hg) that joins 2 fragments ('[CH3].[CH3]'); an organometallic compound is not a "
                             "ligand: give each ligand without the metal, with a radical at its anchor",
                   "library", "ligands", smi, "--model", SEED0, "-o", tmp_path / "lig.h5")


@pytest.mark.parametrize("ratio", ["inf:1", "1e400:1"])
def test_infinite_ratio_refused_at_the_door(libs, tmp_path, ratio):
    assert_refused(tmp_path, f"ligand ratios must be finite numbers, got '{ratio}'",
                   "library", "ligands", libs["smi"], "--kinds", "2", "--ratios", ratio, "--model", SEED0, "-o", tmp_path / "lig.h5")


@pytest.mark.parametrize("name, text, message", [
    ("r.toml", 'max_per_family = "two"\n', "'max_per_family' must be a whole number ≥ 0, got 'two'"),
    ("r.toml", "max_per_family = 1.7\n", "'max_per_family' must be a whole number ≥ 0, got 1.7"),
    ("r.json", "[]", "set rules must be an object of kinds, ratios, combine, require, max_per_family; got a list"),
    ("r.json", "null", "set rules must be an object of kinds, ratios, combine, require, max_per_family; got null"),
    ("r.toml", 'ratios = "2:1"\n', "'ratios' must be a list of text such as [\"2:1\", \"1:1\"], got the text '2:1'"),
    ("r.toml", 'require = "thiolate"\n', "'require' must be a list of text such as [\"thiolate\"], got the text 'thiolate'"),
    ("r.toml", 'ratios = ["inf:1"]\n', "ligand ratios must be finite numbers, got 'inf:1'"),
])
def test_set_rules_files_checked_for_type(libs, tmp_path, name, text, message):
    rules = tmp_path / name
    rules.write_text(text)
    assert_refused(tmp_path, f"{rules}: {message}", "library", "ligands", libs["smi"], "--rules", rules, "--model", SEED0, "-o", tmp_path / "lig.h5")


def test_equal_ratios_are_one_stoichiometry():
    smiles, families = ["[S]C", "[S]CC", "[S]CCC"], ["thiolate"] * 3
    once = SetSpace(smiles, families, SetRule(2, 2, ("2:1",)))
    twice = SetSpace(smiles, families, SetRule(2, 2, ("2:1", "4:2")))
    assert len(twice) == len(once) == 6 and twice.rule.ratios == ("2:1",)
    assert [str(s) for s in twice.materialise()] == [str(s) for s in once.materialise()]


# --- combinatorial size counted first -----------------------------------------------------------------

def test_combinatorial_size_counted_before_listing():
    with pytest.raises(LibraryError) as err:
        SetSpace([f"C{i}" for i in range(5000)], ["thiolate"] * 5000, SetRule(4, 4))
    assert str(err.value) == ("5,000 ligands in sets of 4 kinds make 26,010,428,123,750 ligand combinations (the sum of C(5000, k)), more than the "
                              "10,000,000,000 one library can enumerate; use fewer ligands or fewer kinds, or split the ligands into several libraries")


def test_materialise_refused_with_the_count(tmp_path):
    subs = ["", "O", "N", "F", "Cl", "Br", "C#N", "OC", "C(C)C", "c1ccccc1"]
    smi = tmp_path / "many.smi"
    smi.write_text("".join(f"[S]{'C' * n}{x}\n" for n in range(1, 21) for x in subs))
    assert_refused(tmp_path, "--materialise would store 66,018,450 ligand sets one row each, more than 2,000,000; drop --materialise: "
                             "the library then keeps the rule and screens generate the sets on the fly",
                   "library", "ligands", smi, "--kinds", "1-4", "--materialise", "--model", SEED0, "-o", tmp_path / "lig.h5")


# --- leftovers at the output's side paths ---------------------------------------------------------------

@pytest.mark.parametrize("side, kind, message", [
    (".hits.csv.lock", "dir", "{p}: a folder sits where colim keeps the lock of hits.csv (a file); move it away and run the command again (colim deletes nothing it did not write)"),
    ("hits.csv.state", "file", "{p}: a file sits where colim keeps the resume state of hits.csv (a folder); move it away and run the command again (colim deletes nothing it did not write)"),
    ("hits.csv.state/run.json", "dir", "{p}: a folder sits where colim keeps the description of a resumable screen of hits.csv (a file); move it away and run the command again (colim deletes nothing it did not write)"),
])
def test_leftovers_at_side_paths_named_and_kept(libs, tmp_path, side, kind, message):
    path = tmp_path / side
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir() if kind == "dir" else path.write_text("mine\n")
    assert_refused(tmp_path, message.format(p=path), *screen_args(libs, tmp_path / "hits.csv"))


# --- full disks: messages that are true -------------------------------------------------------------------

def test_full_disk_while_saving_tasks_names_the_folder_and_resumes(libs, tmp_path, monkeypatch):
    out = tmp_path / "hits.csv"
    real, calls = np.savez, []

    def savez(path, **arrays):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, **arrays)

    monkeypatch.setattr(state_module.np, "savez", savez)
    result = invoke(*screen_args(libs, out, "--core-block", "1"))
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: {state_dir(out)}: cannot save a finished task (No space left on device); the 1 tasks saved so far are kept "
                                     "there: make room and run the same command again to resume")
    monkeypatch.setattr(state_module.np, "savez", real)
    again = invoke(*screen_args(libs, out, "--core-block", "1"))
    assert again.exit_code == 0, again.output
    fresh = colim_api.screen(libs["cores"], libs["ligands"], SEED0, top_k=3).hits
    assert list(pd.read_csv(out)["ligand_set"]) == list(fresh["ligand_set"])


def test_full_disk_while_writing_the_summary_leaves_no_hits_and_rerun_finishes(libs, tmp_path, monkeypatch):
    out = tmp_path / "hits.csv"

    def full(value):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    monkeypatch.setattr(hit_tables, "json_safe", full)
    result = invoke(*screen_args(libs, out))
    assert result.exit_code == 1 and "run the same command again" in result.output
    assert not out.exists() and state_dir(out).is_dir()
    monkeypatch.undo()
    again = invoke(*screen_args(libs, out))
    assert again.exit_code == 0, again.output
    assert out.is_file() and not state_dir(out).exists()


# --- libraries checked against their own shapes -----------------------------------------------------------

def _edited_copy(src, dst, edit):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def test_core_library_with_short_or_text_provenance(libs, tmp_path):
    def short_parent(f):
        g = f[keys.CORES]
        values = g[keys.CORE_PARENT][:-1]
        del g[keys.CORE_PARENT]
        g.create_dataset(keys.CORE_PARENT, data=values)

    def text_depth(f):
        g = f[keys.CORES]
        del g[keys.CORE_DEPTH]
        g.create_dataset(keys.CORE_DEPTH, data=np.array([b"a", b"b", b"c"]))

    short = _edited_copy(libs["cores"], tmp_path / "short.h5", short_parent)
    text = _edited_copy(libs["cores"], tmp_path / "text.h5", text_depth)
    out = tmp_path / "hits.csv"
    assert_refused(tmp_path, f"{short}: corrupt core library: 'parent' holds 2 rows for 3 cores; rebuild it",
                   "screen", "--core-lib", short, "--ligand-lib", libs["ligands"], "--model", SEED0, "-o", out, "--silent")
    assert_refused(tmp_path, f"{text}: corrupt core library: 'depth' holds |S1 values, not whole numbers; rebuild it",
                   "screen", "--core-lib", text, "--ligand-lib", libs["ligands"], "--model", SEED0, "-o", out, "--silent")


def test_combinatorial_library_with_altered_chunk_counts_or_rule(libs, tmp_path):
    comb = tmp_path / "comb.h5"
    made = invoke("library", "ligands", libs["smi"], "--kinds", "1-2", "--model", SEED0, "-o", comb)
    assert made.exit_code == 0, made.output

    def fewer(f):
        f[ll.SET_RULE][ll.CHUNK_COUNTS][0] -= 1

    def rule(f):
        f[ll.SET_RULE].attrs[ll.RULE_ATTR] = "{not json"

    altered = _edited_copy(comb, tmp_path / "altered.h5", fewer)
    tampered = _edited_copy(comb, tmp_path / "tampered.h5", rule)
    out = tmp_path / "hits.csv"
    assert_refused(tmp_path, f"{altered}: corrupt ligand library: the set-rule chunk counts do not match its ligands and rule",
                   "screen", "--core-lib", libs["cores"], "--ligand-lib", altered, "--model", SEED0, "-o", out, "--silent")
    result = invoke("screen", "--core-lib", libs["cores"], "--ligand-lib", tampered, "--model", SEED0, "-o", out, "--silent")
    assert result.exit_code == 1 and result.output.startswith(f"Error: {tampered}: corrupt ligand library: its set rule cannot be read (")


# --- reports of edited hit tables ---------------------------------------------------------------------------

@pytest.mark.parametrize("summary, message", [
    ([], "not a screen summary: it holds a list where an object belongs"),
    (None, "not a screen summary: it holds null where an object belongs"),
    ({"warnings": 3}, "summary key 'warnings' holds a whole number where a list belongs"),
])
def test_report_on_a_summary_of_the_wrong_shape(libs, hits, tmp_path, summary, message):
    table = tmp_path / "hits.csv"
    shutil.copy(hits, table)
    beside = hit_tables.summary_path(table)
    beside.write_text(json.dumps(summary))
    assert_refused(tmp_path, f"{beside}: {message}; delete or restore hits.csv.summary.json (a report can be drawn from the hit table alone)",
                   "report", table, "-o", tmp_path / "r.html", "--core-lib", libs["cores"])


def test_report_on_text_in_the_probability_column_and_bad_smiles(libs, hits, tmp_path):
    table = tmp_path / "hits.csv"
    frame = pd.read_csv(hits, dtype=str, keep_default_na=False)
    frame.loc[2, "probability"] = "abc"
    frame.to_csv(table, index=False)
    assert_refused(tmp_path, f"{table}: column 'probability' holds 'abc' on hit row 3, not a number (the table was edited after 'colim screen'; screen again)",
                   "report", table, "-o", tmp_path / "r.html", "--core-lib", libs["cores"])
    frame = pd.read_csv(hits, dtype=str, keep_default_na=False)
    frame.loc[0, "ligand_set"] = "C1CC("
    frame.to_csv(table, index=False)
    assert_refused(tmp_path, f"{table}: column 'ligand_set': invalid SMILES 'C1CC('",
                   "report", table, "-o", tmp_path / "r.html", "--core-lib", libs["cores"])


# --- inspect reads what colim writes; translation does not matter --------------------------------------------

def test_inspect_reads_colims_own_files(libs, hits):
    result = invoke("inspect", libs["cores"], libs["ligands"], hits)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"{libs['cores']}: core library of 3 cores, embedded by 1 model(s) (cgcnn")
    assert lines[1].startswith(f"{libs['ligands']}: ligand library of 4 ligands (") and "10 ligand sets (one row each)" in lines[1]
    assert lines[2] == f"{hits}: hit table of 9 hits for 3 cores (top 3 of 10 ligand sets per core, 1 model(s))"


def test_a_core_far_from_the_origin_embeds_as_at_the_origin():
    model, _ = load_checkpoint(SEED0)
    model.eval()
    near = Icosahedron("Au", 2)
    far = near.copy()
    far.positions += 1e8
    with torch.no_grad():
        assert torch.equal(model.core_encoder.encode([near]), model.core_encoder.encode([far]))


def test_local_workers_ignore_ctrl_c_so_only_the_client_answers():
    distributed = pytest.importorskip("distributed")
    cluster, _ = distributed_module.local_cluster(1)
    try:
        with distributed.Client(cluster) as client:
            handlers = client.run(lambda: signal.getsignal(signal.SIGINT))
    finally:
        cluster.close()
    assert list(handlers.values()) == [signal.SIG_IGN]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the client's own Ctrl-C handler is back
