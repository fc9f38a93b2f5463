"""`colim report` on a real screen: the shipped Au25 core's single-atom edits (remove, substitute:Ag, add:Cu)
screened by the shipped model against the shipped ligand library, top 3 per core."""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ase.io import read as ase_read
from click.testing import CliRunner

from colim.cli import cli
from colim.defaults import DEFAULT_DEMO_CORE, DEFAULT_LIGAND_LIBRARY, shipped
from colim.api import run_demo
from colim.editing.enumerate import enumerate_edits
from colim.editing.spec import parse_operators
from colim.io.edited_cores import load_core
from colim.io.hit_tables import read_hits, summary_path, write_hits
from colim.libraries.core_library import build_core_library, read_core_library
from colim.model.members import ModelMember, load_model
from colim.report import render as render_module
from colim.report.data import heatmap_matrix_from_hits, screen_warnings
from colim.report.render import THREEDMOL, package_text
from colim.report.sites import parse_site
from colim.screening.core_effect import core_effect_line
from colim.screening.domain import UNKNOWN_WARNING
from colim.screening.screen import ScreenOptions, screen

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def screened(tmp_path_factory) -> Path:
    """A folder with cores.h5 (parent + unique edits, embedded), hits.csv (+ summary) and hits.h5."""
    folder = tmp_path_factory.mktemp("screen")
    parent = load_core(shipped(DEFAULT_DEMO_CORE), core_only=True)
    edits = enumerate_edits(parent, parse_operators("remove,substitute:Ag,add:Cu"), depth=1, tol=0.2, progress=False)
    loaded = load_model()
    build_core_library(folder / "cores.h5", [parent] + edits.cores, [m.model.core_encoder for m in loaded])
    named = [ModelMember(f"member{i}", m.model, m.info) for i, m in enumerate(loaded)]
    result = screen(folder / "cores.h5", shipped(DEFAULT_LIGAND_LIBRARY), named, folder / "hits.csv", ScreenOptions(top_k=3))
    write_hits(result.hits, folder / "hits.h5", result.summary)
    return folder


@pytest.fixture(scope="module")
def report(screened, tmp_path_factory) -> tuple[str, pd.DataFrame, Path]:
    """The report of hits.csv made by the command line, its hits and the screen folder."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(cli, ["report", str(screened / "hits.csv"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    hits = read_hits(screened / "hits.csv")
    assert result.output == f"wrote {out}: {len(hits)} hits, {hits['core_id'].nunique()} cores, {hits['ligand_set'].nunique()} ligand sets\n"
    return out.read_text(encoding="utf-8"), hits, screened


def page_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="colim-report-data">(.*?)</script>', page, re.S).group(1))


def table_rows(page: str) -> list[str]:
    body = re.search(r'<table class="hits">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)


def test_report_holds_one_table_row_per_hit_in_file_order(report):
    page, hits, _ = report
    rows = table_rows(page)
    assert len(rows) == len(hits) == 13 * 3
    for row, hit in zip(rows, hits.itertuples()):
        assert f">{hit.core_id}</a>" in row
        assert hit.ligand_names.replace(".", " + ") in row
        assert float(re.search(r'<td class="num" data-v="([^"]+)"><span class="pbar">', row).group(1)) == pytest.approx(hit.probability)


def test_report_draws_every_ligand_set_as_inline_svg(report):
    page, hits, _ = report
    sets = re.findall(r'<div class="set" id="set-\d+">(.*?</div>)</div>', page, re.S)
    assert len(sets) == hits["ligand_set"].nunique()
    keys = re.findall(r'<div class="set" id="set-\d+">.*?<span class="mono">([^<]+)</span>', page, re.S)
    assert sorted(keys) == sorted(hits["ligand_set"].unique())
    for block, key in zip(sets, keys):
        assert block.count("<svg") == len(key.split(".")), key  # one drawing per ligand of the set
    assert "<?xml" not in page


def test_report_inlines_3dmol_once_and_loads_nothing_from_the_network(report):
    page, _, _ = report
    library = package_text(THREEDMOL)
    assert page.count(library) == 1 and len(library) > 100_000
    rest = page.replace(library, "")
    assert not re.search(r"https?://", rest)
    assert not re.search(r"<script[^>]+src=|<link\b|@import|<iframe", page)
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'<img[^>]*src="([^"]+)"', page))


def test_report_holds_the_xyz_of_every_core_as_the_library_stores_it(report):
    page, hits, screened = report
    cores = {c.info["id"]: c for c in read_core_library(screened / "cores.h5")}
    data = page_data(page)
    assert [c["id"] for c in data["cores"]] == list(dict.fromkeys(hits["core_id"]))
    for view in data["cores"]:
        atoms = ase_read(io.StringIO(view["xyz"]), format="xyz")
        expected = cores[view["id"]]
        assert atoms.get_chemical_symbols() == expected.get_chemical_symbols()
        assert np.abs(atoms.positions - expected.positions).max() < 1e-4


def test_report_highlights_each_edited_site_in_the_edited_core(report):
    page, _, screened = report
    cores = {c.info["id"]: c for c in read_core_library(screened / "cores.h5")}
    parent = cores["au25_core"]
    seen = set()
    for view in page_data(page)["cores"]:
        core = cores[view["id"]]
        operator = core.info.get("operator")
        label, indices = parse_site(core.info.get("site", ""))
        seen.add(operator)
        if operator == "substitute":
            assert view["highlight"] == indices and core[indices[0]].symbol == "Ag" and parent[indices[0]].symbol == "Au"
            assert view["edit"] == f"Au → Ag substitution at atom {indices[0]}"
        elif operator == "add":
            assert view["highlight"] == [len(core) - 1] + indices and core[-1].symbol == "Cu" and label in ("top", "bridge", "hollow")
        elif operator == "remove":
            (symbol, position), = view["ghosts"]
            assert symbol == "Au" and np.allclose(position, parent.positions[indices[0]]) and view["highlight"] == []
        else:
            assert view["id"] == "au25_core" and view["highlight"] == [] and view["ghosts"] == []
    assert seen == {None, "remove", "substitute", "add"}
    first_substitution = next(i for i, v in enumerate(page_data(page)["cores"]) if cores[v["id"]].info.get("operator") == "substitute")
    assert page_data(page)["initial"] == first_substitution  # the page opens on an edited core whose edited atom is visible


def test_report_embeds_the_heat_map_of_the_hits(report):
    page, hits, _ = report
    png = base64.b64decode(re.search(r'<img alt="core × ligand-set heat map" src="data:image/png;base64,([^"]+)"', page).group(1))
    assert png[:8] == PNG_SIGNATURE
    cores, sets = list(dict.fromkeys(hits["core_id"])), list(dict.fromkeys(hits["ligand_set"]))
    matrix = heatmap_matrix_from_hits(hits, cores, sets)
    assert np.isfinite(matrix).sum() == len(hits)  # one cell per hit, the rest "not in the top-k"
    first = hits.iloc[0]
    assert matrix[0, sets.index(first["ligand_set"])] == pytest.approx(first["probability"])


def test_report_shows_the_screen_summary_and_its_domain_warnings(report):
    page, hits, _ = report
    summary = json.loads(summary_path(report[2] / "hits.csv").read_text())
    assert f'<div class="v">{summary["sets"]:,}</div><div class="k">ligand sets</div>' in page
    if load_model()[0].model.domain_reference is None:  # a model from before checkpoints carried a domain
        assert html.escape(UNKNOWN_WARNING) in page
    else:  # the Ag and Cu edits of the Au25 core hold elements the default saw only in MetaLig's complexes
        for element in ("Ag", "Cu"):
            assert html.escape(f"{element} (in ") in page and "seen only in mononuclear complexes, never in a cluster" in page


def test_report_says_no_domain_was_computed_for_hits_without_domain_columns(screened):
    """Hits of a screen from before the domain columns existed."""
    hits = read_hits(screened / "hits.csv").drop(columns=["core_in_domain", "set_in_domain"])
    summary = {**json.loads(summary_path(screened / "hits.csv").read_text()), "domain": False, "warnings": []}
    assert "no applicability domain was computed (screen without --train-dataset): nothing tells whether these cores and ligand sets resemble the training data" in screen_warnings(summary, hits)


def test_report_shows_domain_columns_member_columns_and_summary_warnings(screened, tmp_path):
    """Hits carrying the applicability-domain flags, per-member probabilities and warning lines of newer screens."""
    hits = read_hits(screened / "hits.csv")
    summary = json.loads(summary_path(screened / "hits.csv").read_text())
    hits["core_in_domain"] = hits["operator"] != "add"
    hits["set_in_domain"] = True
    hits["probability_member0"] = hits["probability"]
    summary["warnings"] = ["3 cores lie outside the applicability domain"]
    write_hits(hits, tmp_path / "hits.csv", summary)
    shutil.copy(screened / "cores.h5", tmp_path / "cores.h5")
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "hits.csv"), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()
    outside = int((hits["operator"] == "add").sum())
    assert "<li>3 cores lie outside the applicability domain</li>" in page
    assert f"<li>{outside} of {len(hits)} hits involve cores outside the model&#x27;s applicability domain (core_in_domain = False)" in page
    assert ">probability member0</th>" in page and ">core in domain</th>" in page
    assert sum(row.startswith("<td") for row in table_rows(page)) == len(hits)
    assert page.count("<tr class=out>") == outside


@pytest.mark.parametrize("name", ["hits.h5", "hits.parquet"])
def test_report_reads_hdf5_and_parquet_hits(screened, tmp_path, name):
    hits = read_hits(screened / "hits.csv")
    summary = json.loads(summary_path(screened / "hits.csv").read_text())
    summary["core_library"] = str(screened / "cores.h5")
    write_hits(hits, tmp_path / name, summary)
    result = CliRunner().invoke(cli, ["report", str(tmp_path / name), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert len(table_rows((tmp_path / "r.html").read_text())) == len(hits)


def test_report_finds_a_relative_core_library_beside_the_hits(screened, tmp_path, monkeypatch):
    """`colim screen --core-lib cores.h5` records the path as given; the report runs from elsewhere."""
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("hits.csv", "hits.csv.summary.json", "cores.h5"):
        shutil.copy(screened / name, moved / name)
    summary = json.loads((moved / "hits.csv.summary.json").read_text())
    summary["core_library"] = "cores.h5"
    (moved / "hits.csv.summary.json").write_text(json.dumps(summary))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["report", "moved/hits.csv", "-o", "r.html"])
    assert result.exit_code == 0, result.output
    assert "cores <code>moved/cores.h5</code>" in (tmp_path / "r.html").read_text()


def test_report_limits_rows_and_cores_and_says_so(screened, tmp_path):
    result = CliRunner().invoke(cli, ["report", str(screened / "hits.csv"), "-o", str(tmp_path / "r.html"), "--max-rows", "7", "--max-cores", "2"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()
    assert len(table_rows(page)) == 7 and len(page_data(page)["cores"]) == 2
    assert "the table shows the first 7 of 39 hits (--max-rows)" in page
    assert "3D views and the heat map show the first 2 of 3 cores in the table (--max-cores)" in page


def test_report_is_written_atomically(screened, tmp_path, monkeypatch):
    out = tmp_path / "r.html"
    out.write_text("old report")
    result = CliRunner().invoke(cli, ["report", str(screened / "hits.csv"), "-o", str(out)])
    assert result.exit_code == 1 and result.output == f"Error: {out} exists; pass --overwrite to replace it\n"

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(render_module.Path, "write_text", broken)
    with pytest.raises(KeyboardInterrupt):
        render_module.write_report(screened / "hits.csv", out, overwrite=True)
    monkeypatch.undo()
    assert out.read_text() == "old report" and sorted(os.listdir(tmp_path)) == ["r.html"]


def run_error(args: list[str]) -> str:
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exit_code == 1, result.output
    assert len(result.output.splitlines()) == 1
    return result.output.strip()


def test_report_errors_are_one_line(screened, tmp_path):
    out = str(tmp_path / "r.html")
    assert run_error([str(tmp_path / "none.csv"), "-o", out]) == f"Error: {tmp_path / 'none.csv'}: no such hits file"
    ligands = tmp_path / "ligands.csv"
    shutil.copy(shipped(DEFAULT_LIGAND_LIBRARY).with_suffix(".csv"), ligands)
    assert run_error([str(ligands), "-o", out]) == f"Error: {ligands}: not a hits file from 'colim screen' (no column 'core_id', 'rank', 'ligand_set', 'probability')"
    assert run_error([str(screened / "cores.h5"), "-o", out]).startswith(f"Error: {screened / 'cores.h5'}: not a hits file from 'colim screen'")
    assert run_error([str(screened / "hits.csv"), "-o", out, "--core-lib", str(tmp_path / "gone.h5")]) == f"Error: {tmp_path / 'gone.h5'}: no such core library"
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(screened / "hits.csv", lone / "hits.csv")
    assert run_error([str(lone / "hits.csv"), "-o", out]) == (
        f"Error: {lone / 'hits.csv'}: no screen summary names its core library (hits.csv.summary.json missing); pass --core-lib")
    shutil.copy(screened / "hits.csv.summary.json", lone / "hits.csv.summary.json")
    (screened / "cores.h5").rename(tmp_path / "elsewhere.h5")
    try:
        assert run_error([str(lone / "hits.csv"), "-o", out]) == (
            f"Error: {lone / 'hits.csv'}: its core library {screened / 'cores.h5'} is not there (nor beside the hits file); pass --core-lib")
    finally:
        (tmp_path / "elsewhere.h5").rename(screened / "cores.h5")
    assert run_error([str(screened / "hits.csv"), "-o", out, "--core-lib", str(tmp_path)]) == f"Error: {tmp_path}: is a directory, not a core library"
    assert not Path(out).exists()


def test_report_refuses_to_overwrite_its_own_inputs(screened, tmp_path):
    for name in ("hits.csv", "hits.csv.summary.json", "cores.h5"):
        shutil.copy(screened / name, tmp_path / name)
    summary = json.loads((tmp_path / "hits.csv.summary.json").read_text())
    (tmp_path / "hits.csv.summary.json").write_text(json.dumps({**summary, "core_library": "cores.h5"}))
    before = {name: (tmp_path / name).read_bytes() for name in ("hits.csv", "hits.csv.summary.json", "cores.h5")}
    for name in before:
        assert run_error([str(tmp_path / "hits.csv"), "-o", str(tmp_path / name), "--overwrite"]) == (
            f"Error: {tmp_path / name} is an input of the report ({tmp_path / name}); write the report elsewhere")
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def test_report_of_a_demo_finds_its_core_library(tmp_path):
    """`colim demo` keeps the screen summary beside its hits.csv; the library it names is found beside them."""
    run_demo(tmp_path / "demo", ops="substitute:Ag", top_k=2, progress=False)
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "demo" / "hits.csv"), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()
    assert f"cores <code>{tmp_path / 'demo' / 'edited_cores.h5'}</code>" in page
    assert [c["edit"] for c in page_data(page)["cores"]] == ["unedited core"] + [f"Au → Ag substitution at atom {i}" for i in (0, 1, 13)]


def test_report_shows_how_much_each_core_decided(report):
    """The core-effect column beside the probability and the summary's line on it."""
    page, hits, folder = report
    summary = json.loads(summary_path(folder / "hits.csv").read_text())
    line = core_effect_line(summary["core_effect"])
    assert f"<b>How much the cores decided.</b> {html.escape(line[0].upper() + line[1:])}.</p>" in page
    headers = re.findall(r'<th [^>]*title="([^"]+)"', page)
    assert headers.index("core_effect") == headers.index("spread") + 1 and "core_seen_in" in headers
    column = headers.index("core_effect")
    cells = [re.findall(r'<td[^>]*data-v="([^"]*)"', row)[column] for row in table_rows(page)]
    np.testing.assert_allclose(np.array(cells, dtype=float), hits["core_effect"].to_numpy(), rtol=1e-12)
    assert "<tr><td>core effect</td>" not in page  # the summary dict is not dumped as a detail row


def test_report_names_hits_on_cores_seen_only_in_complexes_from_the_column(screened):
    """A hits file whose summary lacks the screen's line still gets one from its core_seen_in column."""
    hits = read_hits(screened / "hits.csv")
    hits["core_seen_in"] = np.where(hits["element"] == "Cu", "complexes only", "clusters")
    summary = {**json.loads(summary_path(screened / "hits.csv").read_text()), "warnings": []}
    n = int((hits["element"] == "Cu").sum())
    assert n and (f"{n} of {len(hits)} hits involve cores with an element seen only in mononuclear complexes, never in a cluster "
                  "(core_seen_in = complexes only): their scores transfer from coordination chemistry") in screen_warnings(summary, hits)
    summary["warnings"] = ["Cu (in 3 of 13 cores): seen only in mononuclear complexes, never in a cluster: scores transfer from coordination chemistry"]
    assert sum("mononuclear complexes" in line for line in screen_warnings(summary, hits)) == 1
