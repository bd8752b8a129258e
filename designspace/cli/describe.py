"""``designspace describe NAME|SPEC.json``: per-stage table and totals."""

from __future__ import annotations

import argparse
import json

from designspace.cli.command import add_command
from designspace.ui.numbers import si
from designspace.ui.table import format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "describe", __doc__)
    p.add_argument("model", help="a zoo name (e.g. regnetx_200mf) or a spec JSON file")
    p.add_argument("--resolution", type=int, default=None, help="input size in px (default: the model's own)")
    p.add_argument("--json", action="store_true", help="one JSON object: spec, flops, params, acts, resolution")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from designspace.models.api import complexity, default_resolution, resolve  # deferred: loads torch
    from designspace.models.network import complexity_table  # deferred: loads torch

    spec = resolve(args.model)
    res = args.resolution if args.resolution is not None else default_resolution(args.model)
    total = complexity(spec, res)
    if args.json:
        print(json.dumps({"spec": spec.to_dict(), **total, "resolution": res}))
        return 0
    rows = complexity_table(spec, res)
    head = ("part", "block", "d", "w", "b", "g", "stride", "output", "flops", "params")
    table = [head]
    for r in rows:
        is_stage = r.name.startswith("stage")
        table.append(
            (
                r.name,
                r.block,
                str(r.depth) if is_stage else "",
                str(r.width),
                f"{r.bottleneck:g}" if is_stage else "",
                str(r.group_width or "-") if is_stage else "",
                str(r.stride) if is_stage else "",
                f"{r.out_width}x{r.out_size[0]}x{r.out_size[1]}" if r.name != "head" else f"{r.out_width}",
                si(r.flops, ".2f"),
                si(r.params, ".2f"),
            )
        )
    table.append(("total", "", "", "", "", "", "", "", si(total["flops"], ".2f"), si(total["params"], ".2f")))
    name = args.model if not args.model.endswith(".json") else "spec"
    print(f"{name} at {res}x{res} px")
    print(format_table(table, right=range(2, len(head)), rules=(0, len(table) - 2)))
    print(f"flops {total['flops']:,} (multiply-adds)  params {total['params']:,}  acts {total['acts']:,}")
    return 0
