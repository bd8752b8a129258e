"""Empirical distribution functions (EDFs) and complexity-normalization weights.

``F(e) = sum_i w_i 1[e_i < e] / sum_i w_i`` (plain: ``w_i = 1``, so ``F(e) = (1/n) sum_i 1[e_i < e]``).

Complexity normalization (Radosavovic et al. 2019, Sec. 3.2) makes the complexity distribution of
every compared population uniform: the models are binned by log complexity with bin edges common
to all populations, and a model in bin ``j`` of population ``p`` gets weight ``1 / (k * n_pj)``
(``k`` kept bins, ``n_pj`` models of ``p`` in bin ``j``), so each kept bin holds ``1/k`` of every
population's mass. A bin that is empty in any population cannot be made equal there, so it is
dropped for all of them (its models get weight 0); :class:`Normalization` says how many.

The *target* is the common complexity distribution: ``"uniform"`` (the paper's: every kept bin
``1/k``) or ``"pooled"`` (every kept bin the share of all compared models in it, ``N_j / N``: the
populations' own complexity mix, which down-weights sparsely sampled bins). A verdict that flips
between the two targets depends on how the compared complexity range is weighted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EDF",
    "TARGETS",
    "Normalization",
    "as_sample",
    "as_weights",
    "auto_bins",
    "complexity_weights",
    "edf",
    "weighted_sample",
]

#: target complexity distributions of :func:`complexity_weights`
TARGETS = ("uniform", "pooled")


def as_sample(x: object, name: str = "errors") -> np.ndarray:
    """A finite, non-empty 1-D float array, or ValueError naming ``name``."""
    a = np.asarray(x, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name}: need a non-empty 1-D sample (got shape {a.shape})")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: {int((~np.isfinite(a)).sum())} values are not finite")
    return a


def as_weights(w: object, n: int, name: str = "weights") -> np.ndarray:
    """Non-negative finite weights of length ``n`` with a positive sum."""
    a = np.asarray(w, dtype=float)
    if a.shape != (n,):
        raise ValueError(f"{name}: need {n} weights (got shape {a.shape})")
    if not np.isfinite(a).all() or (a < 0).any():
        raise ValueError(f"{name}: weights must be finite and >= 0")
    if not a.sum() > 0:
        raise ValueError(f"{name}: weights sum to 0")
    return a


def weighted_sample(
    a: np.ndarray, w: object | None, strata: object | None, name: str, weights_name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The sample ``a`` (from :func:`as_sample`), its weights (all 1 when ``w`` is None) and strata,
    without the models of weight 0 (they take no part in a test)."""
    wa = np.ones(a.size) if w is None else as_weights(w, a.size, weights_name)
    sa = None
    if strata is not None:
        sa = np.asarray(strata)
        if sa.shape != a.shape:
            raise ValueError(f"{name}: need one stratum per model (got shape {sa.shape})")
    keep = wa > 0
    return a[keep], wa[keep], None if sa is None else sa[keep]


@dataclass(frozen=True, eq=False)
class EDF:
    """A (weighted) EDF: ``values`` sorted, ``cum[j]`` = normalized weight of ``values[:j]``.

    ``cum`` has ``n + 1`` entries from 0 to 1. Calling it evaluates ``F(e)`` (strict ``<``).
    """

    values: np.ndarray
    cum: np.ndarray
    weighted: bool

    @property
    def n(self) -> int:
        return int(self.values.size)

    def __call__(self, e: object) -> np.ndarray:
        """``F(e)``: the weight of the models with error strictly below ``e``."""
        return self.cum[np.searchsorted(self.values, np.asarray(e, dtype=float), side="left")]

    def upper(self, e: object) -> np.ndarray:
        """``F(e+)``: the weight of the models with error ``<= e`` (the right limit)."""
        return self.cum[np.searchsorted(self.values, np.asarray(e, dtype=float), side="right")]

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """The EDF as ``(x, y)`` for a ``where="post"`` step plot: ``y[i] = F(x[i]+)``."""
        last = np.r_[self.values[1:] != self.values[:-1], True]
        return self.values[last], self.cum[1:][last]

    def quantile(self, q: float) -> float:
        """The smallest sample value ``e`` with ``F(e+) >= q``."""
        i = int(np.searchsorted(self.cum[1:], q - 1e-12, side="left"))
        return float(self.values[min(i, self.n - 1)])


def edf(errors: object, weights: object | None = None) -> EDF:
    """The EDF of ``errors``; with ``weights``, each model counts in proportion to its weight.

    Unweighted, ``cum = arange(n + 1) / n`` exactly (so KS statistics match scipy bit for bit).
    """
    x = as_sample(errors)
    if weights is None:
        values = np.sort(x)
        return EDF(values, np.arange(values.size + 1) / values.size, False)
    order = np.argsort(x)  # the order of tied values does not matter: F is read at run ends
    values = x[order]
    w = as_weights(weights, x.size)[order]
    cum = np.concatenate(([0.0], np.cumsum(w)))
    cum /= cum[-1]
    return EDF(values, cum, True)


def auto_bins(sizes: Sequence[int]) -> int:
    """Default number of complexity bins: ``round(sqrt(smallest population))``, clipped to [1, 20].

    About ``sqrt(n)`` models per bin in the smallest population: enough bins to flatten the
    complexity distribution, enough models per bin that few bins are empty.
    """
    return int(min(20, max(1, round(math.sqrt(min(sizes))))))


@dataclass(frozen=True, eq=False)
class Normalization:
    """Complexity-normalization weights of several populations on common bins.

    ``edges`` are bin edges in log10 complexity; ``counts[p, j]`` models of population ``p`` in bin
    ``j``; ``kept[j]`` is false for bins empty in some population (dropped for all);
    ``weights[p]`` sum to 1 (0 in dropped bins); ``bins[p]`` is each model's bin index.
    """

    by: str
    edges: np.ndarray
    counts: np.ndarray
    kept: np.ndarray
    weights: tuple[np.ndarray, ...]
    bins: tuple[np.ndarray, ...]
    target: str = "uniform"

    @property
    def k(self) -> int:
        """Number of kept bins."""
        return int(self.kept.sum())

    @property
    def dropped_models(self) -> tuple[int, ...]:
        """Per population, the models in dropped bins (weight 0)."""
        return tuple(int(c[~self.kept].sum()) for c in self.counts)

    @property
    def dropped_bins(self) -> int:
        return int((~self.kept).sum())

    def describe(self) -> str:
        lo, hi = 10 ** self.edges[0], 10 ** self.edges[-1]
        text = f"{self.counts.shape[1]} log-spaced {self.by} bins from {lo:.3g} to {hi:.3g}"
        if self.target != "uniform":
            text += f", {self.target} target"
        if self.dropped_bins:
            text += f"; {self.dropped_bins} bin(s) empty in some population dropped for all"
        return text


def complexity_weights(
    complexities: Sequence[object], bins: int | None = None, by: str = "flops", target: str = "uniform"
) -> Normalization:
    """Weights that make each population's log-complexity distribution equal on common bins.

    ``complexities``: one array of positive complexities (flops, params, ...) per population.
    ``bins``: number of equal-width bins in log10 complexity over the union of all populations
    (default :func:`auto_bins`). Bins empty in some population are dropped for all of them; if no
    bin is left (the populations' complexity ranges do not overlap) this raises ValueError.
    ``target``: ``"uniform"`` (each kept bin holds ``1/k`` of every population) or ``"pooled"``
    (each kept bin holds the share of all compared models in it).
    """
    if target not in TARGETS:
        raise ValueError(f"target={target!r}: use one of {', '.join(TARGETS)}")
    logs = []
    for i, c in enumerate(complexities):
        a = as_sample(c, f"{by} of population {i + 1}")
        if (a <= 0).any():
            raise ValueError(f"{by} of population {i + 1}: complexities must be positive to bin them on a log scale")
        logs.append(np.log10(a))
    if not logs:
        raise ValueError("complexity_weights: no populations")
    k = auto_bins([len(x) for x in logs]) if bins is None else int(bins)
    if k < 1:
        raise ValueError(f"bins={bins!r}: need at least one bin")
    lo = min(float(x.min()) for x in logs)
    hi = max(float(x.max()) for x in logs)
    if hi - lo < 1e-12:  # one complexity for everyone: a single bin
        lo, hi, k = lo - 0.5, hi + 0.5, 1
    edges = np.linspace(lo, hi, k + 1)
    idx = tuple(np.clip(np.searchsorted(edges, x, side="right") - 1, 0, k - 1) for x in logs)
    counts = np.stack([np.bincount(i, minlength=k) for i in idx])
    kept = (counts > 0).all(axis=0)
    n_kept = int(kept.sum())
    if n_kept == 0:
        raise ValueError(
            f"complexity normalization by {by}: the populations' {by} ranges do not overlap "
            "(no bin holds models of every population); compare without normalization"
        )
    mass = np.where(kept, 1.0 / n_kept, 0.0)  # the target's share of each bin
    if target == "pooled":
        total = counts.sum(axis=0) * kept
        mass = total / total.sum()
    weights = []
    for p, i in enumerate(idx):
        c = counts[p, i].astype(float)
        weights.append(np.where(kept[i], mass[i] / np.maximum(c, 1), 0.0))
    return Normalization(by, edges, counts, kept, tuple(weights), idx, target)
