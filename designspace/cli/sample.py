"""``designspace sample SPACE``: seeded specs of a design space, optionally in a complexity regime.

Records are identical for the same space, seed, resolution, regime and --n on any machine.
With --json: one JSON object per line (space, seed, index, resolution, the sampled
parameters, flops, params, acts, spec); otherwise a short table and the acceptance rate.
"""

from __future__ import annotations

import argparse
import json
import re

from designspace.cli.command import add_command
from designspace.ui.numbers import si
from designspace.ui.table import format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "sample", __doc__)
    p.add_argument("space", help="a design space (see `designspace spaces`)")
    p.add_argument("--n", type=int, default=10, help="number of specs (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--resolution", type=int, default=32, help="input size in px: <= 64 CIFAR variant (default 32)")
    p.add_argument("--flops", metavar="LO:HI", help="flops regime, e.g. 360M:400M (suffixes k, M, G)")
    p.add_argument("--params", metavar="LO:HI", help="parameter-count regime, e.g. 0:2M")
    p.add_argument(
        "--max-draws", type=int, default=None, help="give up after this many draws in a row without an acceptance"
    )
    p.add_argument("--json", action="store_true", help="JSON lines, one record per spec")
    p.set_defaults(func=run)


def _groups(names: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """Per-stage names (d1..d4) grouped under their key; others alone."""
    out: list[tuple[str, list[str]]] = []
    for name in names:
        m = re.fullmatch(r"([a-z]+)([1-4])", name)
        key = m.group(1) if m else name
        if m and out and out[-1][0] == key:
            out[-1][1].append(name)
        else:
            out.append((key, [name]))
    return out


def _fmt(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def run(args: argparse.Namespace) -> int:
    from designspace import spaces  # deferred: loads torch
    from designspace.spaces.sampling import MAX_DRAWS  # deferred: loads torch

    space = spaces.get(args.space)
    result = space.sample_result(
        args.n,
        seed=args.seed,
        resolution=args.resolution,
        flops=args.flops,
        params=args.params,
        max_draws=args.max_draws if args.max_draws is not None else MAX_DRAWS,
        progress=None,
    )
    if args.json:
        for rec in result.records:
            print(json.dumps(rec))
        return 0
    groups = _groups(space.param_names(args.resolution))
    head = ["index", "flops", "params"] + [k for k, _ in groups]
    rows = [head]
    for rec in result.records:
        cells = [str(rec["index"]), si(rec["flops"]), si(rec["params"])]
        cells += ["/".join(_fmt(rec[n]) for n in names) for _, names in groups]
        rows.append(cells)
    print(format_table(rows, right=range(len(head))))
    print(result.summary())
    return 0
