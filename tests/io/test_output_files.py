"""Atomic outputs: nothing half-written, existing files refused, normal file modes."""

import os

import pytest

from colim.errors import OutputExistsError
from colim.io.output_files import atomic_output


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_refused_unless_overwrite(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(OutputExistsError, match=f"^{target} exists; pass --overwrite to replace it$"):
        with atomic_output(target) as tmp:
            tmp.write_text("new")
    assert target.read_text() == "old"
    with atomic_output(target, overwrite=True) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"


def test_output_gets_the_usual_file_mode(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_output(target) as tmp:
        tmp.write_text("x")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
