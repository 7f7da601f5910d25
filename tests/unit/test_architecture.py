"""The package's shape: one room per stage, no import circles, small modules.

A newcomer should find a stage's code in one subpackage whose ``stage`` module
holds the rules' entry points, and should never have to read a module that
imports itself back through another (the circle ``detect`` ↔ ``detect_shards``
that this test was written against).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "trapline"
STAGES = (
    "inventory",
    "detect",
    "crop",
    "species",
    "embed",
    "identify",
    "capture",
    "export",
    "simulate",
    "report",
)
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported(path: Path) -> set[str]:
    """trapline modules ``path`` imports, anywhere in it (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [
                f"{node.module}.{a.name}"
                if f"{node.module}.{a.name}" in MODULES
                else node.module
                for a in node.names
            ]
        else:
            continue
        found |= {n for n in names if n in MODULES}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle():
    graph = {name: imported(path) - {name} for name, path in MODULES.items()}
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_400_lines(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]}: {lines} lines; split it"


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_has_a_room_with_a_stage_module(stage):
    module = importlib.import_module(f"trapline.{stage}.stage")
    entry = f"{stage}_stage"
    assert callable(getattr(module, entry, None)), f"trapline.{stage}.stage.{entry}"
    assert module.__doc__, f"trapline.{stage}.stage says why it exists"


@pytest.mark.parametrize("stage", STAGES)
def test_stage_entry_points_take_inputs_settings_out(stage):
    """Every ``*_stage`` in a stage module reads alike: inputs, settings, out."""
    module = importlib.import_module(f"trapline.{stage}.stage")
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if not name.endswith("_stage") or function.__module__ != module.__name__:
            continue
        params = list(inspect.signature(function).parameters)
        assert params[-1] != "out" or len(params) >= 2, name
        assert any(p in params for p in ("out", "settings")), (name, params)


def test_no_flat_modules_left_beside_the_stages():
    flat = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert flat == ["config", "io", "malloc", "quarantine", "weights"]
