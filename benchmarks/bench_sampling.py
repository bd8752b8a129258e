"""Benchmark: seeded population sampling in a complexity regime, on one core.

Measures, in the same run (the CPU is shared, so ratios are what to compare):

* ``constrained``: accepted specs/s of ``space.sample(n, resolution=224, flops=360M:400M)``
  (AnyNetX-A in the paper's regime), including the regime narrowing and building the records;
* ``unconstrained`` (the in-run baseline): specs/s of ``space.sample(n, resolution=224)``,
  the raw draw rate with the same record building and no regime;
* ``naive``: accepted specs/s of plain rejection with a per-spec ``ds.complexity`` (draw with
  ``NumpyTrial``, build, count, accept), estimated from its draw rate times the measured
  plain-rejection acceptance;
* the acceptance of the narrowed draw and of plain rejection, and a per-space table.

Prints one JSON object. Target: ``constrained.specs_per_s >= 2000``.

    python benchmarks/bench_sampling.py [--n 5000] [--repeat 3] [--space anynetx_a]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import designspace as ds  # noqa: E402
from designspace import spaces  # noqa: E402
from designspace.spaces.trials import NumpyTrial  # noqa: E402

REGIME = "360M:400M"
RES = 224
TARGET = 2000


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--space", default="anynetx_a")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    space = spaces.get(args.space)

    t_con, result = _best(lambda: space.sample_result(args.n, seed=0, resolution=RES, flops=REGIME), args.repeat)
    t_unc, _ = _best(lambda: space.sample(args.n, seed=0, resolution=RES), args.repeat)
    t_narrow, _ = _best(lambda: space.narrow(RES, spaces.Regime.make(REGIME)), args.repeat)

    # naive: per-spec draw + build + ds.complexity, plain rejection
    rng = np.random.Generator(np.random.PCG64(1))
    k = 2000
    t = time.perf_counter()
    for _ in range(k):
        ds.complexity(space.suggest(NumpyTrial(rng), RES), RES)
    naive_draws_per_s = k / (time.perf_counter() - t)
    plain = result.raw_acceptance

    rate_con, rate_unc = args.n / t_con, args.n / t_unc
    per_space = {}
    for name in spaces.names():
        s = spaces.get(name)
        t_s, r = _best(lambda s=s: s.sample_result(500, seed=0, resolution=RES, flops=REGIME), 1)
        per_space[name] = {
            "specs_per_s": round(500 / t_s),
            "acceptance": round(r.acceptance, 5),
            "plain_rejection_acceptance": round(r.raw_acceptance, 6),
        }
    out = {
        "benchmark": "sampling",
        "space": args.space,
        "resolution": RES,
        "regime_flops": REGIME,
        "n": args.n,
        "machine": platform.processor() or platform.machine(),
        "constrained": {
            "specs_per_s": round(rate_con),
            "seconds": round(t_con, 3),
            "draws": result.draws,
            "acceptance": round(result.acceptance, 5),
            "narrowing_seconds": round(t_narrow, 3),
            "narrowing_kept": round(result.narrowing.kept, 5),
        },
        "unconstrained": {"specs_per_s": round(rate_unc), "seconds": round(t_unc, 3)},
        "naive": {
            "draws_per_s": round(naive_draws_per_s),
            "plain_rejection_acceptance": round(plain, 6),
            "specs_per_s": round(naive_draws_per_s * plain, 2),
        },
        "ratio_constrained_to_unconstrained": round(rate_con / rate_unc, 3),
        "speedup_vs_naive": round(rate_con / (naive_draws_per_s * plain), 1),
        "target_specs_per_s": TARGET,
        "meets_target": rate_con >= TARGET,
        "per_space_500_specs": per_space,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
