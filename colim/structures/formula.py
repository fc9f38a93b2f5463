"""Chemical formulas as cluster chemists write them: metals first (alphabetical), then Hill order (C, H, rest).

``Au13H5`` and ``Au25C18H54S18`` rather than ASE's ``H5Au13`` / ``C18H54Au25S18``.
"""

from __future__ import annotations

from collections import Counter

from ase import Atoms

from colim.structures.core import is_metal


def cluster_formula(atoms: Atoms) -> str:
    """Metals first, then C and H, then the other elements alphabetically; counts of 1 omitted."""
    counts = Counter(atoms.get_chemical_symbols())
    metals = sorted(s for s in counts if is_metal(s))
    rest = [s for s in ("C", "H") if s in counts and "C" in counts] + sorted(s for s in counts if not is_metal(s) and (s not in ("C", "H") or "C" not in counts))
    return "".join(f"{s}{counts[s] if counts[s] > 1 else ''}" for s in metals + rest)
