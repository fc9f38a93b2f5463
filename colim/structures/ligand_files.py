"""Ligand list files: ``.smi`` (``SMILES [name]`` per line) and ``.csv`` (``smiles,name,family``) ligand
lists, and ligand-set files (one ``A.B [r1:r2]`` per line). Shared by the dataset builder (negative
pools) and the ligand library.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from colim.errors import LibraryError, LigandError
from colim.structures.families import FAMILIES, ligand_family
from colim.structures.ligand_input import parse_user_set, user_ligand_smiles
from colim.structures.ligands import LigandSet, canonical_smiles


@dataclass(frozen=True)
class Ligand:
    """One library ligand: canonical SMILES, a display name and a family."""

    smiles: str
    name: str
    family: str


def _strip_comment(line: str) -> str:
    """``line`` without its ``#`` comment: one starts the line or follows whitespace, since SMILES
    use ``#`` for triple bonds (``[C]#Cc1ccccc1``)."""
    return re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()


def read_text_file(target: Path, what: str) -> str:
    """The UTF-8 text of ``target`` (a BOM is dropped); a binary or non-UTF-8 file is one LibraryError naming it."""
    data = target.read_bytes()
    if b"\x00" in data[:4096]:
        raise LibraryError(f"{target}: a binary file, not a {what} (expected UTF-8 text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LibraryError(f"{target}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the {what} as UTF-8") from None


def _delimiter_hint(header: str) -> str:
    for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if sep in header and "smiles" in header.lower():
            return f" (its header is separated by {name}: save it with commas)"
    return ""


def read_ligand_file(path: str | os.PathLike, normalise: bool = True) -> list[Ligand]:
    """Ligands from ``.smi`` (``SMILES [name]`` per line, ``#`` comments) or ``.csv`` (columns ``smiles``,
    optional ``name`` and ``family``). SMILES are canonicalised; duplicates keep their first name. With
    ``normalise`` (libraries) they are brought to colim's radical convention or refused
    (:mod:`colim.structures.ligand_input`); the dataset builder's negative pools are read as written."""
    target = Path(path)
    if not target.is_file():
        raise LibraryError(f"{target}: no such ligand file")
    rows: list[tuple[int, str, str, str]] = []
    if target.suffix.lower() == ".csv":
        text = read_text_file(target, "ligand list")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        if "smiles" not in fields:
            raise LibraryError(f"{target}: a ligand CSV needs a 'smiles' column{_delimiter_hint(text.partition(chr(10))[0])}")
        for number, row in enumerate(reader, start=2):
            rows.append((number, row[fields["smiles"]] or "", row.get(fields.get("name", ""), "") or "", row.get(fields.get("family", ""), "") or ""))
    else:
        for number, line in enumerate(read_text_file(target, "ligand list").splitlines(), start=1):
            text = _strip_comment(line)
            if text and not (number == 1 and text.split()[0].lower() == "smiles"):
                parts = text.split(None, 1)
                rows.append((number, parts[0], parts[1].strip() if len(parts) > 1 else "", ""))
    out: dict[str, Ligand] = {}
    for number, smi, name, family in rows:
        try:
            canon = user_ligand_smiles(smi) if normalise else canonical_smiles(smi)
        except LigandError as exc:
            raise LibraryError(f"{target}:{number}: {exc}") from None
        label = family.strip().lower()
        if label and label not in FAMILIES:  # an unknown label would silently count as "other" in the set rules
            raise LibraryError(f"{target}:{number}: unknown ligand family '{family.strip()}'; use one of {', '.join(FAMILIES)}, "
                               "or leave the cell empty for colim to perceive it")
        if canon not in out:
            out[canon] = Ligand(canon, name or canon, label or ligand_family(canon))
    if not out:
        raise LibraryError(f"{target}: no ligands found")
    return list(out.values())


def read_set_file(path: str | os.PathLike) -> list[LigandSet]:
    """Ligand sets, one per line (``A.B`` or ``A.B 12:3``; ``#`` comments)."""
    target = Path(path)
    if not target.is_file():
        raise LibraryError(f"{target}: no such ligand set file")
    sets = []
    for number, line in enumerate(read_text_file(target, "ligand set file").splitlines(), start=1):
        text = _strip_comment(line)
        if text:
            try:
                sets.append(parse_user_set(text))
            except LigandError as exc:
                raise LibraryError(f"{target}:{number}: {exc}") from None
    return sets
