"""The layout's promises, read off the source: dependencies point inward, and nothing imports in
a circle. What Lambda runs (domain/, service.py, adapters/, function/) imports nothing else of
the package; the data about AWS (deployment/) and the OpenAPI document import no emulator."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.paths import ROOT

SOURCE = ROOT / "src"
PACKAGE = "orders_api"

SHIPPED_TO_LAMBDA = ("domain", "service", "adapters", "function")
MAY_NOT_IMPORT: dict[str, tuple[str, ...]] = {
    "domain": ("service", "adapters", "function", "deployment", "openapi", "twin", "cli", "cost"),
    "service": ("adapters", "function", "deployment", "openapi", "twin", "cli", "cost"),
    "adapters": ("service", "function", "deployment", "openapi", "twin", "cli", "cost"),
    "function": ("deployment", "openapi", "twin", "cli", "cost"),
    "deployment": ("openapi", "twin", "cli", "cost"),
    "openapi": ("twin", "cli", "cost"),
    "twin": ("cli", "cost"),
    "cost": ("openapi", "twin", "cli"),
}
"""For each part of the package, the parts it may not import (its outer layers)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in (SOURCE / PACKAGE).rglob("*.py")}


def _imported(module: str, path: Path) -> Iterator[str]:
    """The package's modules that `module` imports, anywhere in its source."""
    modules = _modules()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        yield from (name for name in names if name in modules and name != module)


@cache
def _graph() -> dict[str, frozenset[str]]:
    return {module: frozenset(_imported(module, path)) for module, path in _modules().items()}


def _part(module: str) -> str:
    """The top-level part of the package a module belongs to: `twin`, `service`, `openapi`..."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("part", sorted(MAY_NOT_IMPORT))
def test_each_part_imports_nothing_from_its_outer_layers(part: str) -> None:
    forbidden = MAY_NOT_IMPORT[part]
    offending = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if _part(module) == part
        for target in targets
        if _part(target) in forbidden
    )
    assert offending == []


def test_what_ships_to_lambda_is_named_by_the_layout() -> None:
    shipped = {module for module in _graph() if _part(module) in SHIPPED_TO_LAMBDA}
    assert {"orders_api.function.handler", "orders_api.domain", "orders_api.service"} <= shipped
    reached = {
        target
        for module in shipped
        for target in _graph()[module]
        if _part(target) not in (*SHIPPED_TO_LAMBDA, "")
    }
    assert reached == set()


def test_no_module_imports_itself_in_a_circle() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert circles == []


def test_the_graph_reads_imports_as_python_resolves_them() -> None:
    # The checks above are only as good as the reading: it must see the imports we know of.
    graph = _graph()
    assert "orders_api.twin.apigateway.gateway" in graph["orders_api.twin.run"]
    assert "orders_api.domain" in graph["orders_api.service"]
    assert "orders_api.twin.waf.detectors" in graph["orders_api.twin.waf.managed"]
