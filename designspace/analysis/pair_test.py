"""The raw statistics of one comparison of two populations: :func:`compare_pair` -> :class:`PairTest`.

For a pair (``before``, ``after``), with the (complexity-normalized) errors of both:

* the paper's statistic: KS ``D`` (and its one-sided parts ``D+``: *after* better, ``D-``: worse) with
  its p-value (scipy's, or the stratified permutation test for normalized EDFs);
* the effect: the shift in median error (after minus before, points of error; negative = *after* is
  better) and in mean error, each with a stratified bootstrap interval;
* the decision test: a stratified permutation test of the median shift, one-sided ("after has
  lower error") when the claim has a direction (``"better"``), two-sided otherwise;
* the equivalence test (TOST): is the median shift inside ``±margin`` points? Its p-value is the
  larger of the two one-sided bootstrap p-values (:func:`~designspace.analysis.effect.tost_p`);
  ``p_equiv < alpha`` means the ``1 - 2 alpha`` interval lies inside the margin.

The verdicts of a report's comparisons: :mod:`~designspace.analysis.verdicts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from designspace.analysis.edf import as_sample, weighted_sample
from designspace.analysis.effect import DEFAULT_ALPHA, DEFAULT_MARGIN, Interval, interval, tost_p
from designspace.analysis.permutation import pooled, statistics
from designspace.analysis.power import ALTERNATIVES, unit_sd_from_variances

__all__ = ["PairTest", "compare_pair"]


@dataclass(frozen=True, eq=False)
class PairTest:
    """Raw (unadjusted) statistics of one comparison: population 2 (after) against 1 (before)."""

    n1: int  # models with weight > 0
    n2: int
    n1_eff: float  # Kish effective sizes (sum w)^2 / sum w^2
    n2_eff: float
    d: float
    d_plus: float  # sup (F_after - F_before): after better somewhere
    d_minus: float
    ks_p: float
    ks_method: str
    d_crit: float  # the D that p < alpha needs here: the 1 - alpha quantile of the permutation null
    median: Interval  # after - before, points of error
    mean: Interval
    alternative: str  # of the decision test
    p: float  # decision test (permutation test of the median shift)
    null_sd: float  # sd of the median shift under the permutation null
    se: float  # bootstrap standard error of the median shift
    unit_sd: float  # se at one model per population (for the planner): se = unit_sd / sqrt(n)
    margin: float
    p_equiv: float  # TOST p of |median shift| < margin
    permutations: int
    n_boot: int
    boot: np.ndarray = field(repr=False)  # bootstrap draws of the median shift
    null: np.ndarray = field(repr=False)  # permutation draws of the median shift under the null

    @property
    def p_floor(self) -> float:
        """The smallest p the permutation test can give: ``1 / (permutations + 1)``."""
        return 1.0 / (self.permutations + 1)


def _prepare(x: object, w: object | None, s: object | None, name: str):
    a, wa, sa = weighted_sample(as_sample(x, name), w, s, name, f"{name} weights")
    return a, wa / wa.sum(), sa


def _bootstrap(x: np.ndarray, w: np.ndarray, s: np.ndarray | None, n_boot: int, rng: np.random.Generator):
    """Stratified resamples of one population: ``(medians, means)`` of each (weights travel with
    their models; within a stratum they are equal, so resampling keeps the normalization valid)."""
    strata = [np.arange(x.size)] if s is None else [np.flatnonzero(s == v) for v in np.unique(s)]
    idx = np.empty((n_boot, x.size), dtype=np.intp)
    for pos in strata:
        idx[:, pos] = pos[rng.integers(0, pos.size, size=(n_boot, pos.size))]
    xs, ws = x[idx], w[idx]
    order = np.argsort(xs, axis=1, kind="stable")
    xs, ws = np.take_along_axis(xs, order, axis=1), np.take_along_axis(ws, order, axis=1)
    cum = np.cumsum(ws, axis=1)
    cum /= cum[:, -1:]
    medians = xs[np.arange(n_boot), np.argmax(cum >= 0.5 - 1e-12, axis=1)]
    means = (xs * ws).sum(axis=1) / ws.sum(axis=1)
    return medians, means


def compare_pair(
    e1: object,
    e2: object,
    w1: object | None = None,
    w2: object | None = None,
    strata1: object | None = None,
    strata2: object | None = None,
    *,
    alternative: str = "two-sided",
    margin: float = DEFAULT_MARGIN,
    level: float = 0.95,
    alpha: float = DEFAULT_ALPHA,
    permutations: int = 2000,
    n_boot: int = 2000,
    seed: int = 0,
) -> PairTest:
    """Every raw statistic of one comparison (see the module docstring). Models with weight 0 take no
    part; unequal weights need strata (the complexity bins they come from)."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative={alternative!r}: use one of {', '.join(ALTERNATIVES)}")
    if not margin > 0:
        raise ValueError(f"margin={margin!r}: must be > 0 (points of error)")
    if permutations < 1 or n_boot < 2:
        raise ValueError("compare_pair: need permutations >= 1 and n_boot >= 2")
    if not (0 < level < 1 and 0 < alpha < 0.5):
        raise ValueError(f"level={level!r}, alpha={alpha!r}: need 0 < level < 1 and 0 < alpha < 0.5")
    if (strata1 is None) != (strata2 is None):
        raise ValueError("compare_pair: give strata for both samples or for neither")
    x1, v1, s1 = _prepare(e1, w1, strata1, "before")
    x2, v2, s2 = _prepare(e2, w2, strata2, "after")
    pool = pooled(x1, v1, x2, v2, s1, s2)
    seeds = np.random.SeedSequence(seed).spawn(3)
    obs, null = statistics(pool, ("d", "d_plus", "d_minus", "median", "mean"), permutations, seeds[0])
    d_crit = float(np.quantile(null["d"], 1 - alpha))
    weighted = s1 is not None
    if weighted:
        ks_p = (1 + int(np.count_nonzero(null["d"] >= obs["d"] - 1e-12))) / (1 + permutations)
        ks_method = f"permutation ({permutations}, stratified)"
    else:
        ks_p, ks_method = float(stats.ks_2samp(x1, x2).pvalue), "scipy ks_2samp"
    delta, tol = obs["median"], 1e-9
    if alternative == "two-sided":
        hits = np.abs(null["median"]) >= abs(delta) - tol
    elif alternative == "less":
        hits = null["median"] <= delta + tol
    else:
        hits = null["median"] >= delta - tol
    p = (1 + int(np.count_nonzero(hits))) / (1 + permutations)
    rng1, rng2 = (np.random.default_rng(s) for s in seeds[1:])
    med1, mean1 = _bootstrap(x1, v1, s1, n_boot, rng1)
    med2, mean2 = _bootstrap(x2, v2, s2, n_boot, rng2)
    boot = med2 - med1
    se = float(np.std(boot, ddof=1))
    unit = unit_sd_from_variances(float(np.var(med1, ddof=1)), x1.size, float(np.var(med2, ddof=1)), x2.size)
    return PairTest(
        n1=int(x1.size),
        n2=int(x2.size),
        n1_eff=float(1 / np.sum(v1**2)),
        n2_eff=float(1 / np.sum(v2**2)),
        d=obs["d"],
        d_plus=obs["d_plus"],
        d_minus=obs["d_minus"],
        ks_p=float(ks_p),
        ks_method=ks_method,
        d_crit=d_crit,
        median=interval(delta, boot, level),
        mean=interval(obs["mean"], mean2 - mean1, level),
        alternative=alternative,
        p=float(p),
        null_sd=float(np.std(null["median"], ddof=1)) if permutations > 1 else float("nan"),
        se=se,
        unit_sd=unit,
        margin=float(margin),
        p_equiv=tost_p(boot, margin),
        permutations=permutations,
        n_boot=n_boot,
        boot=boot,
        null=null["median"],
    )
