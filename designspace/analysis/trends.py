"""Binned trends: median error per bin of a parameter (or of complexity) with bootstrap bands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from designspace.analysis.edf import as_sample

__all__ = ["Trend", "binned_trend"]


@dataclass(frozen=True, eq=False)
class Trend:
    """Per bin: ``centers`` (the bin's median x), ``counts``, ``median`` error and its ``low``/``high``
    bootstrap band. ``discrete`` bins hold one value each."""

    centers: np.ndarray
    counts: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    discrete: bool
    log: bool


def binned_trend(
    x: object,
    errors: object,
    *,
    bins: int = 10,
    log: bool = False,
    min_count: int = 3,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Trend:
    """Median error per bin of ``x`` with a bootstrap band of the median.

    ``x`` with at most ``bins`` distinct values gets one bin per value; otherwise ``bins``
    equal-width bins (in log10 x when ``log``). Bins with fewer than ``min_count`` models are left
    out. Each bin's band resamples its models ``n_boot`` times (seeded).
    """
    xv = as_sample(x, "x")
    e = as_sample(errors)
    if xv.size != e.size:
        raise ValueError(f"binned_trend: {xv.size} values but {e.size} errors")
    if log and (xv <= 0).any():
        raise ValueError("binned_trend: log bins need positive values")
    if n_boot < 1 or not 0 < level < 1:
        raise ValueError(f"binned_trend: need n_boot >= 1 and 0 < level < 1 (got {n_boot}, {level})")
    uniq = np.unique(xv)
    discrete = uniq.size <= bins
    if discrete:
        idx = np.searchsorted(uniq, xv)
        k = uniq.size
    else:
        t = np.log10(xv) if log else xv
        edges = np.linspace(t.min(), t.max(), bins + 1)
        idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, bins - 1)
        k = bins
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    rows = []
    for j in range(k):
        members = np.flatnonzero(idx == j)
        if members.size < max(1, min_count):
            continue
        ej = e[members]
        boot = np.median(ej[rng.integers(0, ej.size, size=(n_boot, ej.size))], axis=1)
        lo, hi = np.quantile(boot, [tail, 1 - tail])
        rows.append((float(np.median(xv[members])), members.size, float(np.median(ej)), lo, hi))
    if not rows:
        empty = np.empty(0)
        return Trend(empty, np.empty(0, dtype=int), empty, empty, empty, discrete, log)
    c, n, m, lo, hi = (np.asarray(col) for col in zip(*rows))
    return Trend(c, n.astype(int), m, lo, hi, discrete, log)
