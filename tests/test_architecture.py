"""The import structure is the documented one (docs/architecture.md): every module placed in a
layer, no import against the layers, no import cycle, Typer and rich only where they belong,
no module over 500 lines without a reason written down. Imports are read with ``ast`` (those
inside functions and under ``TYPE_CHECKING`` included), so nothing is imported or run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "src" / "pilkada_cli"
DOC = REPO / "docs" / "architecture.md"
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    """Dotted module name (without ``pilkada_cli.``; the package itself is ``pilkada_cli``)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts) or "pilkada_cli"] = path
    return out


MODULES = _modules()


def _target(dotted: str) -> str | None:
    """The module of ours that ``dotted`` (pilkada_cli.x.y[.name]) names, if any."""
    if dotted == "pilkada_cli":
        return "pilkada_cli"
    if not dotted.startswith("pilkada_cli."):
        return None
    name = dotted[len("pilkada_cli."):]
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or "pilkada_cli"


def imports_of(module: str) -> dict[str, int]:
    """Our modules that ``module`` imports, each with the line of its first import. ``from
    package import name`` counts as importing the submodule when ``name`` is one (as Python
    resolves it), so a package's ``__init__`` is not a dependency of its every submodule."""
    found: dict[str, int] = {}

    def add(dotted: str, line: int) -> None:
        target = _target(dotted)
        if target is not None and target != module:
            found.setdefault(target, line)

    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{module}:{node.lineno}: a relative import (write it whole)"
            base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                add(full if _target(full) == full.removeprefix("pilkada_cli.") else base,
                    node.lineno)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def _doc_section(title: str) -> list[list[str]]:
    """The rows of the first table after the ``## title`` heading, as lists of cells."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]


def _layers() -> list[tuple[str, list[str]]]:
    """(layer, its modules) from the top layer down. docs/architecture.md names each layer's
    folders (``x/``: every module under ``src/pilkada_cli/x``) and the few modules at the
    package's root (``__init__`` is the package itself); the modules come from the folders."""
    out = []
    for layer, cell in _doc_section("Layers"):
        names: list[str] = []
        for spec in re.findall(r"`([^`]+)`", cell):
            if spec.endswith("/"):
                stem = spec.rstrip("/").replace("/", ".")
                names += [m for m in MODULES if m == stem or m.startswith(stem + ".")]
            else:
                names.append("pilkada_cli" if spec == "__init__" else spec)
        out.append((layer, list(dict.fromkeys(names))))
    return out


LAYERS = _layers()
RANK = {module: rank for rank, (_layer, names) in enumerate(reversed(LAYERS)) for module in names}
LAYER_OF = {module: layer for layer, names in LAYERS for module in names}
ROOT = {"pilkada_cli", "entry", "__main__"}  # the package itself and the console script's door


def test_every_module_is_in_one_layer_folder() -> None:
    placed = [m for _layer, names in LAYERS for m in names]
    assert [layer for layer, _names in LAYERS] == [
        "cli", "application", "output", "storage", "domain", "base"]
    assert sorted(set(placed) - set(MODULES)) == [], "the doc names modules that do not exist"
    assert sorted(set(MODULES) - set(placed)) == [], "a module outside every layer's folder"
    assert len(placed) == len(set(placed)), "a module placed twice"
    # only the package itself and the console script's door live at the root: every other
    # module is in its layer's folder
    assert sorted(m for m, path in MODULES.items() if path.parent == PACKAGE) == sorted(ROOT)


def test_each_layer_folder_says_what_it_holds_and_may_import() -> None:
    folders = {spec.rstrip("/") for _layer, cell in _doc_section("Layers")
               for spec in re.findall(r"`([^`]+/)`", cell)}
    assert {"cli", "app", "render", "report", "sheet", "storage", "domain", "base"} <= folders
    for folder in folders:
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text("utf-8")))
        assert doc, f"{folder}/__init__.py has no docstring"


def test_no_import_goes_up_a_layer() -> None:
    wrong = [f"{m} ({LAYER_OF[m]}) imports {t} ({LAYER_OF[t]}) at line {line}"
             for m, targets in GRAPH.items() for t, line in targets.items()
             if RANK[t] > RANK[m]]
    assert wrong == []


def test_there_is_no_import_cycle() -> None:
    """Tarjan's strongly connected components: any component of two or more is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert cycles == []


def test_the_checks_catch_what_they_are_for() -> None:
    """The graph sees imports inside functions and under TYPE_CHECKING, and the journal does
    not import the cache (the cycle this structure removed) while the cache reads through it."""
    assert "storage.cache.folds" in GRAPH["app.loading"]  # a module-level import
    assert "storage.journal" in GRAPH["cli.actions"]  # an import inside a function
    assert "domain.workspace" in GRAPH["storage.cache.folds"]  # an import under TYPE_CHECKING
    assert "storage.journal" in GRAPH["storage.cache.columns"]
    assert not any(t.startswith("storage.cache") for t in GRAPH["storage.journal"])
    assert not any(t.startswith("storage.cache") for t in GRAPH["storage.recordfile"])
    assert "cli" not in GRAPH["cli.status"]  # commands register on cli.app, not the package


def _commands() -> set[str]:
    """The modules of cli/ that register commands (``@….command(``)."""
    return {m for m, path in MODULES.items() if m.startswith("cli.")
            and ".command(" in path.read_text(encoding="utf-8")}


def test_commands_only_parse_and_call() -> None:
    """No command module imports another: what two commands share lives in a helper module of
    cli/ (the session, options, actions, fill-ins, the readiness view) or in the application
    layer, not in a command's module."""
    commands = _commands()
    assert {"cli.status", "cli.records", "cli.share", "cli.sync", "cli.demo", "cli.sheet",
            "cli.setup"} <= commands
    wrong = [f"{m} imports {t} at line {line}" for m in sorted(commands)
             for t, line in GRAPH[m].items() if t in commands]
    assert wrong == []


def _third_party(module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(("library", "allowed"), [("typer", ("cli",)), ("click", ()),
                                                  ("rich", ("cli", "render"))])
def test_libraries_stay_in_their_layer(library: str, allowed: tuple[str, ...]) -> None:
    users = [m for m in MODULES if library in _third_party(m)]
    assert [m for m in users if m.split(".")[0] not in allowed] == []


def test_long_modules_say_why() -> None:
    explained = {re.sub(r"`", "", row[0]) for row in _doc_section("Long modules")}
    long = {m for m, path in MODULES.items()
            if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES}
    assert sorted(long - explained) == [], f"over {MAX_LINES} lines with no reason in the doc"
    assert sorted(explained - long) == [], "the doc explains a module that is no longer long"
