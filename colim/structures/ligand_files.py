"""Ligand list files: ``.smi`` (``SMILES [name]`` per line) and ``.csv`` (``smiles,name,family``) ligand
lists, and ligand-set files (one ``A.B [r1:r2]`` per line). Shared by the dataset builder (negative
pools) and the ligand library.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from colim.errors import LibraryError, LigandError
from colim.structures.families import FAMILIES, ligand_family
from colim.structures.ligand_input import parse_user_set, user_ligand_smiles
from colim.structures.rdkit_interrupts import honour_interrupts
from colim.structures.ligands import LigandSet, canonical_smiles


@dataclass(frozen=True)
class Ligand:
    """One library ligand: canonical SMILES, a display name and a family."""

    smiles: str
    name: str
    family: str
    #: the line of the ligand file it came from (0 when it came from elsewhere), to name it in errors.
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Reject:
    """A ligand colim cannot use: its line in the ligand file (or 1-based position in a list), SMILES and why."""

    line: int
    smiles: str
    reason: str


def rejects_message(source: str | os.PathLike, rejects: Sequence[Reject], hint: str = "") -> str:
    """One line naming the first bad ligand as ``file:line: reason`` and the lines of every other one."""
    first = rejects[0]
    text = f"{source}:{first.line}: {first.reason}"
    if len(rejects) > 1:
        text += f"; {len(rejects) - 1} more ligand(s) colim cannot use, on line(s) {', '.join(str(r.line) for r in rejects[1:])}"
    return text + hint


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


def read_ligand_file(path: str | os.PathLike, normalise: bool = True, keep_rejects: list[Reject] | None = None) -> list[Ligand]:
    """Ligands from ``.smi`` (``SMILES [name]`` per line, ``#`` comments) or ``.csv`` (columns ``smiles``,
    optional ``name`` and ``family``). SMILES are canonicalised; duplicates keep their first name. With
    ``normalise`` (libraries) they are brought to colim's radical convention or refused
    (:mod:`colim.structures.ligand_input`); the dataset builder's negative pools are read as written.
    Ligands colim refuses are one error naming every bad line, unless ``keep_rejects`` is a list: then it is
    appended there (:class:`Reject`) and the rest are returned."""
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
    with honour_interrupts():  # a Ctrl-C inside RDKit's substructure search would leave a wrong family
        out, rejects = _normalise_rows(target, rows, normalise)
    if rejects and keep_rejects is None:
        raise LibraryError(rejects_message(target, rejects))
    if not out and not rejects:
        raise LibraryError(f"{target}: no ligands found")
    if keep_rejects is not None:
        keep_rejects.extend(rejects)
    return list(out.values())


def _normalise_rows(target: Path, rows: list[tuple[int, str, str, str]], normalise: bool) -> tuple[dict[str, Ligand], list[Reject]]:
    out: dict[str, Ligand] = {}
    rejects: list[Reject] = []
    for number, smi, name, family in rows:
        try:
            canon = user_ligand_smiles(smi) if normalise else canonical_smiles(smi)
        except LigandError as exc:  # collected: every bad line is named at once
            rejects.append(Reject(number, smi, str(exc)))
            continue
        label = family.strip().lower()
        if label and label not in FAMILIES:  # an unknown label would silently count as "other" in the set rules
            raise LibraryError(f"{target}:{number}: unknown ligand family '{family.strip()}'; use one of {', '.join(FAMILIES)}, "
                               "or leave the cell empty for colim to perceive it")
        if canon not in out:
            out[canon] = Ligand(canon, name or canon, label or ligand_family(canon), number)
    return out, rejects


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
