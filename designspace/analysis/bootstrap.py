"""Seeded, vectorized bootstraps: the "good range" of a parameter and EDF confidence bands.

Good range (Radosavovic et al. 2020, Sec. 3): draw 25% of the population with replacement, keep the
value of the best model of the draw; repeat 10,000 times. The central 95% of those values is the
parameter's good range and their median the best guess of the best value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from designspace.analysis.edf import as_sample, as_weights

__all__ = ["EDFBand", "GoodRange", "edf_band", "good_range"]

#: elements per block of resamples (bounds memory)
_BLOCK = 1 << 22


@dataclass(frozen=True)
class GoodRange:
    low: float
    high: float
    median: float
    level: float  # e.g. 0.95
    n_boot: int
    draw: int  # models per resample (frac * n)


def _check(n_boot: int, level: float) -> None:
    if n_boot < 1:
        raise ValueError(f"n_boot={n_boot!r}: need at least one resample")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r}: must be in (0, 1)")


def good_range(
    values: object,
    errors: object,
    *,
    frac: float = 0.25,
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> GoodRange:
    """Bootstrap interval of the value of the best model among ``frac * n`` drawn with replacement.

    Ties in error go to the model that comes first in the input.
    """
    v = as_sample(values, "values")
    e = as_sample(errors, "errors")
    if v.size != e.size:
        raise ValueError(f"good_range: {v.size} values but {e.size} errors")
    if not 0 < frac <= 1:
        raise ValueError(f"frac={frac!r}: must be in (0, 1]")
    _check(n_boot, level)
    n = e.size
    m = max(1, int(round(frac * n)))
    order = np.argsort(e, kind="stable")  # rank r is the r-th best model
    by_rank = v[order]
    rng = np.random.default_rng(seed)
    best = np.empty(n_boot, dtype=np.intp)
    step = max(1, _BLOCK // m)
    for start in range(0, n_boot, step):
        rows = min(step, n_boot - start)
        # the best of a draw of ranks is its smallest rank: draw ranks directly
        best[start : start + rows] = rng.integers(0, n, size=(rows, m)).min(axis=1)
    picks = by_rank[best]
    tail = (1 - level) / 2
    low, med, high = np.quantile(picks, [tail, 0.5, 1 - tail])
    return GoodRange(float(low), float(high), float(med), level, n_boot, m)


@dataclass(frozen=True, eq=False)
class EDFBand:
    """Pointwise bootstrap band of an EDF on ``grid``: ``low <= F(grid) <= high`` at ``level``."""

    grid: np.ndarray
    low: np.ndarray
    high: np.ndarray
    level: float
    n_boot: int


def edf_band(
    errors: object,
    weights: object | None = None,
    *,
    grid: object,
    strata: object | None = None,
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> EDFBand:
    """Pointwise ``level`` band of the (weighted) EDF at ``grid`` from ``n_boot`` resamples.

    Each resample draws ``n`` models with replacement (within each stratum, keeping the stratum
    sizes, when ``strata`` is given: the right resampling for complexity-normalized EDFs, whose
    weights depend on the bin counts). Models with weight 0 take no part.
    """
    x = as_sample(errors)
    w = np.ones(x.size) if weights is None else as_weights(weights, x.size)
    s = np.zeros(x.size, dtype=np.intp) if strata is None else np.asarray(strata)
    if s.shape != x.shape:
        raise ValueError(f"edf_band: need one stratum per model (got shape {s.shape})")
    keep = w > 0
    x, w, s = x[keep], w[keep], s[keep]
    _check(n_boot, level)
    g = np.asarray(grid, dtype=float)
    if g.ndim != 1 or g.size == 0:
        raise ValueError("edf_band: need a non-empty 1-D grid")
    gorder = np.argsort(g, kind="stable")
    # model j counts in F(g) for the sorted grid points from cell[j] on (those with g > x_j):
    # a resample's F on the grid is the running sum of its weight histogram over cells
    cell = np.searchsorted(g[gorder], x, side="right")
    ncell = g.size + 1
    groups = [np.flatnonzero(s == v) for v in np.unique(s)]
    rng = np.random.default_rng(seed)
    curves = np.empty((n_boot, g.size))
    step = max(1, _BLOCK // x.size)
    for start in range(0, n_boot, step):
        rows = min(step, n_boot - start)
        offsets = (np.arange(rows) * ncell)[:, None]
        hist = np.zeros(rows * ncell)
        for idx in groups:  # n_s draws among the n_s models of each stratum
            draws = idx[rng.integers(0, idx.size, size=(rows, idx.size))]
            hist += np.bincount(
                (cell[draws] + offsets).ravel(),
                weights=None if weights is None else w[draws].ravel(),
                minlength=rows * ncell,
            )
        hist = hist.reshape(rows, ncell)
        cum = np.cumsum(hist[:, :-1], axis=1) / hist.sum(axis=1, keepdims=True)
        curves[start : start + rows, gorder] = cum
    tail = (1 - level) / 2
    low, high = np.quantile(curves, [tail, 1 - tail], axis=0)
    return EDFBand(g, low, high, level, n_boot)
