"""Design principles at a regime: how often a parent is rejected, and how near its child's flops come.

For each principle, the first ``--parents`` parents of its parent space's seeded population in the
regime are projected (``designspace.principles.project_parent``); prints JSON per principle: parents,
rejected (no width factor puts the child in the regime), the rejection rate, quantiles of
child flops / parent flops, and the seconds it took, beside the seconds of sampling the parents alone
(the baseline: what drawing a population of that size costs anyway).

    python benchmarks/bench_principles.py --flops 4M:8M --parents 1000
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    from designspace import principles
    from designspace.principles.base import project_parent
    from designspace.regime import Regime
    from designspace.train.device import cpu_model

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--flops", default="4M:8M")
    p.add_argument("--parents", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--group-rule", default="pycls")
    p.add_argument("--only", nargs="*", help="principles (default: all)")
    a = p.parse_args(argv)
    regime = Regime.make(a.flops)
    out = {"cpu": cpu_model(), "flops": a.flops, "group_rule": a.group_rule, "principles": {}}
    for name in a.only or principles.names():
        pr = principles.get(name)
        parent_space, _ = pr.spaces(a.group_rule)
        names = parent_space.param_names(32)
        t0 = time.process_time()
        records = parent_space.sample(a.parents, seed=a.seed, resolution=32, flops=a.flops)
        t1 = time.process_time()
        ratios = []
        for i, rec in enumerate(records):
            pair = project_parent(pr, {k: rec[k] for k in names}, i, a.seed, regime, 32, a.group_rule)
            if pair is not None:
                ratios.append(pair.child_flops / pair.parent_flops)
        t2 = time.process_time()
        q = np.quantile(ratios, [0.05, 0.25, 0.5, 0.75, 0.95]) if ratios else []
        out["principles"][name] = {
            "parents": len(records),
            "rejected": len(records) - len(ratios),
            "rejection_rate": round(1 - len(ratios) / len(records), 4),
            "child_over_parent_flops_q05_q25_q50_q75_q95": [round(float(x), 4) for x in q],
            "within_5pct": round(float(np.mean(np.abs(np.log(ratios)) < np.log(1.05))), 4) if ratios else None,
            "cpu_seconds_sampling_parents": round(t1 - t0, 2),
            "cpu_seconds_projecting": round(t2 - t1, 2),
        }
        print(json.dumps({name: out["principles"][name]}), flush=True)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
