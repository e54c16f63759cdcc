"""The layers of drstack, and what each may import (README: For contributors).

Checked on the source, statically: a layer that starts importing a layer above it fails here
before it becomes a cycle. Modules not listed (new ones) are not constrained, but none of the
listed layers may import them without being listed here first.
"""

from __future__ import annotations

import ast
from pathlib import Path

DRSTACK = Path(__file__).resolve().parents[1] / "drstack"

# Layer -> the layers it may import. drstack.testing may import any of them; none of them
# imports it (the switch never loads test support).
MAY_IMPORT: dict[str, set[str]] = {
    "model": set(),
    "annotation_keys": set(),
    "errors": set(),
    "planner": {"model", "annotation_keys", "errors"},
    "pvmigrate": {"errors"},
    "config": {"model", "errors", "pvmigrate"},
    "cluster": {"model", "annotation_keys", "errors", "config"},
    "providers": {"model", "annotation_keys", "errors", "config", "cluster", "planner",
                  "pvmigrate"},
    "preflight": {"model", "errors", "planner", "pvmigrate"},
    "program": {"model", "annotation_keys", "errors", "config", "cluster", "planner",
                "preflight", "providers", "pvmigrate"},
    # python -m drstack check: the program's checks without the program (nor Pulumi).
    "check": {"model", "errors", "config", "cluster", "planner", "preflight"},
}


def layer_of(module: str) -> str:
    """``drstack.providers.step`` -> ``providers``; ``drstack.model`` -> ``model``."""
    return module.split(".")[1]


def imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "drstack":
            layers |= {alias.name for alias in node.names}  # from drstack import annotation_keys
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("drstack."):
            layers.add(layer_of(node.module or ""))
        elif isinstance(node, ast.Import):
            layers |= {layer_of(a.name) for a in node.names if a.name.startswith("drstack.")}
    return layers


def test_each_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for path in sorted(DRSTACK.rglob("*.py")):
        parts = path.relative_to(DRSTACK).with_suffix("").parts
        layer = parts[0]
        if layer not in MAY_IMPORT:
            continue
        for imported in imported_layers(path) - {layer}:
            if imported not in MAY_IMPORT[layer]:
                wrong.append(f"{path.relative_to(DRSTACK.parent)} imports drstack.{imported}")
    assert wrong == []


def test_no_layer_of_the_switch_imports_the_test_support() -> None:
    users = [str(path.relative_to(DRSTACK.parent)) for path in sorted(DRSTACK.rglob("*.py"))
             if path.relative_to(DRSTACK).with_suffix("").parts[0] in MAY_IMPORT
             and "testing" in imported_layers(path)]
    assert users == []
