"""Sample outputs in the docs come from a run (issue 20): docs/quickstart.md's `colim demo` block is written by
scripts/quickstart_sample.py and must match a fresh run of the same command (text exact, numbers to 0.01)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_quickstart_demo_sample_matches_a_fresh_run():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "quickstart_sample.py"), "--check"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, ("docs/quickstart.md's demo sample is stale; regenerate it with 'python scripts/quickstart_sample.py --write':\n"
                                  + done.stdout + done.stderr[-2000:])
