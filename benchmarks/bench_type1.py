"""Type-I error of every test the reports use, by simulation under the null; prints JSON.

    python benchmarks/bench_type1.py [--sims 2000] [--n 100] [--permutations 499] [--boot 1000] [--seed 0]

Null populations, n models each: two spaces whose models differ *only* in complexity mix (log flops
uniform in one, skewed to big models in the other) and whose error depends on flops plus heavy-tailed
noise (t, 5 df), so "at equal complexity both have the same error distribution" holds and every
normalized test must reject at most alpha = 0.05 of the time. Tests (all at alpha = 0.05):

* ``raw_ks``: scipy's KS on two plain samples of one distribution;
* ``normalized_ks``: the stratified permutation KS on flops-normalized EDFs (uniform target);
* ``weighted_ks_pooled_target``: the same with the pooled normalization target;
* ``shift_two_sided`` / ``shift_one_sided``: the permutation test of the normalized median shift;
* ``equivalence``: TOST with margin 1 pt when the true median shift is exactly +1 or -1 pt (the
  edge of the margin, where "equivalent" must be said at most alpha of the time);
* ``sequential``: four looks (n/4, n/2, 3n/4, n) with O'Brien-Fleming-like alpha spending on the
  z of the median shift, plain samples of one distribution;
* ``holm_family``: five null comparisons per report, any Holm-adjusted shift p < alpha.

Baselines measured in the same run (what the fixes replaced): ``raw_ks_ignoring_complexity`` (the
plain KS on the complexity-confounded populations), ``unstratified_weighted_ks`` (the removed branch:
labels shuffled over the pooled sample, each model keeping its own normalization weight),
``sequential_unadjusted`` (four looks at 1.96) and ``family_uncorrected`` (any raw p < alpha of
five). Each rate comes with its binomial 95% upper bound; ``ok`` is rate <= alpha + 0.01.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from designspace.analysis.compare import compare_pair  # noqa: E402
from designspace.analysis.edf import complexity_weights  # noqa: E402
from designspace.analysis.ks import ks_statistic  # noqa: E402
from designspace.analysis.multiplicity import holm  # noqa: E402
from designspace.analysis.sequential import sequential_looks  # noqa: E402

ALPHA = 0.05


def confounded(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two null populations differing only in their flops mix (error depends on flops)."""
    log1 = rng.uniform(6.6, 6.9, n)
    log2 = 6.6 + 0.3 * np.sqrt(rng.uniform(size=n))
    e1 = 60 - 20 * (log1 - 6.6) + 1.5 * rng.standard_t(5, n)
    e2 = 60 - 20 * (log2 - 6.6) + 1.5 * rng.standard_t(5, n)
    return 10**log1, e1, 10**log2, e2


def unstratified_weighted_p(e1, w1, e2, w2, permutations: int, rng: np.random.Generator) -> float:
    """The removed branch: pooled shuffle, each model keeps its own weight, groups re-normalized."""
    x = np.concatenate((e1, e2))
    w = np.concatenate((w1, w2))
    d = ks_statistic(e1, e2, w1, w2)
    hits = 0
    for _ in range(permutations):
        idx = rng.permutation(x.size)
        a, b = idx[: e1.size], idx[e1.size :]
        a, b = a[w[a] > 0], b[w[b] > 0]
        if a.size and b.size:
            hits += ks_statistic(x[a], x[b], w[a], w[b]) >= d - 1e-12
    return (1 + hits) / (1 + permutations)


def rate(hits: int, sims: int) -> dict:
    r = hits / sims
    upper = stats.binomtest(hits, sims).proportion_ci(0.95).high
    return {"rate": round(r, 4), "upper95": round(float(upper), 4), "sims": sims, "ok": bool(r <= ALPHA + 0.01)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sims", type=int, default=2000)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--permutations", type=int, default=499)
    p.add_argument("--boot", type=int, default=1000)
    p.add_argument("--baseline-sims", type=int, default=400, help="simulations of the slow removed branch")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    n, sims, perms = args.n, args.sims, args.permutations
    hits = dict.fromkeys(
        [
            "raw_ks",
            "normalized_ks",
            "weighted_ks_pooled_target",
            "shift_two_sided",
            "shift_one_sided",
            "equivalence",
            "sequential",
            "holm_family",
            "raw_ks_ignoring_complexity",
            "unstratified_weighted_ks",
            "sequential_unadjusted",
            "family_uncorrected",
        ],
        0,
    )
    t0 = time.perf_counter()
    for i in range(sims):
        a, b = 60 + 1.5 * rng.standard_t(5, n), 60 + 1.5 * rng.standard_t(5, n)
        hits["raw_ks"] += stats.ks_2samp(a, b).pvalue < ALPHA
        f1, e1, f2, e2 = confounded(rng, n)
        hits["raw_ks_ignoring_complexity"] += stats.ks_2samp(e1, e2).pvalue < ALPHA
        norm = complexity_weights([f1, f2])
        kw = dict(w1=norm.weights[0], w2=norm.weights[1], strata1=norm.bins[0], strata2=norm.bins[1])
        two = compare_pair(e1, e2, **kw, permutations=perms, n_boot=2, seed=i)
        hits["normalized_ks"] += two.ks_p < ALPHA
        hits["shift_two_sided"] += two.p < ALPHA
        one = compare_pair(e1, e2, **kw, alternative="less", permutations=perms, n_boot=2, seed=i)
        hits["shift_one_sided"] += one.p < ALPHA
        pooled = complexity_weights([f1, f2], target="pooled")
        pw = compare_pair(
            e1, e2, pooled.weights[0], pooled.weights[1], pooled.bins[0], pooled.bins[1], permutations=perms, n_boot=2
        )
        hits["weighted_ks_pooled_target"] += pw.ks_p < ALPHA
        if i < args.baseline_sims:
            hits["unstratified_weighted_ks"] += (
                unstratified_weighted_p(e1, norm.weights[0], e2, norm.weights[1], 199, rng) < ALPHA
            )
        edge = 1.0 if i % 2 else -1.0  # the true normalized median shift is exactly +-1 pt
        eq = compare_pair(e1, e2 + edge, **kw, margin=1.0, permutations=1, n_boot=args.boot, seed=i)
        hits["equivalence"] += eq.p_equiv < ALPHA
        looks = sequential_looks(a, b, [n // 4, n // 2, 3 * n // 4, n], permutations=199, seed=i)
        hits["sequential"] += looks[-1].stop
        zs = [
            compare_pair(a[:k], b[:k], permutations=199, n_boot=2, seed=i + k).p
            for k in (n // 4, n // 2, 3 * n // 4, n)
        ]
        hits["sequential_unadjusted"] += min(zs) < ALPHA
        family = [two.p] + [
            compare_pair(*(60 + 1.5 * rng.standard_t(5, (2, n))), permutations=perms, n_boot=2, seed=i + j).p
            for j in range(1, 5)
        ]
        hits["holm_family"] += bool((holm(family) < ALPHA).any())
        hits["family_uncorrected"] += bool((np.asarray(family) < ALPHA).any())
    seconds = time.perf_counter() - t0
    out = {
        name: rate(h, args.baseline_sims if name == "unstratified_weighted_ks" else sims) for name, h in hits.items()
    }
    print(
        json.dumps(
            {
                "benchmark": "type-I error under the null, alpha = 0.05 (ok: rate <= alpha + 0.01)",
                "n_per_population": n,
                "permutations": perms,
                "bootstrap": args.boot,
                "tests": {k: v for k, v in out.items() if k not in BASELINES},
                "baselines_same_run": {k: v for k, v in out.items() if k in BASELINES},
                "all_ok": bool(all(v["ok"] for k, v in out.items() if k not in BASELINES)),
                "seconds": round(seconds, 1),
                "cpu": platform.processor() or platform.machine(),
            },
            indent=2,
        )
    )


BASELINES = ("raw_ks_ignoring_complexity", "unstratified_weighted_ks", "sequential_unadjusted", "family_uncorrected")

if __name__ == "__main__":
    main()
