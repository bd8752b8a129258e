"""Imports follow the layers: no cycles, nothing up the layer order, in-function imports only with a reason.

The graph and the layer order come from ``benchmarks/layers.py`` (read with ``ast``; nothing is imported).
The allowlists below hold what the study layer's rewrite (issue 26, phase 2) has still to fix: each entry
must still be needed, so a fix that removes one fails here until the entry goes too (the lists only shrink).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("layers", ROOT / "benchmarks" / "layers.py")
layers = importlib.util.module_from_spec(_spec)
sys.modules["layers"] = layers  # dataclasses look their module up
_spec.loader.exec_module(layers)

#: module-level imports that close a cycle inside designspace/study/ (importer, imported): phase 2 breaks them
CYCLE_EDGES: dict[tuple[str, str], str] = {}

#: in-function imports up the layers (importer, imported)
UPWARD_IN_FUNCTION: dict[tuple[str, str], str] = {}

#: modules (a name ending in "." : every module below it) whose in-function imports are not all explained
#: yet: the study layer and its commands, rewritten by others now (phase 2)
UNEXPLAINED_ALLOWED = ("designspace.study.",)


def _allowed(module: str) -> str | None:
    return next((a for a in UNEXPLAINED_ALLOWED if module == a or (a.endswith(".") and module.startswith(a))), None)


@pytest.fixture(scope="module")
def found() -> tuple[dict[str, Path], list]:
    files = layers.package_files(ROOT / "designspace")
    return files, layers.imports(files)


def test_module_level_imports_have_no_cycles(found) -> None:
    files, imports = found
    edges = layers.graph(imports, files)
    stale = [edge for edge in CYCLE_EDGES if edge[1] not in edges.get(edge[0], set())]
    assert not stale, f"allowlisted imports that no longer exist (remove them from CYCLE_EDGES): {stale}"
    for a, b in CYCLE_EDGES:
        edges[a].discard(b)
    cycles = layers.components(edges)
    assert not cycles, f"import cycles (break them; never allowlist a new one): {cycles}"
    for a, b in CYCLE_EDGES:
        edges[a].add(b)
        back = layers.components({m: set(t) for m, t in edges.items()})
        edges[a].discard(b)
        assert any(a in c and b in c for c in back), f"{a} -> {b} closes no cycle any more: remove it from CYCLE_EDGES"


def test_no_cycles_through_in_function_imports_outside_study(found) -> None:
    files, imports = found
    cycles = layers.components(layers.graph(imports, files, in_function=True))
    outside = [c for c in cycles if not all(m.startswith("designspace.study.") for m in c)]
    assert not outside, f"cycles closed by in-function imports (import at module level instead): {outside}"


def test_imports_point_down_the_layers(found) -> None:
    files, imports = found
    unlayered = [m for m in files if m != layers.ROOT and layers.layer_of(m) is None]
    assert not unlayered, f"modules in no layer (add them to benchmarks/layers.py LAYERS): {unlayered}"
    root_imports = [i for i in imports if i.module == layers.ROOT and i.internal and not i.in_function]
    assert not root_imports, "designspace/__init__.py must import nothing of the package at module level"
    assert layers.upward(layers.graph(imports, files)) == [], "module-level imports up the layers"
    every = layers.upward(layers.graph(imports, files, in_function=True))
    extra = sorted(set(every) - set(UPWARD_IN_FUNCTION))
    assert not extra, f"in-function imports up the layers: {extra}"
    stale = sorted(set(UPWARD_IN_FUNCTION) - set(every))
    assert not stale, f"no longer imported up the layers (remove them from UPWARD_IN_FUNCTION): {stale}"


def test_in_function_imports_are_heavy_or_give_a_reason(found) -> None:
    files, imports = found
    bad = layers.unexplained(imports)
    outside = [f"{i.module}:{i.line} imports {i.target}" for i in bad if _allowed(i.module) is None]
    assert not outside, (
        "in-function imports of neither an optional/heavy dependency (layers.HEAVY) nor with a reason "
        f"comment on the statement (import at module level, or say why not): {outside}"
    )
    stale = sorted(set(UNEXPLAINED_ALLOWED) - {_allowed(i.module) for i in bad})
    assert not stale, f"every in-function import explained: remove from UNEXPLAINED_ALLOWED: {stale}"


def test_the_checks_see_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: a planted circle, an import up the layers and a bare in-function import are found."""
    pkg = tmp_path / "designspace"
    (pkg / "spaces").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "spaces" / "__init__.py").write_text("")
    (pkg / "spaces" / "a.py").write_text("from designspace.spaces import b\n")
    (pkg / "spaces" / "b.py").write_text("from . import a\n\ndef f():\n    import designspace.cli\n")
    (pkg / "specs.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import designspace.cli\n")
    (pkg / "cli.py").write_text("from designspace.spaces.a import x\n")
    files = layers.package_files(pkg)
    imports = layers.imports(files)
    edges = layers.graph(imports, files)
    assert layers.components(edges) == [["designspace.spaces.a", "designspace.spaces.b"]]
    assert layers.upward(edges) == []
    assert layers.upward(layers.graph(imports, files, in_function=True)) == [
        ("designspace.spaces.b", "designspace.cli")
    ]
    assert [(i.module, i.target) for i in layers.unexplained(imports)] == [("designspace.spaces.b", "designspace.cli")]
