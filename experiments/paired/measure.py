"""Trainings per CI width: a paired study against two independent populations (issue 22).

For k trainings per model (the first k of each member's / model's recorded trainings, k = 1 and the
most recorded), the 95% bootstrap interval of

* the paired design's median difference (child - parent, n pairs, 2k trainings per pair), and
* the independent design's median shift (after - before populations, n per population, k trainings
  per model; plain EDFs: pairs are matched in flops by construction, populations only by the regime),

is scaled to one unit (width x sqrt(n)); a design needs (unit / W)^2 pairs or models per population for
a width W, so the trainings the independent design needs per training of the paired design, for the
same interval width, is ratio = (2k (unit_ind / W)^2) / (2k (unit_pair / W)^2) = (unit_ind / unit_pair)^2,
whatever W. The same ratio from standard deviations of means, (s_before^2 + s_after^2) / s_d^2, comes
with a bootstrap interval (pairs and models resampled). Prints JSON.

    python experiments/paired/measure.py --storage sqlite:///results/paired/paired.db --study sort_depths \\
        --before results/anynet_cifar/anynetx_d.csv --after results/anynet_cifar/anynetx_e.csv
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _errors(csv: str, k: int) -> np.ndarray:
    """Each complete model's mean error over its first k trainings (``attr_test_errors``, else the value)."""
    f = pd.read_csv(csv)
    f = f[f["state"] == "COMPLETE"]
    if "attr_test_errors" in f.columns and f["attr_test_errors"].notna().all():
        lists = [json.loads(x) for x in f["attr_test_errors"]]
        if min(map(len, lists)) < k:
            raise SystemExit(f"{csv}: models have fewer than {k} trainings")
        return np.asarray([np.mean(x[:k]) for x in lists])
    if k != 1:
        raise SystemExit(f"{csv}: one training per model only")
    return f["test_error"].to_numpy(float)


def _median_width(draws: np.ndarray) -> float:
    low, high = np.quantile(draws, [0.025, 0.975])
    return float(high - low)


def measure(pairs: pd.DataFrame, before: str, after: str, k: int, n_boot: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    d = pairs["difference"].to_numpy(float)
    e1, e2 = _errors(before, k), _errors(after, k)
    n, n1, n2 = d.size, e1.size, e2.size
    i = rng.integers(0, n, (n_boot, n))
    i1, i2 = rng.integers(0, n1, (n_boot, n1)), rng.integers(0, n2, (n_boot, n2))
    w_pair = _median_width(np.median(d[i], axis=1))
    w_ind = _median_width(np.median(e2[i2], axis=1) - np.median(e1[i1], axis=1))
    n_ind = 2 / (1 / n1 + 1 / n2)  # per population (harmonic mean)
    unit_pair, unit_ind = w_pair * np.sqrt(n), w_ind * np.sqrt(n_ind)
    sd_ratio = (e1.var(ddof=1) + e2.var(ddof=1)) / d.var(ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # a resample of identical differences (few pairs)
        boot = (e1[i1].var(axis=1, ddof=1) + e2[i2].var(axis=1, ddof=1)) / d[i].var(axis=1, ddof=1)
    boot = boot[np.isfinite(boot)]
    r = float(np.corrcoef(pairs["parent_error"], pairs["child_error"])[0, 1])
    return {
        "trainings_per_model": k,
        "pairs": int(n),
        "models_before": int(n1),
        "models_after": int(n2),
        "paired_median_difference": float(np.median(d)),
        "paired_ci_width": w_pair,
        "independent_median_shift": float(np.median(e2) - np.median(e1)),
        "independent_ci_width": w_ind,
        "parent_child_correlation": r,
        "sd_difference": float(d.std(ddof=1)),
        "sd_before": float(e1.std(ddof=1)),
        "sd_after": float(e2.std(ddof=1)),
        "trainings_for_width_1pt": {
            "paired": float(2 * k * (unit_pair / 1.0) ** 2),
            "independent": float(2 * k * (unit_ind / 1.0) ** 2),
        },
        "ratio_independent_per_paired_median": float((unit_ind / unit_pair) ** 2),
        "ratio_independent_per_paired_sd": float(sd_ratio),
        "ratio_sd_interval_95": [float(x) for x in np.quantile(boot, [0.025, 0.975])],
    }


def main(argv: list[str] | None = None) -> int:
    from designspace.analysis.paired import pairs_frame
    from designspace.study.export import trials_frame
    from designspace.train.device import cpu_model

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--storage", help="storage URL of the paired study")
    p.add_argument("--csv", help="or its exported trial table")
    p.add_argument("--study", default="sort_depths")
    p.add_argument("--before", required=True, help="independent population of the parent space (CSV export)")
    p.add_argument("--after", required=True, help="independent population of the child space (CSV export)")
    p.add_argument("--boot", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pairs-out", help="write the pairs' table (raw data) here")
    a = p.parse_args(argv)
    trials = trials_frame(a.storage, [a.study]) if a.storage else pd.read_csv(a.csv)
    full = pairs_frame(trials)
    if len(full) < 3:
        print(f"{a.study}: {len(full)} complete pair(s); need at least 3", file=sys.stderr)
        return 2
    if a.pairs_out:
        Path(a.pairs_out).parent.mkdir(parents=True, exist_ok=True)
        full.to_csv(a.pairs_out, index=False)
    most = int(full["replicates"].min())
    out = {
        "study": a.study,
        "principle": str(full["principle"].iloc[0]),
        "before": a.before,
        "after": a.after,
        "cpu": cpu_model(),
        "by_trainings_per_model": [
            measure(pairs_frame(trials, replicates=k), a.before, a.after, k, a.boot, a.seed) for k in sorted({1, most})
        ],
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
