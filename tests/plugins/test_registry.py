"""Plugin registry behaviour: entry-point discovery, duplicate names, unknown names, allow-list."""

from __future__ import annotations

import sys
import textwrap

import pytest

from colim.errors import DuplicatePluginError, UnknownPluginError
from colim.plugins.builtin.fingerprint import FingerprintLigandEncoder
from colim.plugins.manager import all_plugins, edit_operators, ligand_encoders, registry
from colim.plugins.registry import PluginSource


def make_distribution(tmp_path, dist_name: str, module: str, body: str, ep_name: str | None = None):
    """Write a throwaway installed distribution (module + dist-info with a colim entry point)."""
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(body))
    info = tmp_path / f"{dist_name}-0.3.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 0.3.1\n")
    (info / "entry_points.txt").write_text(f"[colim]\n{ep_name or module} = {module}\n")
    return tmp_path


NEW_OPERATOR = """
    from colim import Registrar, hookimpl
    from colim.editing import EditOperator

    class Mirror(EditOperator):
        '''Reflect the core through its centre (test plugin).'''
        name = "mirror"

    @hookimpl
    def colim_register_edit_operators(register: Registrar[EditOperator]):
        register.add(Mirror)
"""


@pytest.fixture
def on_path(monkeypatch):
    def add(path):
        monkeypatch.syspath_prepend(str(path))

    yield add
    for name in ["colim_mirror_plugin", "colim_clash_plugin"]:
        sys.modules.pop(name, None)


def test_entry_point_plugin_is_found_by_name(tmp_path, on_path, fresh_plugins):
    on_path(make_distribution(tmp_path, "colim-mirror", "colim_mirror_plugin", NEW_OPERATOR))
    entry = edit_operators().entry("mirror")
    assert entry.cls.__name__ == "Mirror"
    assert entry.source == PluginSource("colim-mirror", "0.3.1")
    assert any(p.name == "mirror" and p.kind == "edit operator" for p in all_plugins())


def test_allow_list_skips_unlisted_third_party_plugins(tmp_path, on_path, fresh_plugins, monkeypatch):
    on_path(make_distribution(tmp_path, "colim-mirror", "colim_mirror_plugin", NEW_OPERATOR))
    monkeypatch.setenv("COLIM_LOAD_PLUGINS", "")
    assert "mirror" not in edit_operators()
    assert "fingerprint" in ligand_encoders()  # built-ins always load


def test_duplicate_name_fails_naming_both_sources(tmp_path, on_path, fresh_plugins):
    body = """
        from colim import Registrar, hookimpl
        from colim.encoders import LigandEncoder
        from colim.plugins.builtin.fingerprint import FingerprintLigandEncoder

        class Impostor(FingerprintLigandEncoder):
            name = "fingerprint"

        @hookimpl
        def colim_register_ligand_encoders(register: Registrar[LigandEncoder]):
            register.add(Impostor)
    """
    on_path(make_distribution(tmp_path, "colim-clash", "colim_clash_plugin", body))
    with pytest.raises(DuplicatePluginError) as info:
        ligand_encoders()
    message = str(info.value)
    assert "ligand encoder 'fingerprint' is registered twice" in message
    assert "colim 0.1.0 (colim.plugins.builtin.fingerprint.FingerprintLigandEncoder)" in message
    assert "colim-clash 0.3.1 (colim_clash_plugin.Impostor)" in message


def test_unknown_name_lists_valid_choices(fresh_plugins):
    with pytest.raises(UnknownPluginError) as info:
        ligand_encoders().get("unimoll")
    assert str(info.value).startswith("unknown ligand encoder 'unimoll'; choose from: ")
    assert "fingerprint" in str(info.value)


def test_test_registered_class_can_be_removed_again(fresh_plugins):
    class Tiny(FingerprintLigandEncoder):
        name = "tiny-fp"

    reg = registry("ligand encoder")
    reg.add(Tiny, PluginSource("tests", "0"))
    try:
        assert reg.get("tiny-fp") is Tiny
    finally:
        reg.remove("tiny-fp")
    assert "tiny-fp" not in reg
