"""Markdown tables of a ``colim core-lift`` run (core_lift.json), as pasted into docs/benchmarks.md.

    python benchmarks/core_lift_table.py benchmarks/results/core_lift_metalig.json
"""

from __future__ import annotations

import json
import sys


def cell(ms: dict | None, ci: bool = True) -> str:
    if not ms or ms.get("mean") is None:
        return "—"
    text = f"{ms['mean']:.3f}"
    if ms.get("std") is not None:
        text += f" ± {ms['std']:.3f}"
        if ci and ms.get("ci_low") is not None:
            text += f" [{ms['ci_low']:.3f}, {ms['ci_high']:.3f}]"
    return text


def main(path: str) -> None:
    report = json.load(open(path))
    metals = report["metals"]
    print("| row | n | pooled AUC | " + " | ".join(f"{m} AUC" for m in metals) + " | " + " | ".join(f"{m} core lift" for m in metals)
          + " | cross-matching AUC |")
    print("|---" * (3 + 2 * len(metals) + 1) + "|")
    for row, s in report["summary"].items():
        print(f"| {s['label']} | {s['n']} | {cell(s['auc'])} | " + " | ".join(cell(s[f'auc_{m}']) for m in metals) + " | "
              + " | ".join(cell(s[f'lift_{m}']) for m in metals) + f" | {cell(s.get('cross_auc'))} |")
    for against, diffs in report.get("paired", {}).items():
        print(f"| *model − {report['summary'][against]['label']}* (paired) | {diffs['auc']['n']} | {cell(diffs['auc'])} | "
              + " | ".join(cell(diffs[f'auc_{m}']) for m in metals) + " | " + " | ".join("" for _ in metals) + f" | {cell(diffs.get('cross_auc'))} |")
    print()
    print("| row | pooled metal-blind AUC | pooled lift | " + " | ".join(f"{m} metal-blind AUC" for m in metals)
          + " | cross-matching " + ", ".join(metals) + " |")
    print("|---" * (3 + len(metals) + 1) + "|")
    for row, s in report["summary"].items():
        print(f"| {s['label']} | {cell(s['blind_auc'], False)} | {cell(s['lift'])} | " + " | ".join(cell(s[f'blind_auc_{m}'], False) for m in metals)
              + " | " + ", ".join(cell(s.get(f'cross_auc_{m}'), False) for m in metals) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
