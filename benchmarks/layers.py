"""The package's import graph: cycles, layer order, in-function imports and the largest files.

    python benchmarks/layers.py [--root designspace] [--largest 10]

Reads every module under the package with ``ast`` (nothing is imported or run) and prints one JSON
object: the module-level import graph's cycles (strongly connected components, with the number of
simple cycles in them), the imports that point up the layers, the count of imports inside functions
(with those that neither name an optional or heavy dependency nor carry a reason comment) and the
largest files by lines. ``tests/test_layers.py`` checks the same graph with these functions, so the
layer order below is the one place that defines it.

A module-level import is any import that runs when the module is imported (class bodies, ``try``
and ``if`` blocks included), except under ``if TYPE_CHECKING:``. ``from pkg import name`` is an edge to
``pkg.name`` when that is a module, else to ``pkg``; a package is its ``__init__``. Importing a
submodule also runs its parents' ``__init__``, which is not counted as an edge (Python finds the parent
already being imported, so it cannot close a circle on its own).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "designspace"

#: top to bottom; a module may import its own layer's modules and the layers below it. A layer is a
#: tuple of module prefixes (a prefix names the module and everything below it).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("designspace.cli",),
    ("designspace.calibration",),
    ("designspace.study",),
    ("designspace.analysis",),
    ("designspace.principles",),
    ("designspace.spaces", "designspace.train"),
    ("designspace.models", "designspace.data"),
    # vocabulary: specs, the part names they accept, the trials table's columns, complexity regimes
    ("designspace.specs", "designspace.parts", "designspace.columns", "designspace.regime"),
    ("designspace.registry", "designspace.tomlfile"),
    ("designspace.ui",),
    ("designspace.errors",),
)
#: the package's own ``__init__``: it re-exports lazily (PEP 562), importing nothing of the package at
#: module level, so it may name any layer and any module may import it (for ``__version__``)
ROOT = "designspace"

#: third-party packages an in-function import may defer without a reason comment: optional extras
#: or dependencies slow enough to import that a command which does not need them should not pay
HEAVY = frozenset(
    {
        "torch",
        "torchvision",
        "numpy",
        "scipy",
        "matplotlib",
        "pandas",
        "optuna",
        "statsmodels",
        "submitit",
        "grpc",
        "psycopg2",
        "pyarrow",
        "cmaes",
        "sqlalchemy",
        "tqdm",
        "PIL",
    }
)


@dataclass(frozen=True)
class Import:
    """One import statement's target in one module."""

    module: str  # the importing module
    target: str  # the imported module (package-internal) or top-level name (third-party)
    line: int
    in_function: bool
    comment: str  # the comments on the statement's lines ('' if none)

    @property
    def internal(self) -> bool:
        return self.target == PACKAGE or self.target.startswith(PACKAGE + ".")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_files(root: Path) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` under the package folder ``root``."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.orelse:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), in_function)
        else:
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from _walk(child, nested)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(files: dict[str, Path]) -> list[Import]:
    """Every import statement's targets in every module of ``files``."""
    found = []
    for module, path in files.items():
        text = path.read_text()
        lines = text.splitlines()
        is_package = path.name == "__init__.py"
        for node, in_function in _walk(ast.parse(text, str(path)), False):
            statement = lines[node.lineno - 1 : node.end_lineno]
            comment = " ".join(line.split("#", 1)[1].strip() for line in statement if "#" in line)
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(module, is_package, node)
                subs = [f"{base}.{alias.name}" for alias in node.names]
                targets = [s for s in subs if s in files] or [base]
                if len(targets) < len(subs) and base not in targets:
                    targets.append(base)  # names from base itself beside its submodules
            for target in targets:
                if not (target == PACKAGE or target.startswith(PACKAGE + ".")):
                    target = target.split(".")[0]
                found.append(Import(module, target, node.lineno, in_function, comment))
    return found


def graph(found: list[Import], files: dict[str, Path], *, in_function: bool = False) -> dict[str, set[str]]:
    """Module -> the package modules it imports at module level (and inside functions if asked)."""
    edges: dict[str, set[str]] = {m: set() for m in files}
    for imp in found:
        if imp.internal and (in_function or not imp.in_function) and imp.target != imp.module:
            edges[imp.module].add(imp.target)
    return edges


def components(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    scc = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        scc.append(top)
                        if top == node:
                            break
                    if len(scc) > 1:
                        result.append(sorted(scc))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(result)


def simple_cycles(edges: dict[str, set[str]], nodes: list[str], cap: int = 100_000) -> int:
    """How many simple cycles run through ``nodes`` (one component), counted up to ``cap``."""
    order = sorted(nodes)
    inside = set(nodes)
    count = 0
    for i, start in enumerate(order):
        allowed = set(order[i:]) & inside  # cycles whose smallest node is start
        path = [start]
        work = [iter(sorted(edges[start] & allowed))]
        on_path = {start}
        while work:
            nxt = next(work[-1], None)
            if nxt is None:
                work.pop()
                on_path.discard(path.pop())
            elif nxt == start:
                count += 1
                if count >= cap:
                    return count
            elif nxt not in on_path:
                path.append(nxt)
                on_path.add(nxt)
                work.append(iter(sorted(edges[nxt] & allowed)))
    return count


def layer_of(module: str) -> int | None:
    for depth, layer in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in layer):
            return depth
    return None


def upward(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Module-level imports that point up the layers, or into or out of an unlisted module."""
    bad = []
    for module, targets in sorted(edges.items()):
        if module == ROOT:
            continue
        for target in sorted(targets - {ROOT}):
            a, b = layer_of(module), layer_of(target)
            if a is None or b is None or b < a:
                bad.append((module, target))
    return bad


def unexplained(found: list[Import]) -> list[Import]:
    """In-function imports of neither an optional/heavy dependency nor with a reason comment."""
    return [i for i in found if i.in_function and i.target not in HEAVY and not i.comment]


def largest(files: dict[str, Path], root: Path, n: int) -> list[tuple[str, int]]:
    sizes = [(str(p.relative_to(root.parent)), len(p.read_text().splitlines())) for p in files.values()]
    return sorted(sizes, key=lambda s: -s[1])[:n]


def _cycles(edges: dict[str, set[str]]) -> dict[str, object]:
    sccs = components(edges)
    members = [{"size": len(c), "simple_cycles": simple_cycles(edges, c), "modules": c} for c in sccs]
    return {"components": len(sccs), "simple_cycles": sum(m["simple_cycles"] for m in members), "members": members}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO / PACKAGE)
    parser.add_argument("--largest", type=int, default=10)
    args = parser.parse_args(argv)
    files = package_files(args.root.resolve())
    found = imports(files)
    edges = graph(found, files)
    every = graph(found, files, in_function=True)
    in_function = [i for i in found if i.in_function]
    report = {
        "modules": len(files),
        "module_level_edges": sum(len(t) for t in edges.values()),
        "cycles": _cycles(edges),
        "cycles_counting_in_function_imports": _cycles(every),
        "upward_imports": [f"{a} -> {b}" for a, b in upward(edges)],
        "upward_in_function_imports": [f"{a} -> {b}" for a, b in upward(every) if (a, b) not in set(upward(edges))],
        "in_function_imports": {
            "statements": len({(i.module, i.line) for i in in_function}),
            "of_package_modules": len({(i.module, i.line) for i in in_function if i.internal}),
            "unexplained": len({(i.module, i.line) for i in unexplained(found)}),
        },
        "largest_files": [{"file": f, "lines": n} for f, n in largest(files, args.root.resolve(), args.largest)],
    }
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
