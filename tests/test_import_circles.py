"""No import circles among the modules of ``bnntut`` and ``bnnbook``.

Every import counts, also one inside a function (it only defers the circle to the first call);
imports under ``if TYPE_CHECKING:`` do not run and are left out.  The source is parsed, not
imported, so that the test sees every import."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("bnntut", "bnnbook")
#: Imports (importer, imported) that close a circle of the book's package and are yet to be
#: removed: without them the graph has no circle.  A new circle fails the test, and so does
#: one of these once it no longer closes a circle (strike it from here then).  None is left.
KNOWN_BACK_EDGES: set[tuple[str, str]] = set()


def _module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every ``Import`` / ``ImportFrom`` node of ``tree`` outside ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (i for child in node.orelse for i in _imports(child))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def import_graph(root: pathlib.Path, packages=PACKAGES) -> dict[str, set[str]]:
    """``{module: modules it imports}`` among the modules of ``packages`` under ``root``."""
    files = {_module_name(p, root): p for package in packages
             for p in (root / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                base = package.split(".")[: len(package.split(".")) - node.level + 1] \
                    if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                candidates = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            for candidate in candidates:
                # ``import a.b.c`` runs a, a.b and a.b.c
                parts = candidate.split(".")
                targets |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(files)
        targets.discard(name)
        graph[name] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _describe(circle: frozenset[str], graph: dict[str, set[str]]) -> str:
    return "; ".join(f"{m} imports {', '.join(sorted(graph[m] & circle))}"
                     for m in sorted(circle))


def test_the_library_has_no_import_circle():
    graph = import_graph(ROOT, ("bnntut",))
    assert not circles(graph), [_describe(c, graph) for c in circles(graph)]


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        v = todo.pop()
        if v == goal:
            return True
        if v not in seen:
            seen.add(v)
            todo.extend(graph.get(v, ()))
    return False


def test_the_books_package_has_no_import_circle_beyond_the_known_ones():
    graph = import_graph(ROOT)
    pruned = {m: {t for t in targets if (m, t) not in KNOWN_BACK_EDGES}
              for m, targets in graph.items()}
    found = circles(pruned)
    assert not found, f"import circles: {[_describe(c, pruned) for c in found]}"
    gone = [(a, b) for a, b in sorted(KNOWN_BACK_EDGES)
            if b not in graph.get(a, ()) or not _reaches(graph, b, a)]
    assert not gone, f"no longer closing a circle, strike from KNOWN_BACK_EDGES: {gone}"


@pytest.mark.parametrize("late", [False, True])
def test_a_circle_is_found_also_through_an_import_inside_a_function(tmp_path, late):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    inner = "def f():\n    from .a import x\n" if late else "from pkg.a import x\n"
    (package / "b.py").write_text(inner)
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.c"] == set()                  # type-checking imports do not run
    assert circles(graph) == {frozenset({"pkg.a", "pkg.b"})}
