"""The report in a real browser (headless Chromium): hostile names (``<!--<script>``) cannot break the page,
and its 3D view, sorting and filtering run; an edited site inside the core is drawn see-through."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import colim
from colim.cli import cli
from colim.defaults import DEFAULT_DEMO_CORE, shipped

SEED0 = Path(__file__).parents[2] / "libraries" / "models" / "default" / "seed-0.pt"
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
HOSTILE_CORE = "Au25<!--<script>"
HOSTILE_LIGANDS = {"[S]C": "<!--<script>SCH3", "[S]CC": "</script><b>SEt", "c1ccc(P(c2ccccc2)c2ccccc2)cc1": "PPh3-->&amp;"}

#: appended to the page: drives it as a user would and leaves what it saw in <body data-test>.
PROBE = """<script>
(function () {
  var out = {};
  try {
    var ths = Array.prototype.slice.call(document.querySelectorAll("table.hits th"));
    var col = ths.findIndex(function (th) { return th.title === "probability"; });
    ths[col].click(); ths[col].click();
    var vals = Array.prototype.map.call(document.querySelectorAll("table.hits tbody tr"), function (r) { return +r.cells[col].dataset.v; });
    out.sorted = vals.length > 1 && vals.every(function (v, i) { return i === 0 || vals[i - 1] >= v; });
    out.sortMark = ths[col].className;
    var f = document.getElementById("filter"); f.value = "SCH3"; f.dispatchEvent(new Event("input"));
    out.count = document.getElementById("row-count").textContent;
    out.shells = Array.prototype.map.call(document.querySelectorAll("#core-list button"), function (b) {
      b.click(); return document.getElementById("viewer").dataset.shell || ""; });
    out.canvas = !!document.querySelector("#viewer canvas");
    out.info = document.getElementById("core-info").textContent;
  } catch (e) { out.error = String(e); }
  document.body.setAttribute("data-test", JSON.stringify(out));
})();
</script></body>"""


@pytest.mark.skipif(BROWSER is None, reason="needs Chromium (apt-get install chromium) to run the page")
def test_report_with_hostile_names_runs_in_a_browser(tmp_path):
    parent = colim.read_cores(shipped(DEFAULT_DEMO_CORE), core_only=True)[0]
    parent.info["id"] = HOSTILE_CORE
    edits = colim.enumerate_edits(parent, "substitute:Ag+Zn")  # Zn: never seen, so some hits are out of domain
    cores = tmp_path / "cores.h5"
    colim.build_core_library([parent, *edits.cores], cores, model=SEED0)
    ligand_csv = tmp_path / "ligands.csv"
    ligand_csv.write_text("smiles,name\n" + "".join(f'{s},"{n}"\n' for s, n in HOSTILE_LIGANDS.items()))
    ligands = tmp_path / "ligands.h5"
    colim.build_ligand_library(ligand_csv, ligands, model=SEED0, max_kinds=2)
    hits = tmp_path / "hits.csv"
    colim.screen(cores, ligands, SEED0, hits, top_k=3)
    page = tmp_path / "report.html"
    made = CliRunner().invoke(cli, ["report", str(hits), "-o", str(page)])
    assert made.exit_code == 0, made.output
    text = page.read_text()
    table = colim.read_hits(hits)
    outside = (table["core_in_domain"].astype(str) == "False") | (table["set_in_domain"].astype(str) == "False")
    assert outside.any() and text.count('<span class="ood">(out of domain)</span>') == int(outside.sum())  # the number itself is marked
    assert "{'elements'" not in text and "elements: " in text  # the domain is not a raw Python dict
    data_block = text.split('id="colim-report-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_block and ">" not in data_block  # nothing for the HTML parser inside the JSON
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", PROBE))
    done = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                           "--virtual-time-budget=8000", "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=240)
    assert 'data-test="' in done.stdout, done.stderr[-2000:]
    seen = json.loads(html.unescape(done.stdout.split('data-test="', 1)[1].split('"', 1)[0]))
    assert "error" not in seen, seen
    assert seen["sorted"] and "sorted-desc" in seen["sortMark"]
    rows = len(colim.read_hits(hits))
    shown = sum("SCH3" in n for n in colim.read_hits(hits)["ligand_names"])
    assert seen["count"] == f"{shown} of {rows} rows shown" and 0 < shown < rows
    assert seen["canvas"], "3Dmol.js made no canvas"
    assert len(seen["shells"]) == 1 + len(edits.cores)
    assert "see-through" in seen["shells"] and "solid" in seen["shells"]  # the centre substitution vs a surface one
    assert HOSTILE_CORE in done.stdout.replace("&lt;", "<").replace("&gt;", ">")  # the name is shown as text, whole
