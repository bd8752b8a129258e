"""Benchmark: analytic complexity of random AnyNetX specs vs building the model and counting.

    python benchmarks/bench_complexity.py [--specs 20000] [--build-specs 20] [--seed 0]

Specs are AnyNetX-like (Radosavovic et al. 2019): simple stem w32, four stride-2 stages of
``res_bottleneck`` blocks, d in 1..16, w a multiple of 8 up to 1024, b in {1, 2, 4}, g in
{1, 2, 4, 8, 16, 32} clipped to divide w / b; 224 px, 1000 classes. One thread. Prints one
JSON object: analytic specs/s (target >= 20,000 on one core), the build-and-count baseline
on a subset of the same specs, and their ratio (the CPU may be shared: compare the ratio).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time

import torch

import designspace as ds
from designspace.models.compat import compatible
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec

TARGET = 20_000


def random_anynetx(rng: random.Random) -> NetSpec:
    stages = []
    for _ in range(4):
        b = rng.choice((1, 2, 4))
        c = compatible(8 * rng.randint(1, 128), b, rng.choice((1, 2, 4, 8, 16, 32)))  # the spaces' rule
        stages.append(
            StageSpec("res_bottleneck", rng.randint(1, 16), c.width, 2, bottleneck=float(b), group_width=c.group_width)
        )
    return NetSpec(StemSpec("simple", 32), tuple(stages), HeadSpec("linear", 1000))


def rate(fn, items: list, repeats: int) -> float:
    """Best items/s over ``repeats`` passes of ``fn`` over ``items``."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - t0)
    return len(items) / best


def build_and_count(spec: NetSpec) -> int:
    return sum(p.numel() for p in ds.build_model(spec).parameters())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--specs", type=int, default=20_000, help="random specs for the analytic rate")
    p.add_argument("--build-specs", type=int, default=20, help="specs (a prefix of the same draw) to build")
    p.add_argument("--repeats", type=int, default=3, help="passes; the best is reported")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    rng = random.Random(args.seed)

    t0 = time.perf_counter()
    specs = [random_anynetx(rng) for _ in range(args.specs)]
    spec_rate = args.specs / (time.perf_counter() - t0)

    analytic = rate(lambda s: ds.complexity(s, 224), specs, args.repeats)

    subset = specs[: args.build_specs]
    for spec in subset:  # the baseline must count the same thing
        assert build_and_count(spec) == ds.complexity(spec, 224)["params"], spec.to_json()
    built = rate(build_and_count, subset, 1)
    result = {
        "specs": args.specs,
        "analytic_specs_per_s": round(analytic),
        "target_specs_per_s": TARGET,
        "meets_target": analytic >= TARGET,
        "build_specs": len(subset),
        "build_and_count_specs_per_s": round(built, 2),
        "ratio_analytic_vs_build": round(analytic / built),
        "spec_construction_per_s": round(spec_rate),
        "threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
