"""The report as one self-contained HTML file: the template filled with :class:`ReportData`, 3Dmol.js inlined.

Nothing on the page loads from the network: the JavaScript is vendored (``vendor/``), the heat map is
an inline PNG, ligand drawings are inline SVG and the cores are XYZ text in a JSON block.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from importlib import resources
from pathlib import Path

import pandas as pd

from colim.errors import OutputExistsError
from colim.io.hit_tables import summary_path
from colim.io.output_files import atomic_output
from colim.report.data import ReportData, build_report_data, finite_or_none
from colim.screening.core_effect import core_effect_line
from colim.version import __version__

#: the vendored 3Dmol.js build inlined into every report (see ``vendor/README.md``).
THREEDMOL = "vendor/3Dmol-min.js"
TEMPLATE = "templates/report.html"
#: hit-table columns shown first, in this order; every other column follows in the file's order.
LEADING_COLUMNS = ("rank", "core_id", "operator", "site", "element", "ligand_names", "families", "probability", "spread",
                   "core_effect", "panel_probability", "core_in_domain", "core_seen_in", "set_in_domain", "core_domain", "set_domain")
#: column headers a chemist reads more easily than the file's names.
HEADERS = {"core_id": "core", "ligand_names": "ligand set", "ligand_set": "ligand SMILES", "probability": "P(compatible)",
           "spread": "± spread", "core_domain": "core domain dist.", "set_domain": "set domain dist.", "member_ranks": "member ranks", "rank_range": "rank range",
           "core_effect": "core effect", "panel_probability": "P on Cu/Ag/Au panel", "core_seen_in": "core elements seen in"}
#: summary fields shown as cards (label, key) and the ones shown in the detail table.
CARDS = (("cores screened", "cores"), ("ligand sets", "sets"), ("core–set pairs", "pairs"), ("top-k per core", "top_k"),
         ("ensemble members", "members"), ("overlap@k (mean)", "overlap_at_k_mean"), ("Spearman (mean)", "spearman_mean"))
#: summary fields drawn in their own way rather than as one detail row.
OWN_SECTION = ("warnings", "core_effect")
_PLACEHOLDER = re.compile(r"@([A-Z0-9_]+)@")


def package_text(name: str) -> str:
    """A text file shipped inside ``colim.report`` (template, vendored JavaScript)."""
    return resources.files("colim.report").joinpath(name).read_text(encoding="utf-8")


def write_report(hits_path: str | os.PathLike, output: str | os.PathLike, core_lib: str | os.PathLike | None = None,
                 overwrite: bool = False, **limits: int) -> ReportData:
    """Build the report of ``hits_path`` and write it to ``output`` atomically; returns what it shows."""
    data = build_report_data(hits_path, core_lib, **limits)
    for source in (Path(hits_path), summary_path(hits_path), Path(data.core_library)):
        if source.exists() and Path(output).exists() and os.path.samefile(source, output):
            raise OutputExistsError(f"{output} is an input of the report ({source}); write the report elsewhere")
    page = render_html(data)
    with atomic_output(output, overwrite=overwrite) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return data


def render_html(data: ReportData) -> str:
    """The whole page as text."""
    title = f"colim screening report: {Path(data.hits_path).name}"
    parts = {
        "VERSION": html.escape(__version__),
        "TITLE": html.escape(title),
        "SUBTITLE": f"hits <code>{html.escape(data.hits_path)}</code> · cores <code>{html.escape(data.core_library)}</code>",
        "SUMMARY": _summary_html(data),
        "CORE_LIST": "".join(
            f'<button type="button" data-core="{i}"><span class="f">{html.escape(c.formula)}</span> '
            f'<span class="e">· {html.escape(c.highlight.text)}</span><br><span class="e mono">{html.escape(c.id)}</span></button>'
            for i, c in enumerate(data.cores)),
        "HEATMAP": f'<img alt="core × ligand-set heat map" src="data:image/png;base64,{base64.b64encode(data.heatmap_png).decode()}">',
        "TABLE": _table_html(data),
        "SETS": "".join(
            f'<div class="set" id="set-{i}"><div class="t">{html.escape(" + ".join(s.names))}</div>'
            f'<div class="m">top-k hit for {s.hits} core{"s" if s.hits != 1 else ""} · best P = {s.best:.3f} · <span class="mono">{html.escape(s.key)}</span></div>'
            f'{s.svg}</div>' for i, s in enumerate(data.sets)),
        "FOOTER": (f"Made by colim {html.escape(__version__)} (<code>colim report</code>). Probabilities are the model's, not measurements; "
                   "3D views by 3Dmol.js (BSD-3-Clause, inlined), 2D drawings by RDKit."),
        "DATA": _script_json(_page_data(data)),
        "THREEDMOL": package_text(THREEDMOL).replace("</script", "<\\/script"),
    }
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], package_text(TEMPLATE))


def _script_json(value) -> str:
    """JSON safe inside a ``<script>`` element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _page_data(data: ReportData) -> dict:
    """What the page's JavaScript needs: each core's XYZ, highlight and top sets, and the first core to show."""
    top: dict[str, list] = {}
    for core, names, p in zip(data.rows["core_id"], _column(data.rows, "ligand_names", "ligand_set"), data.rows["probability"]):
        top.setdefault(str(core), []).append([str(names).replace(".", " + "), finite_or_none(p)])
    cores = [{"id": c.id, "formula": c.formula, "parent": c.parent, "depth": c.depth, "xyz": c.xyz, "edit": c.highlight.text,
              "note": c.highlight.note, "highlight": c.highlight.atoms, "ghosts": [[s, list(xyz)] for s, xyz in c.highlight.ghosts],
              "top": top.get(c.id, [])[:10]} for c in data.cores]
    # open on the first edited core, preferring one whose edited atoms are there to see (not a removal's ghost)
    edited = [i for i, c in enumerate(data.cores) if c.highlight.atoms] + [i for i, c in enumerate(data.cores) if c.highlight.ghosts]
    return {"cores": cores, "initial": edited[0] if edited else 0}


def _column(frame: pd.DataFrame, name: str, fallback: str) -> pd.Series:
    return frame[name] if name in frame else frame[fallback]


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)


def _summary_html(data: ReportData) -> str:
    s = data.summary
    cards = "".join(f'<div class="card"><div class="v">{html.escape(_card_value(s[key]))}</div><div class="k">{label}</div></div>'
                    for label, key in CARDS if key in s)
    if not s:
        cards += f'<div class="card"><div class="v">{data.total_rows:,}</div><div class="k">hits in the file</div></div>'
    detail = {"hits in the file": f"{data.total_rows:,}", "core library": data.core_library}
    shown = {key for _, key in CARDS}
    for key, value in s.items():
        if key in shown or key in OWN_SECTION:
            continue
        detail[key.replace("_", " ")] = ", ".join(map(str, value)) if isinstance(value, list) else _card_value(value)
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td class='mono'>{html.escape(str(v))}</td></tr>" for k, v in detail.items())
    out = f'<div class="cards">{cards}</div><table class="kv">{rows}</table>'
    effect = core_effect_line(s.get("core_effect"))
    if effect:
        out += f'<p class="effect"><b>How much the cores decided.</b> {html.escape(effect[0].upper() + effect[1:])}.</p>'
    if data.warnings:
        out += '<div class="warnings"><b>Warnings</b><ul>' + "".join(f"<li>{html.escape(w)}</li>" for w in data.warnings) + "</ul></div>"
    if data.notes:
        out += '<div class="notes"><b>About this report</b><ul>' + "".join(f"<li>{html.escape(n)}</li>" for n in data.notes) + "</ul></div>"
    return out


def _card_value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _table_html(data: ReportData) -> str:
    rows = data.rows
    columns = [c for c in LEADING_COLUMNS if c in rows] + [c for c in rows.columns if c not in LEADING_COLUMNS]
    numeric = {c for c in columns if pd.api.types.is_numeric_dtype(rows[c]) and not pd.api.types.is_bool_dtype(rows[c])}
    core_index = {c.id: i for i, c in enumerate(data.cores)}
    set_index = {s.key: i for i, s in enumerate(data.sets)}
    head = "".join(f'<th data-type="{"num" if c in numeric else "text"}" title="{html.escape(c)}">{html.escape(HEADERS.get(c, c.replace("_", " ")))}</th>' for c in columns)
    body = []
    for record in rows.to_dict("records"):
        out = any(str(record.get(c, "")).lower() in ("false", "0", "0.0") for c in ("core_in_domain", "set_in_domain") if c in record)
        cells = []
        for c in columns:
            v = record[c]
            if c in numeric:
                f = finite_or_none(v)
                text = "–" if f is None else _fmt(v)
                if c == "probability" and f is not None:
                    text = f'<span class="pbar"><i style="width:{max(0.0, min(1.0, f)) * 100:.0f}%"></i></span>{text}'
                cells.append(f'<td class="num" data-v="{"" if f is None else f}">{text}</td>')
            elif c == "core_id":
                cells.append(f'<td class="core" data-v="{html.escape(str(v))}"><a href="#cores" data-core="{core_index.get(str(v), -1)}">{html.escape(str(v))}</a></td>')
            elif c == "ligand_names":
                key = str(record.get("ligand_set", ""))
                cells.append(f'<td class="set" data-v="{html.escape(str(v))}" title="{html.escape(key)}"><a href="#set-{set_index.get(key, 0)}">{html.escape(str(v).replace(".", " + "))}</a></td>')
            else:
                text = str(v)
                cells.append(f'<td data-v="{html.escape(text)}"{" class=mono" if c == "ligand_set" else ""}>{html.escape(text)}</td>')
        body.append(f'<tr{" class=out" if out else ""}>{"".join(cells)}</tr>')
    return f'<table class="hits"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
