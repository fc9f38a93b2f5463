"""Physical element properties for atom features (every element Z = 1–118), shipped as package data.

The table ``colim/encoders/data/elements.csv`` was generated once from ``mendeleev`` 1.3.0 by running
``python -m colim.encoders.element_table`` (needs ``pip install mendeleev``); colim itself only reads
the CSV, so mendeleev is not a run-time dependency. Columns (raw values, units as in mendeleev):

- ``group`` 1–18 (lanthanides and actinides, which have no IUPAC group number, get 3), ``period`` 1–7,
  ``block`` s/p/d/f;
- ``en_pauling`` (Pauling electronegativity), ``covalent_radius`` (Pyykkö single-bond, pm),
  ``metallic_radius`` (pm), ``valence_electrons`` (mendeleev ``nvalence()``), ``ionization_energy``
  (first, eV), ``electron_affinity`` (eV; negative values, i.e. unbound anions such as the noble gases', set to 0), ``polarizability`` (dipole, bohr³, used as its log);
- ``filled``: the ``;``-separated names of the columns whose value was missing in mendeleev and was
  filled by the rule of :func:`fill_missing` (mean over the same group, else the same period, else all
  elements), so a filled value is never mistaken for a measured one.

:func:`physics_features` turns the table into the standardised per-element feature matrix the graph
encoders embed: one-hot group (18), period (7) and block (4), plus the z-scored continuous columns.
"""

from __future__ import annotations

import csv
import functools
import math
from importlib import resources
from pathlib import Path

import numpy as np
import torch

#: largest atomic number in the table.
MAX_Z = 118
#: continuous columns, in feature order; ``polarizability`` enters as its natural log.
CONTINUOUS = ("en_pauling", "covalent_radius", "metallic_radius", "valence_electrons", "ionization_energy",
              "electron_affinity", "polarizability")
BLOCKS = ("s", "p", "d", "f")
TABLE_FILE = "elements.csv"
COLUMNS = ("z", "symbol", "group", "period", "block", *CONTINUOUS, "filled")


def table_path() -> Path:
    """Path of the shipped element table CSV."""
    return Path(str(resources.files("colim.encoders") / "data" / TABLE_FILE))


@functools.lru_cache(maxsize=1)
def element_table() -> list[dict[str, object]]:
    """Rows of the shipped table (index ``z - 1``), numbers as floats/ints, ``filled`` as a tuple of names."""
    rows = []
    with open(table_path(), newline="") as fh:
        for row in csv.DictReader(fh):
            out: dict[str, object] = {"z": int(row["z"]), "symbol": row["symbol"], "group": int(row["group"]),
                                      "period": int(row["period"]), "block": row["block"]}
            out.update({name: float(row[name]) for name in CONTINUOUS})
            out["filled"] = tuple(n for n in row["filled"].split(";") if n)
            rows.append(out)
    return rows


def feature_names() -> list[str]:
    """Names of the columns of :func:`physics_features`."""
    return ([f"group_{g}" for g in range(1, 19)] + [f"period_{p}" for p in range(1, 8)] + [f"block_{b}" for b in BLOCKS]
            + [f"z({name})" for name in CONTINUOUS])


@functools.lru_cache(maxsize=1)
def _feature_array() -> np.ndarray:
    rows = element_table()
    onehot = np.zeros((len(rows), 18 + 7 + len(BLOCKS)))
    for i, row in enumerate(rows):
        onehot[i, int(row["group"]) - 1] = 1.0
        onehot[i, 18 + int(row["period"]) - 1] = 1.0
        onehot[i, 25 + BLOCKS.index(str(row["block"]))] = 1.0
    cont = np.array([[float(row[n]) for n in CONTINUOUS] for row in rows])
    cont[:, CONTINUOUS.index("polarizability")] = np.log(cont[:, CONTINUOUS.index("polarizability")])
    cont = (cont - cont.mean(axis=0)) / cont.std(axis=0)
    return np.concatenate([onehot, cont], axis=1)


def physics_features() -> torch.Tensor:
    """``[MAX_Z + 1, F]`` float32 features by atomic number (row 0, no element, is zeros): one-hot
    group/period/block and the continuous properties standardised over the 118 elements."""
    feats = _feature_array()
    out = np.zeros((MAX_Z + 1, feats.shape[1]), dtype=np.float32)
    out[1:] = feats
    return torch.from_numpy(out)


def radii_angstrom() -> torch.Tensor:
    """``[MAX_Z + 1]`` covalent radii in Å by atomic number (row 0: 1 Å, never used by a real atom)."""
    out = torch.ones(MAX_Z + 1)
    for row in element_table():
        out[int(row["z"])] = float(row["covalent_radius"]) / 100.0
    return out


def fill_missing(rows: list[dict[str, object]], name: str) -> None:
    """Fill missing (NaN) ``name`` values: mean over the element's group, else its period, else all elements."""
    def mean(values: list[float]) -> float:
        known = [v for v in values if not math.isnan(v)]
        return sum(known) / len(known) if known else math.nan

    overall = mean([float(r[name]) for r in rows])
    for row in rows:
        if not math.isnan(float(row[name])):
            continue
        value = mean([float(r[name]) for r in rows if r["group"] == row["group"]])
        if math.isnan(value):
            value = mean([float(r[name]) for r in rows if r["period"] == row["period"]])
        row[name] = overall if math.isnan(value) else value
        row["filled"] = [*row["filled"], name]


def generate_table(path: str | Path) -> None:
    """Write the element table from mendeleev (a maintainer's step; colim reads the result)."""
    from mendeleev import element  # noqa: PLC0415 - generator-only dependency

    def num(value: object) -> float:
        return math.nan if value is None else float(value)

    rows: list[dict[str, object]] = []
    for z in range(1, MAX_Z + 1):
        e = element(z)
        rows.append({
            "z": z, "symbol": e.symbol, "group": int(e.group_id) if e.group_id else 3, "period": int(e.period),
            "block": e.block, "en_pauling": num(e.en_pauling), "covalent_radius": num(e.covalent_radius_pyykko),
            "metallic_radius": num(e.metallic_radius), "valence_electrons": num(e.nvalence()),
            "ionization_energy": num((e.ionenergies or {}).get(1)),
            "electron_affinity": max(num(e.electron_affinity), 0.0) if e.electron_affinity is not None else math.nan,
            "polarizability": num(e.dipole_polarizability), "filled": [],
        })
    for name in CONTINUOUS:
        fill_missing(rows, name)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**{k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()},
                             "filled": ";".join(row["filled"])})


if __name__ == "__main__":
    generate_table(Path(__file__).parent / "data" / TABLE_FILE)
