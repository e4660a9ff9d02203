"""The layers point down: domain packages never import the GraphQL or HTTP layers (nor
strawberry or starlette), and no two modules of ``hub`` import each other in a circle.

Read from the source with ``ast``. For the layers every import counts, wherever it is; for
cycles, the module-level ones (those inside functions or under ``if TYPE_CHECKING:`` run later
or never, so they cannot make a cycle at import time), and an import deferred into a function
must say why in a comment.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

HUB = Path(__file__).resolve().parents[1] / "hub"
DOMAINS = ("catalogue", "identity", "sharing", "search", "auth", "sso", "models")
#: The GraphQL layer, the HTTP layer, the app that joins them, and their libraries.
UPPER = ("hub.graphql", "hub.http", "hub.app", "strawberry", "starlette")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(HUB.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_imports(path: Path) -> Iterator[tuple[str, int]]:
    """(imported module, line) for the imports that run when the module is imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:  # `from hub.x import y` may name the module hub.x.y
                yield f"{target}.{alias.name}", node.lineno
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending.extend(node.body)
            pending.extend(node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body)
            pending.extend(node.orelse)
            pending.extend(node.finalbody)
            for handler in node.handlers:
                pending.extend(handler.body)


def hub_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted(HUB.rglob("*.py"))
        if "migrations" not in path.relative_to(HUB).parts
    }


def every_import(path: Path) -> Iterator[tuple[str, int]]:
    """Every import of a module, wherever it is: at module level, in functions, or only for
    the type checker. A dependency is a dependency, whenever it is loaded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield node.module or "", node.lineno


def test_domains_never_import_the_layers_above() -> None:
    offences = []
    for name, path in hub_modules().items():
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in DOMAINS:
            continue
        for target, line in every_import(path):
            if any(target == upper or target.startswith(upper + ".") for upper in UPPER):
                offences.append(f"{path.relative_to(HUB.parent)}:{line} imports {target}")
    assert not offences, "domain packages import the layers above:\n" + "\n".join(
        sorted(set(offences))
    )


#: What the pages may not use: the GraphQL layer's internals and the domains' statements. Their
#: data comes only through the public schema (their documents, run by the ``/graphql``
#: endpoint), so that a page shows what a mobile app can get. ``hub.auth.viewer`` (who asks)
#: is the exception.
PAGES_NEVER = ("hub.graphql", "hub.catalogue", "hub.identity", "hub.sharing", "hub.search")


def test_pages_read_only_through_the_schema() -> None:
    offences = []
    for name, path in hub_modules().items():
        if not name.startswith("hub.web"):
            continue
        for target, line in every_import(path):
            if any(target == never or target.startswith(never + ".") for never in PAGES_NEVER):
                offences.append(f"{path.relative_to(HUB.parent)}:{line} imports {target}")
    for name, path in hub_modules().items():
        if name.startswith(("hub.graphql", "hub.http")) or name.split(".")[1:2] == ["models"]:
            for target, line in every_import(path):
                if target.startswith("hub.web"):
                    offences.append(f"{path.relative_to(HUB.parent)}:{line} imports {target}")
    assert not offences, "the pages' layer is crossed:\n" + "\n".join(sorted(set(offences)))


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def import_graph() -> dict[str, set[str]]:
    modules = hub_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _ in module_imports(path):
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def test_no_import_cycles() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "modules that import each other in a circle:\n" + "\n".join(
        " ⇄ ".join(cycle) for cycle in cycles
    )


def deferred_imports(path: Path) -> Iterator[tuple[str, int]]:
    """Imports of hub modules made inside functions, without a comment saying why."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("hub"):
                said = "#" in lines[inner.lineno - 1] or lines[inner.lineno - 2].strip().startswith(
                    "#"
                )
                if not said:
                    yield inner.module or "", inner.lineno


def test_imports_inside_functions_say_why() -> None:
    found = [
        f"{path.relative_to(HUB.parent)}:{line} imports {target}"
        for path in hub_modules().values()
        for target, line in deferred_imports(path)
    ]
    assert not found, "imports deferred into functions without a reason:\n" + "\n".join(found)


def renamed_model_imports(path: Path) -> Iterator[str]:
    """``from hub.models… import X as Y``: a table or vocabulary under another name."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hub.models"):
            for alias in node.names:
                if alias.asname is not None:
                    where = f"{path.relative_to(HUB.parent)}:{node.lineno}"
                    yield f"{where} {alias.name} as {alias.asname}"


def test_tables_keep_their_names() -> None:
    """A table and the GraphQL type shown to clients may share a name (``Org``); a module that
    needs both writes ``models.Org`` (``from hub import models``) instead of renaming either."""
    renamed = [r for path in hub_modules().values() for r in renamed_model_imports(path)]
    assert not renamed, "renamed imports from hub.models:\n" + "\n".join(renamed)


def test_the_checks_can_fail() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
