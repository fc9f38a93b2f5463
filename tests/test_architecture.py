"""The import drawing of colim/ (docs/architecture.md): no cycle, every import down the flow, a CLI that only
parses, calls the API and prints, and no function over 80 lines.

The imports are read from the source with ``ast`` (module level and inside functions alike: an import in a
function is still an edge; only ``if TYPE_CHECKING:`` blocks, which never run, are left out).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "colim"

#: floors of the house, bottom (0) to top; a module imports only from its own floor or below. The most specific
#: prefix names a module's floor. Keep in step with the picture in docs/architecture.md.
FLOORS: dict[str, int] = {
    # 0 base: errors, constants, the plugin machinery (which names no base class: the hookspecs say the kinds)
    "colim": 0, "colim.errors": 0, "colim.version": 0, "colim.keys": 0, "colim.hashing": 0, "colim.choices": 0,
    "colim.notes": 0, "colim.progress": 0, "colim.defaults": 0,
    "colim.plugins": 0, "colim.plugins.hookspecs": 0, "colim.plugins.registry": 0, "colim.plugins.manager": 0,
    # 1 files: atomic outputs, locks, structure readers, the file table; adapters to outside libraries
    "colim.io": 1, "colim.ext": 1,
    # 2 structures: cores and ligands as ase.Atoms and SMILES
    "colim.structures": 2,
    # 3 encoders: the base classes and shared layers of every encoder
    "colim.encoders": 3,
    # 4 data: libraries, datasets, pretraining sets on disk
    "colim.libraries": 4, "colim.dataset": 4, "colim.pretrain_data": 4,
    # 5 model: the dual encoder, its checkpoints and its applicability-domain reference
    "colim.model": 5,
    # 6 colim's own formats in io: core sources, edited-core writers and hit tables read and write libraries and datasets
    "colim.io.core_sources": 6, "colim.io.edited_cores": 6, "colim.io.hit_tables": 6,
    # 7 jobs: editing, screening, training, evaluation, reports; the built-in plugins and the contract tests
    "colim.editing": 7, "colim.screening": 7, "colim.training": 7, "colim.evaluation": 7, "colim.report": 7,
    "colim.demo": 7, "colim.plugins.builtin": 7, "colim.plugins.testing": 7,
    # 8 the API, 9 the command line
    "colim.api": 8, "colim.cli": 9, "colim.__main__": 9,
}

#: imports against the flow that stay, each with its reason (docs/architecture.md lists them too).
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    # the plugin API: a plugin imports `hookimpl` and `Registrar` from the colim root, which re-exports them from floor 0
    # (the root loads colim.api lazily, by name, so `import colim` stays light): nothing to list.
}

#: what a colim/cli module may import from colim.
CLI_MAY_IMPORT = ("colim.api", "colim.errors", "colim.cli")
MAX_FUNCTION_LINES = 80


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skipped


def imported_names(module: str) -> list[tuple[str, int]]:
    """Every name ``module`` imports (``a.b`` for ``import a.b``; ``a.b`` and ``a.b.c`` for ``from a.b import c``), with its line."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names += [(base, node.lineno)] + [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return names


def colim_imports(module: str) -> dict[str, int]:
    """The colim modules ``module`` imports, with the line of the import."""
    out: dict[str, int] = {}
    for name, line in imported_names(module):
        if name in MODULES and name != module:
            out.setdefault(name, line)
    return out


GRAPH = {m: colim_imports(m) for m in MODULES}


def floor(module: str) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in FLOORS:
            return FLOORS[".".join(parts[:n])]
    raise KeyError(module)


def test_every_module_has_a_floor():
    unplaced = [m for m in MODULES if not any(m == p or m.startswith(p + ".") for p in FLOORS if p != "colim") and m != "colim"]
    assert unplaced == [], f"give these modules a floor in FLOORS (and docs/architecture.md): {unplaced}"


def test_no_import_cycle():
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for m in sorted(GRAPH):
        if m not in state:
            visit(m)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_imports_run_down_the_flow():
    upward = [f"{m}:{line} imports {n} (floor {floor(m)} -> {floor(n)})"
              for m, deps in sorted(GRAPH.items()) for n, line in sorted(deps.items())
              if floor(n) > floor(m) and (m, n) not in ALLOWED_UPWARD]
    assert upward == [], "imports against the flow:\n" + "\n".join(upward)


def test_the_allowed_exceptions_are_still_needed_and_documented():
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for (m, n) in ALLOWED_UPWARD:
        assert n in GRAPH[m], f"{m} no longer imports {n}: drop it from ALLOWED_UPWARD"
        assert m in doc and n in doc, f"docs/architecture.md must list the exception {m} -> {n} with its reason"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("colim.cli")))
def test_cli_modules_import_only_the_api_the_errors_click_and_the_standard_library(module):
    bad = []
    for name, line in imported_names(module):
        top = name.split(".")[0]
        if top == "colim":
            if name != "colim" and not any(name == p or name.startswith(p + ".") for p in CLI_MAY_IMPORT):
                bad.append(f"line {line}: {name}")
        elif top not in ("click", "__future__") and top not in sys.stdlib_module_names:
            bad.append(f"line {line}: {name}")
    assert bad == [], f"{module} may import only colim.api, colim.errors, colim.cli.*, click and the standard library: {bad}"


def test_no_function_over_80_lines():
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1  # from `def` to the last line, docstring included
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{module}.{node.name} ({lines} lines)")
    assert long == [], f"functions over {MAX_FUNCTION_LINES} lines: {long}"
