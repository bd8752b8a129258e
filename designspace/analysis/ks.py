"""Two-sample Kolmogorov-Smirnov statistic ``D = sup_e |F1(e) - F2(e)|``, plain or weighted.

Unweighted, ``D`` equals ``scipy.stats.ks_2samp``'s statistic exactly and the p-value is scipy's.
Weighted (e.g. complexity-normalized EDFs), the p-value comes from a seeded permutation test:

* with ``strata`` (the complexity bins of a :class:`~designspace.analysis.edf.Normalization`),
  population labels are permuted *within* each bin and each model takes the weight of its new
  (population, bin) slot, which is exactly re-normalizing the permuted populations: the null
  hypothesis is "at equal complexity, both populations have the same error distribution";
* without strata, labels are permuted over the pooled sample, each model keeps its own weight and
  each group's weights are re-normalized to 1.

``p = (1 + #{D_perm >= D}) / (1 + permutations)``, so it is never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from designspace.analysis.edf import as_sample, as_weights, edf

__all__ = ["KSResult", "ks_statistic", "ks_test"]

#: elements per block of permutations (bounds memory: a few arrays of this many floats)
_BLOCK = 1 << 20


@dataclass(frozen=True)
class KSResult:
    d: float
    p: float
    method: str  # "scipy ks_2samp" or "permutation (N, stratified|pooled)"
    n1: int
    n2: int


def ks_statistic(x1: object, x2: object, w1: object | None = None, w2: object | None = None) -> float:
    """``sup_e |F1(e) - F2(e)|`` of the (weighted) EDFs of ``x1`` and ``x2``.

    Unweighted, the statistic is computed in integers (``max |c1 n2 - c2 n1| / (n1 n2)``), so it is
    the correctly rounded exact value, as scipy's exact mode reports it.
    """
    f1, f2 = edf(x1, w1), edf(x2, w2)
    pooled = np.concatenate((f1.values, f2.values))
    if not (f1.weighted or f2.weighted):
        c1 = np.searchsorted(f1.values, pooled, side="right").astype(np.int64)
        c2 = np.searchsorted(f2.values, pooled, side="right").astype(np.int64)
        return int(np.abs(c1 * f2.n - c2 * f1.n).max()) / (f1.n * f2.n)
    return float(np.max(np.abs(f1.upper(pooled) - f2.upper(pooled))))


def _permuted_d(
    x: np.ndarray, w: np.ndarray, g: np.ndarray, strata: np.ndarray | None, n_perm: int, rng: np.random.Generator
) -> np.ndarray:
    """KS statistics of ``n_perm`` label permutations of the pooled sample (vectorized in blocks)."""
    order = np.argsort(x, kind="stable")
    x, w, g = x[order], w[order], g[order]
    last = np.r_[x[1:] != x[:-1], True]  # D is taken at the end of each run of ties
    n = x.size
    groups = [np.arange(n)] if strata is None else [np.flatnonzero(strata[order] == s) for s in np.unique(strata)]
    out = np.empty(n_perm)
    step = max(1, _BLOCK // n)
    for start in range(0, n_perm, step):
        m = min(step, n_perm - start)
        src = np.empty((m, n), dtype=np.intp)
        for pos in groups:  # a random permutation inside each stratum
            src[:, pos] = rng.permuted(np.broadcast_to(pos, (m, pos.size)), axis=1)
        lab = g[src]
        wt = w[src] if strata is not None else np.broadcast_to(w, (m, n))  # weights go with the slot
        w1 = np.where(lab, 0.0, wt)
        w2 = wt - w1
        c1 = np.cumsum(w1, axis=1)
        c2 = np.cumsum(w2, axis=1)
        diff = c1[:, last] / c1[:, -1:] - c2[:, last] / c2[:, -1:]
        out[start : start + m] = np.abs(diff).max(axis=1)
    return out


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
    wa = np.ones(a.size) if w1 is None else as_weights(w1, a.size, "w1")
    wb = np.ones(b.size) if w2 is None else as_weights(w2, b.size, "w2")
    keep_a, keep_b = wa > 0, wb > 0
    a, wa, b, wb = a[keep_a], wa[keep_a], b[keep_b], wb[keep_b]
    strata = None
    if strata1 is not None:
        s1 = np.asarray(strata1)[keep_a] if np.size(strata1) == keep_a.size else None
        s2 = np.asarray(strata2)[keep_b] if np.size(strata2) == keep_b.size else None
        if s1 is None or s2 is None:
            raise ValueError("ks_test: need one stratum per model")
        strata = np.concatenate((s1, s2))
    d = ks_statistic(a, b, wa, wb)
    x = np.concatenate((a, b))
    w = np.concatenate((wa / wa.sum(), wb / wb.sum()))
    g = np.r_[np.zeros(a.size, bool), np.ones(b.size, bool)]
    perm = _permuted_d(x, w, g, strata, permutations, np.random.default_rng(seed))
    p = (1 + int(np.count_nonzero(perm >= d - 1e-12))) / (1 + permutations)
    kind = "stratified" if strata is not None else "pooled"
    return KSResult(d, float(p), f"permutation ({permutations}, {kind})", a.size, b.size)
