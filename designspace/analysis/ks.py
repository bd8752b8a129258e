"""Two-sample Kolmogorov-Smirnov statistic ``D = sup_e |F1(e) - F2(e)|``, plain or weighted.

Unweighted, ``D`` equals ``scipy.stats.ks_2samp``'s statistic exactly and the p-value is scipy's.
Weighted (complexity-normalized EDFs), the p-value comes from a seeded *stratified* permutation
test (:mod:`~designspace.analysis.permutation`): population labels are permuted within each
complexity bin and each model takes the weight of its new (population, bin) slot, which is exactly
re-normalizing the permuted populations; the null hypothesis is "at equal complexity, both
populations have the same error distribution". Weighted samples need their strata: a pooled
shuffle in which each model keeps its own weight is not a valid null for normalized EDFs, so it is
refused. ``method="permutation"`` without weights permutes labels over the pooled sample.

``p = (1 + #{D_perm >= D}) / (1 + permutations)``, so it is never 0 and never below its floor
``1 / (1 + permutations)``: a p at the floor means ``p <= 1/(R+1)`` (:func:`format_p` says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from designspace.analysis.edf import as_sample, edf, weighted_sample
from designspace.analysis.permutation import pooled, statistics

__all__ = ["KSResult", "format_p", "ks_statistic", "ks_test"]


@dataclass(frozen=True)
class KSResult:
    d: float
    p: float
    method: str  # "scipy ks_2samp" or "permutation (N, stratified|pooled)"
    n1: int
    n2: int

    @property
    def permutations(self) -> int:
        """Permutations of the p-value (0 for scipy's)."""
        return int(self.method.split("(")[1].split(",")[0]) if self.method.startswith("permutation") else 0

    @property
    def floor(self) -> float:
        """The smallest p its test can give: ``1 / (1 + permutations)`` (0 for scipy's)."""
        return 1.0 / (1 + self.permutations) if self.permutations else 0.0


def format_p(p: float, floor: float = 0.0) -> str:
    """A p-value as text. ``floor``: the smallest value its test can give (a permutation test's
    ``1/(R+1)``, or that times an adjustment's factor); a p at its floor means ``p <= floor`` and is
    printed so (``"≤ 5.0e-04"``), never as an estimate."""
    if math.isnan(p):
        return "–"
    if floor and p <= floor * (1 + 1e-9):
        return f"≤ {floor:.1e}" if floor < 1e-3 else f"≤ {floor:.3g}"
    return f"{p:.3g}" if p >= 1e-3 else f"{p:.1e}"


def ks_statistic(x1: object, x2: object, w1: object | None = None, w2: object | None = None) -> float:
    """``sup_e |F1(e) - F2(e)|`` of the (weighted) EDFs of ``x1`` and ``x2``.

    Unweighted, the statistic is computed in integers (``max |c1 n2 - c2 n1| / (n1 n2)``), so it is
    the correctly rounded exact value, as scipy's exact mode reports it.
    """
    f1, f2 = edf(x1, w1), edf(x2, w2)
    points = np.concatenate((f1.values, f2.values))
    if not (f1.weighted or f2.weighted):
        c1 = np.searchsorted(f1.values, points, side="right").astype(np.int64)
        c2 = np.searchsorted(f2.values, points, side="right").astype(np.int64)
        return int(np.abs(c1 * f2.n - c2 * f1.n).max()) / (f1.n * f2.n)
    return float(np.max(np.abs(f1.upper(points) - f2.upper(points))))


def ks_test(
    x1: object,
    x2: object,
    w1: object | None = None,
    w2: object | None = None,
    *,
    strata1: object | None = None,
    strata2: object | None = None,
    method: str = "auto",
    permutations: int = 2000,
    seed: int = 0,
) -> KSResult:
    """KS statistic and p-value of two (weighted) samples.

    ``method="auto"`` uses scipy when both samples are unweighted and a permutation test otherwise;
    ``"permutation"`` forces the permutation test. Models with weight 0 take no part.
    ``strata1``/``strata2``: integer stratum (bin) per model; permutations stay within strata.
    Unequal weights need strata (ValueError otherwise).
    """
    a, b = as_sample(x1, "x1"), as_sample(x2, "x2")
    if method not in ("auto", "permutation"):
        raise ValueError(f"method={method!r}: use 'auto' or 'permutation'")
    if (strata1 is None) != (strata2 is None):
        raise ValueError("ks_test: give strata for both samples or for neither")
    weighted = w1 is not None or w2 is not None
    if method == "auto" and not weighted and strata1 is None:
        res = stats.ks_2samp(a, b)
        return KSResult(ks_statistic(a, b), float(res.pvalue), "scipy ks_2samp", a.size, b.size)
    if permutations < 1:
        raise ValueError(f"permutations={permutations!r}: need at least 1")
    a, wa, s1 = weighted_sample(a, w1, strata1, "x1", "w1")
    b, wb, s2 = weighted_sample(b, w2, strata2, "x2", "w2")
    d = ks_statistic(a, b, wa, wb)
    try:
        pool = pooled(a, wa, b, wb, s1, s2)
    except ValueError as e:
        raise ValueError(f"ks_test: {e}") from None
    _, perm = statistics(pool, ("d",), permutations, seed)
    p = (1 + int(np.count_nonzero(perm["d"] >= d - 1e-12))) / (1 + permutations)
    kind = "stratified" if s1 is not None else "pooled"
    return KSResult(d, float(p), f"permutation ({permutations}, {kind})", a.size, b.size)
