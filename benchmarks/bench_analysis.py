"""Timings of the analysis statistics, with baselines measured in the same run; prints JSON.

    python benchmarks/bench_analysis.py [--n 1000000] [--boot 10000] [--repeat 3]

* EDF + KS on 10^6 errors (target < 1 s), against scipy.stats.ks_2samp on the same data and a
  pure-Python EDF/KS on a subset, scaled by its O(n^2) cost to n;
* good range and EDF band, 10^4 resamples of n = 500 (target < 2 s on one core), against a
  Python loop of resamples on a tenth of the count, scaled linearly.
Threads are limited to one (BLAS/OpenMP) so the figures are per core. Times are best of --repeat.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from designspace.analysis import complexity_weights, edf, edf_band, good_range, ks_statistic, ks_test  # noqa: E402


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def naive_ks(a: list[float], b: list[float]) -> float:
    """EDFs by counting in Python loops at every pooled point: O(n^2)."""
    d = 0.0
    for e in a + b:
        f1 = sum(1 for x in a if x <= e) / len(a)
        f2 = sum(1 for x in b if x <= e) / len(b)
        d = max(d, abs(f1 - f2))
    return d


def naive_good_range(values: np.ndarray, errors: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    m = len(values) // 4
    picks = []
    for _ in range(n_boot):
        idx = rng.choice(len(values), size=m, replace=True)
        picks.append(values[idx[np.argmin(errors[idx])]])
    return np.quantile(picks, [0.025, 0.5, 0.975])


def naive_band(errors: np.ndarray, grid: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    curves = []
    for _ in range(n_boot):
        s = np.sort(rng.choice(errors, size=errors.size, replace=True))
        curves.append(np.searchsorted(s, grid, side="left") / s.size)
    return np.quantile(curves, [0.025, 0.975], axis=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="errors per sample for EDF + KS")
    ap.add_argument("--boot", type=int, default=10_000, help="bootstrap resamples")
    ap.add_argument("--pop", type=int, default=500, help="population size for the bootstraps")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    out: dict[str, dict[str, float | int | str]] = {}

    # EDF + KS on n errors
    a, b = rng.normal(10, 2, args.n), rng.normal(10.01, 2, args.n)
    grid = np.linspace(4, 16, 1000)

    def ours() -> float:
        edf(a)(grid)
        return ks_statistic(a, b)

    t_ours = best_of(ours, args.repeat)
    t_scipy = best_of(lambda: stats.ks_2samp(a, b, method="asymp"), args.repeat)
    sub = 1500
    t_sub = best_of(lambda: naive_ks(a[:sub].tolist(), b[:sub].tolist()), 1)
    t_naive = t_sub * (args.n / sub) ** 2
    assert abs(ks_statistic(a[:sub], b[:sub]) - naive_ks(a[:sub].tolist(), b[:sub].tolist())) < 1e-12
    flops = 10 ** rng.uniform(6, 8, args.n)
    weights = complexity_weights([flops, flops[::-1]])
    t_weighted = best_of(lambda: ks_statistic(a, b, weights.weights[0], weights.weights[1]), args.repeat)
    out["edf_ks"] = {
        "n_per_sample": args.n,
        "seconds": t_ours,
        "target_seconds": 1.0,
        "scipy_ks_2samp_seconds": t_scipy,
        "ratio_to_scipy": t_ours / t_scipy,
        "naive_python_seconds_scaled": t_naive,
        "naive_subset": sub,
        "speedup_vs_naive": t_naive / t_ours,
        "weighted_ks_seconds": t_weighted,
    }

    # bootstraps of a population of --pop models
    v, e = rng.uniform(16, 1024, args.pop), rng.normal(10, 2, args.pop)
    t_gr = best_of(lambda: good_range(v, e, n_boot=args.boot, seed=1), args.repeat)
    k = max(1, args.boot // 10)
    t_gr_naive = best_of(lambda: naive_good_range(v, e, k, np.random.default_rng(1)), 1) * args.boot / k
    bgrid = np.linspace(e.min(), e.max(), 256)
    t_band = best_of(lambda: edf_band(e, grid=bgrid, n_boot=args.boot, seed=1), args.repeat)
    t_band_naive = best_of(lambda: naive_band(e, bgrid, k, np.random.default_rng(1)), 1) * args.boot / k
    out["good_range"] = {
        "n": args.pop,
        "n_boot": args.boot,
        "seconds": t_gr,
        "target_seconds": 2.0,
        "naive_loop_seconds_scaled": t_gr_naive,
        "speedup_vs_naive": t_gr_naive / t_gr,
    }
    out["edf_band"] = {
        "n": args.pop,
        "n_boot": args.boot,
        "grid": bgrid.size,
        "seconds": t_band,
        "target_seconds": 2.0,
        "naive_loop_seconds_scaled": t_band_naive,
        "speedup_vs_naive": t_band_naive / t_band,
    }
    # the weighted (normalized) KS permutation test at report sizes
    f1, f2 = 10 ** rng.uniform(6, 8, args.pop), 10 ** rng.uniform(6.2, 8, args.pop)
    nm = complexity_weights([f1, f2])
    e2 = rng.normal(10, 2, args.pop)
    t_perm = best_of(
        lambda: ks_test(e, e2, nm.weights[0], nm.weights[1], strata1=nm.bins[0], strata2=nm.bins[1], permutations=2000),
        args.repeat,
    )
    out["ks_permutation"] = {"n_per_sample": args.pop, "permutations": 2000, "seconds": t_perm}
    out["threads"] = {"OMP_NUM_THREADS": os.environ["OMP_NUM_THREADS"]}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
