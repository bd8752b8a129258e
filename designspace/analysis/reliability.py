"""How much of a measured error is the model's: seed noise against the spread between models.

Two measurements per model (two training seeds, or two groups of seeds) give, with
``e = true + noise`` per measurement, ``var(b - a) = 2 noise^2`` and ``var((a + b) / 2) = spread^2 +
noise^2 / 2``. The intraclass correlation ``icc = spread^2 / (spread^2 + noise^2)`` is the share of one
measurement's variance that belongs to the model: the reliability of one measurement, which the
Spearman correlation between the two measurements estimates (noisily) on ranks. The mean of ``k``
measurements has reliability ``k icc / (1 + (k - 1) icc)`` (Spearman-Brown).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["noise_and_spread", "reliability_of_mean"]


def noise_and_spread(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """``noise_sd_per_run``, ``spread_sd_true`` and ``icc`` from two measurements of each model
    (pairs with a missing value are left out; at least two pairs are needed)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"noise_and_spread: two equally long 1-d sequences needed, got {x.shape} and {y.shape}")
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        raise ValueError(f"noise_and_spread: {int(ok.sum())} complete pairs; at least 2 are needed")
    x, y = x[ok], y[ok]
    noise2 = float(np.var(y - x, ddof=1)) / 2
    spread2 = max(float(np.var((x + y) / 2, ddof=1)) - noise2 / 2, 0.0)
    total = spread2 + noise2
    return {
        "noise_sd_per_run": noise2**0.5,
        "spread_sd_true": spread2**0.5,
        "icc": spread2 / total if total > 0 else float("nan"),
    }


def reliability_of_mean(icc: float, k: int) -> float:
    """Spearman-Brown: the reliability of the mean of ``k`` measurements of reliability ``icc``."""
    if k < 1:
        raise ValueError(f"reliability_of_mean: k={k} must be >= 1")
    return k * icc / (1 + (k - 1) * icc)
