"""The planner's predicted power against simulated power of the real tests; prints JSON.

    python benchmarks/bench_power.py [--sims 1000] [--n 100] [--permutations 499] [--seed 0]

Pilot: a committed population (``results/anynet_cifar/anynetx_c.csv`` by default: error and flops
of 100 models). The planner (``designspace.analysis.power``) takes the unit sd of the normalized
median shift from a bootstrap of the pilot against itself and predicts the power of the
permutation test of the median shift at ``n`` models per space for three shifts (chosen for
predicted powers of about 30%, 60% and 85%). The simulation draws both populations from the pilot
(models with their flops, with replacement), adds the shift to the second one's errors,
flops-normalizes them and runs the test itself. A second block checks the noise model: normal
true errors (spread 1.3 pt) measured with seed noise 1.0 pt, averaged over r = 1 or 2 trainings,
predicted by ``unit_sd_from_noise`` and simulated with the plain (unweighted) test. Each row gives
predicted and simulated power and their gap (target: within 5 points).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import optimize  # noqa: E402

from designspace.analysis.compare import compare_pair  # noqa: E402
from designspace.analysis.edf import complexity_weights  # noqa: E402
from designspace.analysis.power import power_difference, unit_sd_from_noise  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ALPHA = 0.05


def normalized(e1, f1, e2, f2) -> dict:
    norm = complexity_weights([f1, f2])
    return dict(w1=norm.weights[0], w2=norm.weights[1], strata1=norm.bins[0], strata2=norm.bins[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pilot", default=str(ROOT / "results/anynet_cifar/anynetx_c.csv"))
    p.add_argument("--sims", type=int, default=1000)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--permutations", type=int, default=499)
    p.add_argument("--boot", type=int, default=4000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    pilot = pd.read_csv(args.pilot).query("state == 'COMPLETE'")
    e, f = pilot["test_error"].to_numpy(float), pilot["flops"].to_numpy(float)
    # the planner: unit sd from a bootstrap of the pilot against itself (its variance at its size)
    sd = compare_pair(e, e, **normalized(e, f, e, f), permutations=1, n_boot=args.boot, seed=args.seed).unit_sd
    n = args.n
    targets = (0.3, 0.6, 0.85)
    effects = [optimize.brentq(lambda d, q=q: power_difference(d, sd, n, ALPHA) - q, 1e-3, 50) for q in targets]
    rows = []
    for effect in effects:
        hits = 0
        for i in range(args.sims):
            a, b = rng.integers(0, e.size, n), rng.integers(0, e.size, n)
            e1, e2 = e[a], e[b] + effect
            t = compare_pair(e1, e2, **normalized(e1, f[a], e2, f[b]), permutations=args.permutations, n_boot=2, seed=i)
            hits += t.p < ALPHA
        predicted = power_difference(effect, sd, n, ALPHA)
        rows.append(
            {
                "effect_pt": round(effect, 3),
                "n": n,
                "predicted": round(predicted, 3),
                "simulated": round(hits / args.sims, 3),
                "gap_points": round(100 * (hits / args.sims - predicted), 1),
            }
        )
    noise_rows = []
    spread, noise, effect = 1.3, 1.0, 0.6
    for r in (1, 2):
        usd = unit_sd_from_noise(spread, noise, r)
        hits = 0
        for i in range(args.sims):
            true1, true2 = rng.normal(60, spread, n), rng.normal(60 + effect, spread, n)
            e1 = true1 + rng.normal(0, noise, (r, n)).mean(axis=0)
            e2 = true2 + rng.normal(0, noise, (r, n)).mean(axis=0)
            hits += compare_pair(e1, e2, permutations=args.permutations, n_boot=2, seed=i).p < ALPHA
        predicted = power_difference(effect, usd, n, ALPHA)
        noise_rows.append(
            {
                "replicates": r,
                "effect_pt": effect,
                "n": n,
                "predicted": round(predicted, 3),
                "simulated": round(hits / args.sims, 3),
                "gap_points": round(100 * (hits / args.sims - predicted), 1),
            }
        )
    gaps = [abs(r["gap_points"]) for r in rows + noise_rows]
    print(
        json.dumps(
            {
                "benchmark": "planner: predicted vs simulated power of the median-shift test, alpha 0.05 two-sided",
                "pilot": str(Path(args.pilot).relative_to(ROOT)) if args.pilot.startswith(str(ROOT)) else args.pilot,
                "unit_sd_pt": round(sd, 3),
                "sims_per_row": args.sims,
                "permutations": args.permutations,
                "pilot_rows": rows,
                "noise_rows": noise_rows,
                "max_gap_points": max(gaps),
                "all_within_5_points": bool(max(gaps) <= 5),
                "binomial_sd_points_at_50pct": round(100 * (0.25 / args.sims) ** 0.5, 1),
                "seconds": round(time.perf_counter() - t0, 1),
                "cpu": platform.processor() or platform.machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
