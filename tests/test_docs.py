"""Nothing goes undocumented: every CLI command, every hook and every built-in plugin has its place in docs/.

In the style of datasette's tests/test_docs.py: the lists are collected from the code itself (the click
tree, the hookspecs module, the plugin registries), so a new command, hook or plugin fails here until
its documentation is written.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest

from colim.cli import cli
from colim.plugins import hookspecs
from colim.plugins.manager import all_plugins, reset_plugins

DOCS = Path(__file__).resolve().parents[1] / "docs"


def command_paths(command: click.Command, prefix: str = "colim") -> list[str]:
    """Every command and sub-command below ``command`` (groups included), as ``"colim a b"`` paths."""
    paths = []
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            sub = command.commands[name]
            if getattr(sub, "hidden", False):
                continue
            paths.append(f"{prefix} {name}")
            paths.extend(command_paths(sub, f"{prefix} {name}"))
    return paths


def hook_names() -> list[str]:
    """The hooks declared in colim/plugins/hookspecs.py (functions carrying pluggy's ``colim_spec`` marker)."""
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, marker))


def headings(path: Path) -> list[str]:
    """The markdown headings of ``path`` without their ``#`` marks."""
    return [line.lstrip("#").strip() for line in path.read_text().splitlines() if re.match(r"#{1,6} ", line)]


def builtin_plugins() -> list[tuple[str, str]]:
    """(kind, name) of every plugin registered by colim itself (not by an installed third-party package)."""
    reset_plugins()
    try:
        return sorted((p.kind, p.name) for p in all_plugins() if p.source.package == "colim")
    finally:
        reset_plugins()


#: pages that introduce colim; a plugin mentioned only there is not documented yet.
OVERVIEW_PAGES = {"index.md", "quickstart.md", "concepts.md"}


def reference_docs_text() -> str:
    """The text of every docs page except the overview pages (reference pages document plugins)."""
    return "\n".join(path.read_text() for path in sorted(DOCS.glob("*.md")) if path.name not in OVERVIEW_PAGES)


COMMANDS = command_paths(cli)
HOOKS = hook_names()
BUILTINS = builtin_plugins()


def test_the_walk_finds_commands_and_hooks():
    assert "colim plugins" in COMMANDS
    assert "colim_register_core_encoders" in HOOKS
    assert ("ligand encoder", "fingerprint") in BUILTINS


@pytest.mark.parametrize("path", COMMANDS)
def test_every_command_has_a_section_in_cli_md(path):
    assert path in headings(DOCS / "cli.md"), f"docs/cli.md has no '## {path}' section"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_in_plugins_md(hook):
    assert any(re.search(rf"\b{hook}\b", heading) for heading in headings(DOCS / "plugins.md")), (
        f"docs/plugins.md has no heading naming the hook {hook}"
    )


@pytest.mark.parametrize(("kind", "name"), BUILTINS, ids=[f"{k}:{n}" for k, n in BUILTINS])
def test_every_builtin_plugin_is_mentioned_in_the_docs(kind, name):
    assert f"`{name}`" in reference_docs_text(), (
        f"the built-in {kind} '{name}' is not mentioned (as `{name}`) in any reference page of docs/ (e.g. encoders.md, editing.md)"
    )


def test_the_example_plugins_are_the_plugin_tutorials():
    text = (DOCS / "plugins.md").read_text()
    for name in ("`coulomb-eigen`", "`breathe`", "plugins/colim-examples"):
        assert name in text


def test_index_links_every_docs_page():
    index = (DOCS / "index.md").read_text()
    linked = set(re.findall(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)", index))
    pages = {path.name for path in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= linked, f"docs/index.md does not link {sorted(pages - linked)}"


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_relative_links_resolve(page):
    text = (DOCS / page).read_text()
    for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text):
        assert (DOCS / target).exists(), f"docs/{page} links to {target}, which does not exist"
