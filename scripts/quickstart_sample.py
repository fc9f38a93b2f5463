"""The sample output of `colim demo` in docs/quickstart.md comes from a run: this script runs the demo and
writes the sample (``--write``) or checks that the documented lines match a fresh run (``--check``, what
tests/test_doc_samples.py does).

The check compares every documented line with the fresh run's line at the same place: text exactly,
numbers within 0.01 (the sample shows them to 2 decimals; a rerun on another machine may round the
other way). Run ``--write`` after the shipped model or libraries change.

    python scripts/quickstart_sample.py --write | --check
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "quickstart.md"
#: the fenced block right after this sentence is the sample.
ANCHOR = "prints the best sets per core:\n\n```\n"
CORE_LINES = 2  # per-core lines shown before "..."
NUMBER = re.compile(r"\d+\.\d+")


def run_demo() -> list[str]:
    """stdout lines of `colim demo` (the default run), as a user in the repository root would see them."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "colim", "demo", "-o", str(Path(tmp) / "colim-demo")], cwd=tmp, capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
        if done.returncode != 0:
            raise SystemExit(f"colim demo failed:\n{done.stderr[-2000:]}")
        return [line.replace(str(Path(tmp)) + "/", "") for line in done.stdout.splitlines()]


def sample(lines: list[str]) -> list[str]:
    """The documented part: the summary line, the first per-core lines, '...', the files written."""
    cores = [line for line in lines if line.startswith("  ")]
    wrote = [line for line in lines if line.startswith("wrote ")]
    return [lines[0], *cores[:CORE_LINES], "  ...", *wrote]


def documented() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(ANCHOR) + len(ANCHOR)
    return text[start : text.index("```", start)].rstrip("\n").splitlines()


def write(lines: list[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(ANCHOR) + len(ANCHOR)
    end = text.index("```", start)
    DOC.write_text(text[:start] + "\n".join(sample(lines)) + "\n" + text[end:], encoding="utf-8")


def mismatches(doc: list[str], fresh: list[str]) -> list[str]:
    """Documented lines that a fresh run does not reproduce (text exact, numbers within 0.01)."""
    want = sample(fresh)
    problems = [] if len(doc) == len(want) else [f"{len(doc)} documented lines, the run gives {len(want)}"]
    for old, new in zip(doc, want):
        same_text = NUMBER.sub("#", old) == NUMBER.sub("#", new)
        close = same_text and all(abs(float(a) - float(b)) <= 0.0101 for a, b in zip(NUMBER.findall(old), NUMBER.findall(new)))
        if not close:
            problems.append(f"documented: {old}\n  a run now: {new}")
    return problems


def main(argv: list[str]) -> int:
    if argv not in (["--write"], ["--check"]):
        print(__doc__)
        return 2
    fresh = run_demo()
    if argv == ["--write"]:
        write(fresh)
        print(f"wrote the sample into {DOC}")
        return 0
    problems = mismatches(documented(), fresh)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
