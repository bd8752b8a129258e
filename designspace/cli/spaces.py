"""``designspace spaces [NAME]``: the registered design spaces, or one space's exact definition."""

from __future__ import annotations

import argparse
import json

from designspace.cli.command import add_command
from designspace.ui.table import format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "spaces", __doc__)
    p.add_argument("name", nargs="?", help="show this space's parameters and distributions")
    p.add_argument("--json", action="store_true", help="JSON lines: name, description, size, settings, parameters")
    p.set_defaults(func=run)


def _count(n: int | None) -> str:
    return "n/a" if n is None else f"{n:.3g}" if n >= 1e6 else str(n)


def _dist(d: object) -> str:
    from designspace.spaces.trials import CatDist, FloatDist, IntDist  # deferred: loads torch

    if isinstance(d, IntDist):
        step = f", step {d.step}" if d.step != 1 else ""
        return f"int uniform {d.low}..{d.high}{step}"
    if isinstance(d, FloatDist):
        return f"float {'log-uniform' if d.log else 'uniform'} ({d.low:g}, {d.high:g})"
    if isinstance(d, CatDist):
        return "categorical uniform {" + ", ".join(map(str, d.choices)) + "}"
    return repr(d)


def _info(space: object) -> dict:
    return {
        "name": space.name,
        "description": space.description,
        "size": space.size,
        "settings": space.num_settings,
        "definition": space.definition(),
        "parameters": {k: _dist(v) for k, v in space.distributions().items()},
    }


def run(args: argparse.Namespace) -> int:
    from designspace import spaces  # deferred: loads torch

    chosen = [spaces.get(args.name)] if args.name else [spaces.get(n) for n in spaces.names()]
    if args.json:
        for space in chosen:
            print(json.dumps(_info(space)))
        return 0
    if args.name:
        info = _info(chosen[0])
        print(f"{info['name']}: {info['description']}")
        print(f"  definition: {info['definition']}")
        print(f"  size: {_count(info['size'])} distinct specs, {_count(info['settings'])} parameter settings")
        print("  parameters (drawn in this order; 32-px variant: cifar stem, strides 1,2,2,2; larger: simple stem):")
        for k, v in info["parameters"].items():
            print(f"    {k:4s} {v}")
        return 0
    rows = [("space", "size", "settings", "description")]
    rows += [(s.name, _count(s.size), _count(s.num_settings), s.description) for s in chosen]
    print(format_table(rows, right=(1, 2)))
    print("size = distinct specs (exact; n/a: no closed form), settings = distinct recorded parameter settings")
    return 0
