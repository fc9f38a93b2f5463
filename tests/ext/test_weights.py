"""The weights cache: atomic import with sha256, verification that catches tampering, a manifest, a CLI."""

from __future__ import annotations

import hashlib
import json
import sysconfig

import pytest
from click.testing import CliRunner

from colim.cli import cli
from colim.errors import WeightsError
from colim.ext.weights import MANIFEST_NAME, import_weights, list_weights, resolve_weights, verify_weights, weights_dir

#: a stand-in weights payload: real bytes whose sha256 the test computes independently.
PAYLOAD = bytes(range(256)) * 4096


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("COLIM_WEIGHTS_DIR", str(folder))
    return folder


@pytest.fixture
def weights_file(tmp_path):
    source = tmp_path / "download" / "mol_pre_all_h_220816.pt"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    (source.parent / "mol.dict.txt").write_text("[PAD]\n[CLS]\n[SEP]\n[UNK]\nC\nN\nO\nS\nH\n")
    return source


def test_import_copies_and_records_sha256_size_source_and_date(cache, weights_file):
    entry = import_weights(weights_file)
    assert entry.name == "unimol_mol"
    assert entry.sha256 == hashlib.sha256(PAYLOAD).hexdigest()
    assert entry.size == len(PAYLOAD)
    assert entry.source == str(weights_file.resolve())
    assert (cache / entry.file).read_bytes() == PAYLOAD
    assert entry.dictionary is not None and (cache / entry.dictionary.file).read_text().startswith("[PAD]")
    manifest = json.loads((cache / MANIFEST_NAME).read_text())
    (record,) = manifest["weights"]
    assert record["sha256"] == entry.sha256 and record["imported"][:4].isdigit()
    assert not [p for p in cache.rglob("*.part")]
    assert [e.name for e in list_weights()] == ["unimol_mol"]


def test_verify_catches_a_modified_file(cache, weights_file):
    entry = import_weights(weights_file, name="mine")
    (resolved,) = verify_weights(["mine"])
    assert resolved.path == cache / entry.file
    (cache / entry.file).write_bytes(PAYLOAD[:-1] + b"\x00")
    actual = hashlib.sha256(PAYLOAD[:-1] + b"\x00").hexdigest()
    with pytest.raises(WeightsError) as info:
        verify_weights()
    assert str(info.value) == f"weights 'mine' fail verification: sha256 of {cache / entry.file} is {actual[:12]}, the manifest records {entry.sha256[:12]}"
    with pytest.raises(WeightsError):
        resolve_weights("mine")


def test_reimport_of_other_weights_needs_overwrite(cache, weights_file, tmp_path):
    first = import_weights(weights_file)
    assert import_weights(weights_file).sha256 == first.sha256  # same content: fine
    other = tmp_path / "other.pt"
    other.write_bytes(b"other weights")
    with pytest.raises(WeightsError) as info:
        import_weights(other)
    assert str(info.value) == f"weights 'unimol_mol' already hold other weights (sha256 {first.sha256[:12]}); pass --overwrite to replace them"
    replaced = import_weights(other, overwrite=True)
    assert replaced.sha256 == hashlib.sha256(b"other weights").hexdigest()
    assert not (cache / first.file).exists()  # the old file went with its entry
    assert resolve_weights("unimol_mol").path.read_bytes() == b"other weights"


def test_the_cache_never_lives_in_site_packages(monkeypatch):
    site = sysconfig.get_paths()["purelib"]
    monkeypatch.setenv("COLIM_WEIGHTS_DIR", f"{site}/colim_weights")
    with pytest.raises(WeightsError, match=r"^COLIM_WEIGHTS_DIR=.*colim_weights lies inside site-packages \(.*\); choose a folder outside the Python installation$"):
        weights_dir()


def test_missing_files_and_names_are_one_line_errors(cache, tmp_path):
    with pytest.raises(WeightsError) as info:
        import_weights(tmp_path / "nope.pt")
    assert str(info.value) == f"weights file {tmp_path / 'nope.pt'} does not exist"
    with pytest.raises(WeightsError) as info:
        verify_weights(["unimol_mol"])
    assert str(info.value) == f"no weights named 'unimol_mol' in {cache.resolve()}; imported: (none)"


def test_cli_import_list_verify(cache, weights_file):
    runner = CliRunner()
    result = runner.invoke(cli, ["weights", "import", str(weights_file), "--name", "unimol_mol"])
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    assert f"sha256 {sha}" in result.output and "with dictionary unimol_mol/mol.dict.txt" in result.output
    listing = runner.invoke(cli, ["weights", "list"])
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[1].split() == ["name", "size", "sha256", "imported", "dictionary", "source"]
    assert lines[3].split()[:4] == ["unimol_mol", "1.0", "MiB", sha[:12]]
    assert runner.invoke(cli, ["weights", "verify"]).output == f"ok  unimol_mol  {sha}\n"
    (cache / "unimol_mol" / weights_file.name).write_bytes(b"tampered")
    failed = runner.invoke(cli, ["weights", "verify", "unimol_mol"])
    assert failed.exit_code == 1
    assert failed.output.startswith("Error: weights 'unimol_mol' fail verification: sha256 of ")
    assert len(failed.output.strip().splitlines()) == 1
