"""``colim report``: one self-contained HTML page of a screen's hits, summary, cores in 3D and ligand sets in 2D."""

from colim.report.data import HitsFileError, ReportData, build_report_data
from colim.report.render import render_html, write_report

__all__ = ["HitsFileError", "ReportData", "build_report_data", "render_html", "write_report"]
