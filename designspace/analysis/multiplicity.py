"""p-values adjusted for the number of comparisons in one report (one family).

* ``"holm"`` (default): Holm's step-down Bonferroni, which controls the family-wise error rate (the
  chance of any false "better"/"worse" in the report) under any dependence between the tests:
  sort the m p-values, ``p_adj(i) = max_{j <= i} min(1, (m - j + 1) p(j))``;
* ``"bh"``: Benjamini-Hochberg (``scipy.stats.false_discovery_control``), which controls the
  expected share of false claims among the claims made (weaker; for long exploratory reports);
* ``"none"``: the raw p-values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["ADJUSTMENTS", "adjust", "holm", "multipliers"]

ADJUSTMENTS = ("holm", "bh", "none")


def _check(p: Sequence[float]) -> np.ndarray:
    a = np.asarray(p, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"p-values: need a 1-D sequence (got shape {a.shape})")
    if not (np.isfinite(a).all() and ((a >= 0) & (a <= 1)).all()):
        raise ValueError("p-values must lie in [0, 1]")
    return a


def multipliers(p: Sequence[float], method: str = "holm") -> np.ndarray:
    """The factor ``k`` of each p-value's own step: the adjustment tests it at level ``alpha / k``.

    Holm: ``m - rank + 1``; BH: ``m / rank`` (rank 1 = the smallest p; ties keep input order);
    none: 1. Used to plan the n of a comparison and to re-decide it in bootstrap resamples.
    """
    a = _check(p)
    ranks = np.empty(a.size, dtype=int)
    ranks[np.argsort(a, kind="stable")] = np.arange(1, a.size + 1)
    if method == "holm":
        return (a.size - ranks + 1).astype(float)
    if method == "bh":
        return a.size / ranks
    if method == "none":
        return np.ones(a.size)
    raise ValueError(f"adjust={method!r}: use one of {', '.join(ADJUSTMENTS)}")


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values, in the input order."""
    a = _check(p)
    if a.size == 0:
        return a
    order = np.argsort(a, kind="stable")
    stepped = np.minimum(1.0, (a.size - np.arange(a.size)) * a[order])
    out = np.empty_like(a)
    out[order] = np.maximum.accumulate(stepped)
    return out


def adjust(p: Sequence[float], method: str = "holm") -> np.ndarray:
    """``p`` adjusted by ``method`` (one of :data:`ADJUSTMENTS`) over the whole sequence."""
    a = _check(p)
    if method == "holm":
        return holm(a)
    if method == "bh":
        return stats.false_discovery_control(a, method="bh") if a.size else a
    if method == "none":
        return a.copy()
    raise ValueError(f"adjust={method!r}: use one of {', '.join(ADJUSTMENTS)}")
