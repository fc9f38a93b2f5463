"""Notes to the user: one ``note: ...`` line on stderr when colim changed or interpreted an input for them
(a CIF's disorder resolved, a SMILES normalised), so that nothing is done silently and results stay clean."""

from __future__ import annotations

import sys


def note(message: str) -> None:
    """Print ``note: message`` on stderr (never on stdout, where tables and results go)."""
    print(f"note: {message}", file=sys.stderr, flush=True)
