"""Pairwise comparisons of populations with verdicts a reviewer accepts (docs/analysis.md, "Verdicts").

For each pair (``before``, ``after``), with the (complexity-normalized) errors of both:

* the paper's statistic: KS ``D`` (and its one-sided parts ``D+``: *after* better, ``D-``: worse) with
  its p-value (scipy's, or the stratified permutation test for normalized EDFs);
* the effect: the shift in median error (after minus before, points of error; negative = *after* is
  better) and in mean error, each with a stratified bootstrap interval;
* the decision test: a stratified permutation test of the median shift, one-sided ("after has
  lower error") when the claim has a direction (``"better"``), two-sided otherwise;
* the equivalence test (TOST): is the median shift inside ``±margin`` points? Its p-value is the
  larger of the two one-sided bootstrap p-values; ``p_equiv < alpha`` means the ``1 - 2 alpha``
  interval lies inside the margin.

:func:`decide` adjusts the decision p-values, the equivalence p-values and the KS p-values across
all comparisons of one report (one family each; Holm by default) and gives each a three-way
verdict: ``better``/``worse`` (adjusted decision test rejects; the direction is the shift's sign),
``equivalent`` (adjusted TOST rejects: the only verdict that may be read as "no loss" / "no
difference"), otherwise ``inconclusive``, with the models per population that the planner
(:mod:`~designspace.analysis.power`) says would settle it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from designspace.analysis.edf import as_sample, as_weights, complexity_weights
from designspace.analysis.multiplicity import adjust, multipliers
from designspace.analysis.permutation import pooled, statistics
from designspace.analysis.power import n_difference, n_equivalence, unit_sd_from_variances

__all__ = [
    "CLAIMS",
    "DEFAULT_MARGIN",
    "Interval",
    "PairTest",
    "Verdict",
    "compare_frame",
    "compare_pair",
    "decide",
    "verdict_text",
]

#: equivalence margin in points of error (percentage points): about one training's seed noise (sd
#: 1.0-2.3 pt in results/anynet_cifar), the smallest median shift worth a design decision there
DEFAULT_MARGIN = 1.0
DEFAULT_ALPHA = 0.05
#: a claim and the alternative of its decision test
CLAIMS = {"better": "less", "no loss": "two-sided", "at least as good": "two-sided", "none": "two-sided"}
ALTERNATIVES = ("two-sided", "less", "greater")
VERDICTS = ("better", "worse", "equivalent", "inconclusive")


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    level: float

    def text(self, digits: int = 2) -> str:
        return f"{self.estimate:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"


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


@dataclass(frozen=True)
class Verdict:
    label: str  # one of VERDICTS
    p_adj: float
    p_equiv_adj: float
    ks_p_adj: float
    needs_n: int | None  # models per population to settle an inconclusive comparison (None: none needed / no n)
    stability: float  # share of bootstrap resamples with the same verdict


def _prepare(x: object, w: object | None, s: object | None, name: str):
    a = as_sample(x, name)
    wa = np.ones(a.size) if w is None else as_weights(w, a.size, f"{name} weights")
    sa = None
    if s is not None:
        sa = np.asarray(s)
        if sa.shape != a.shape:
            raise ValueError(f"{name}: need one stratum per model (got shape {sa.shape})")
    keep = wa > 0
    return a[keep], wa[keep] / wa[keep].sum(), None if sa is None else sa[keep]


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


def _interval(estimate: float, draws: np.ndarray, level: float) -> Interval:
    tail = (1 - level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Interval(float(estimate), float(low), float(high), level)


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
    p_up = (1 + int(np.count_nonzero(boot >= margin))) / (1 + n_boot)  # H0: shift >= +margin
    p_down = (1 + int(np.count_nonzero(boot <= -margin))) / (1 + n_boot)  # H0: shift <= -margin
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
        median=_interval(delta, boot, level),
        mean=_interval(obs["mean"], mean2 - mean1, level),
        alternative=alternative,
        p=float(p),
        null_sd=float(np.std(null["median"], ddof=1)) if permutations > 1 else float("nan"),
        se=se,
        unit_sd=unit,
        margin=float(margin),
        p_equiv=float(max(p_up, p_down)),
        permutations=permutations,
        n_boot=n_boot,
        boot=boot,
        null=null["median"],
    )


def _label(reject: bool, equivalent: bool, shift: float, alternative: str) -> str:
    if reject:
        if alternative != "two-sided":
            return "better" if alternative == "less" else "worse"
        return "better" if shift < 0 else "worse"
    return "equivalent" if equivalent else "inconclusive"


def _needs_n(t: PairTest, k: float, k_eq: float, alpha: float, power: float) -> int | None:
    """Models per population that would settle an inconclusive comparison, planning with the observed
    shift as the true one at the level its Holm step used: equivalence when the shift is inside the
    margin, a difference otherwise."""
    shift = t.median.estimate
    if abs(shift) < t.margin:
        return n_equivalence(t.margin, t.unit_sd, power, alpha / k_eq, shift)
    return n_difference(shift, t.unit_sd, power, alpha / k, t.alternative)


def _counts_at_least(sorted_x: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``#{x >= c}`` for each threshold ``c`` (``sorted_x`` ascending)."""
    return sorted_x.size - np.searchsorted(sorted_x, thresholds, side="left")


def _stability(t: PairTest, label: str, k: float, k_eq: float, alpha: float) -> float:
    """Share of bootstrap resamples whose verdict equals ``label``: each resample's shift ``b`` is
    put through the same two tests (its p from the permutation null draws, its TOST p from the
    bootstrap draws re-centred on ``b``) at this comparison's own adjusted level."""
    b, tol = t.boot, 1e-9
    null = np.sort(t.null)
    r = null.size
    if t.alternative == "two-sided":
        hits = _counts_at_least(np.sort(np.abs(null)), np.abs(b) - tol)
    elif t.alternative == "less":
        hits = np.searchsorted(null, b + tol, side="right")
    else:
        hits = _counts_at_least(null, b - tol)
    p = (1 + hits) / (1 + r)
    centred = np.sort(t.boot - t.median.estimate)
    up = _counts_at_least(centred, t.margin - b)  # #{b + c >= m}
    down = np.searchsorted(centred, -t.margin - b, side="right")  # #{b + c <= -m}
    p_eq = (1 + np.maximum(up, down)) / (1 + centred.size)
    reject, equiv = k * p < alpha, k_eq * p_eq < alpha
    labels = [_label(bool(x), bool(e), float(v), t.alternative) for x, e, v in zip(reject, equiv, b)]
    return float(np.mean(np.asarray(labels) == label))


def decide(
    tests: Sequence[PairTest], *, alpha: float = DEFAULT_ALPHA, adjustment: str = "holm", power: float = 0.8
) -> list[Verdict]:
    """Three-way verdicts of one report's comparisons (one family), p-values adjusted by ``adjustment``."""
    if not tests:
        return []
    p_adj = adjust([t.p for t in tests], adjustment)
    eq_adj = adjust([t.p_equiv for t in tests], adjustment)
    ks_adj = adjust([t.ks_p for t in tests], adjustment)
    ks = multipliers([t.p for t in tests], adjustment)
    ks_eq = multipliers([t.p_equiv for t in tests], adjustment)
    out = []
    for t, pa, ea, ka, k, k_eq in zip(tests, p_adj, eq_adj, ks_adj, ks, ks_eq):
        label = _label(bool(pa < alpha), bool(ea < alpha), t.median.estimate, t.alternative)
        needs = _needs_n(t, k, k_eq, alpha, power) if label == "inconclusive" else None
        out.append(Verdict(label, float(pa), float(ea), float(ka), needs, _stability(t, label, k, k_eq, alpha)))
    return out


def verdict_text(v: Verdict, t: PairTest) -> str:
    """The verdict in words: "no loss" appears only for ``equivalent``."""
    if v.label == "equivalent":
        return f"equivalent (no loss beyond ±{t.margin:g} pt)"
    if v.label == "inconclusive":
        return "inconclusive" + (f", needs n ≈ {v.needs_n} per space" if v.needs_n else ", no n settles it")
    return v.label


@dataclass(frozen=True)
class _Pair:
    before: str
    after: str
    claim: str


def _pair_seed(seed: int, q: _Pair) -> int:
    """A pair's seed from its names: the same pair gets the same resamples in every report."""
    words = [seed, zlib.crc32(q.before.encode()), zlib.crc32(q.after.encode())]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def compare_frame(
    data: pd.DataFrame,
    pairs: Sequence[tuple[str, str] | tuple[str, str, str]],
    *,
    population: str = "study",
    error: str = "test_error",
    complexity: str | None = "flops",
    target: str = "uniform",
    robustness: bool = True,
    shared: bool = False,
    bins: int | None = None,
    margin: float = DEFAULT_MARGIN,
    alpha: float = DEFAULT_ALPHA,
    adjustment: str = "holm",
    permutations: int = 2000,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """The comparison table of a tidy frame (one row per model): one row per pair, tidy.

    ``pairs``: ``(before, after)`` or ``(before, after, claim)`` with a claim of :data:`CLAIMS`
    (``"better"`` makes the decision test one-sided). ``complexity``: the column to normalize by, or
    None for plain EDFs; each pair on its own common bins, or with ``shared`` one normalization of
    all the populations named (as the EDF plot of ``designspace analyze`` draws them). All pairs form
    one family for the adjustment. With ``robustness``, the verdict is also given with the other normalization target
    (``verdict_<target>``) and the share of bootstrap resamples that give the same verdict.
    """
    for col in [population, error] + ([complexity] if complexity else []):
        if col not in data.columns:
            raise ValueError(f"compare_frame: no column {col!r} (have {', '.join(map(str, data.columns))})")
    todo = []
    for p in pairs:
        if len(p) not in (2, 3):
            raise ValueError(f"compare_frame: a pair is (before, after[, claim]), got {p!r}")
        claim = p[2] if len(p) == 3 else "none"
        if claim not in CLAIMS:
            raise ValueError(f"claim={claim!r}: use one of {', '.join(CLAIMS)}")
        todo.append(_Pair(str(p[0]), str(p[1]), claim))
    groups = {name: g for name, g in data.groupby(population, sort=False)}
    for q in todo:
        for name in (q.before, q.after):
            if name not in groups:
                raise ValueError(f"compare_frame: no population {name!r} in column {population!r}")
    targets = [target] + ([t for t in ("uniform", "pooled") if t != target] if robustness and complexity else [])
    names = list(dict.fromkeys(n for q in todo for n in (q.before, q.after)))
    tables = {}
    for tg in targets:
        common = None
        if complexity and shared:
            common = complexity_weights([groups[n][complexity].to_numpy(float) for n in names], bins, complexity, tg)
        tests = []
        for q in todo:
            a, b = groups[q.before], groups[q.after]
            e1, e2 = a[error].to_numpy(float), b[error].to_numpy(float)
            kw: dict = {}
            if complexity:
                if common is not None:
                    i1, i2 = names.index(q.before), names.index(q.after)
                    norm_w, norm_b = (common.weights[i1], common.weights[i2]), (common.bins[i1], common.bins[i2])
                else:
                    own = complexity_weights(
                        [a[complexity].to_numpy(float), b[complexity].to_numpy(float)], bins, complexity, tg
                    )
                    norm_w, norm_b = own.weights, own.bins
                kw = dict(w1=norm_w[0], w2=norm_w[1], strata1=norm_b[0], strata2=norm_b[1])
            tests.append(
                compare_pair(
                    e1,
                    e2,
                    **kw,
                    alternative=CLAIMS[q.claim],
                    margin=margin,
                    level=1 - alpha,
                    alpha=alpha,
                    permutations=permutations,
                    n_boot=n_boot,
                    seed=_pair_seed(seed, q),
                )
            )
        tables[tg] = (tests, decide(tests, alpha=alpha, adjustment=adjustment))
    rows = []
    tests, verdicts = tables[target]
    for i, (q, t, v) in enumerate(zip(todo, tests, verdicts)):
        row = {
            "before": q.before,
            "after": q.after,
            "claim": q.claim,
            "n_before": t.n1,
            "n_after": t.n2,
            "n_eff_before": t.n1_eff,
            "n_eff_after": t.n2_eff,
            "ks_d": t.d,
            "ks_d_plus": t.d_plus,
            "ks_d_minus": t.d_minus,
            "ks_p": t.ks_p,
            "ks_p_adj": v.ks_p_adj,
            "ks_method": t.ks_method,
            "ks_d_crit": t.d_crit,
            "median_shift": t.median.estimate,
            "median_low": t.median.low,
            "median_high": t.median.high,
            "mean_shift": t.mean.estimate,
            "mean_low": t.mean.low,
            "mean_high": t.mean.high,
            "interval": t.median.level,
            "test": f"median shift, {t.alternative}",
            "p": t.p,
            "p_adj": v.p_adj,
            "p_floor": t.p_floor,
            "margin": t.margin,
            "p_equiv": t.p_equiv,
            "p_equiv_adj": v.p_equiv_adj,
            "verdict": v.label,
            "needs_n": v.needs_n,
            "stability": v.stability,
            "target": target,
            "adjustment": adjustment,
        }
        for tg in targets[1:]:
            row[f"verdict_{tg}"] = tables[tg][1][i].label
            row[f"p_adj_{tg}"] = tables[tg][1][i].p_adj
        rows.append(row)
    return pd.DataFrame(rows)
