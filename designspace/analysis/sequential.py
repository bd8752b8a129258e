"""Group-sequential stopping for population studies: interim looks with an alpha-spending rule.

A study that compares its population with another one looks at the comparison every few models
(e.g. at 50, 100, 150, 200 of a planned 200). At look ``k`` with information fraction
``t_k = n_k / N`` it computes ``z_k`` = median shift / its permutation-null sd (the decision test
of :mod:`~designspace.analysis.compare` on a z scale) and stops with a verdict once ``|z_k|``
crosses the boundary ``c_k``. The boundaries spend the level ``alpha`` over the looks by the
Lan-DeMets spending function (O'Brien-Fleming-like by default: almost nothing early, nearly the
full ``alpha`` at the end; or Pocock-like), solved exactly for the canonical joint normal law of
``(z_1, ..., z_K)`` (``corr(z_i, z_j) = sqrt(t_i / t_j)``), so the chance of any false stop over
all looks is ``alpha``. The median shift is asymptotically a sum of per-model terms, so its
z-statistics follow that law; ``benchmarks/bench_type1.py`` checks the level by simulation.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from designspace.analysis.permutation import pooled, statistics

__all__ = ["SPENDING", "Look", "boundaries", "sequential_looks", "spent"]

SPENDING = ("obrien-fleming", "pocock")


def spent(t: float | np.ndarray, alpha: float = 0.05, kind: str = "obrien-fleming") -> np.ndarray:
    """Lan-DeMets spending: the level spent by information fraction ``t`` (``spent(1) = alpha``).

    O'Brien-Fleming-like: ``2 - 2 Phi(z_{1-alpha/2} / sqrt(t))``; Pocock-like: ``alpha ln(1 + (e - 1) t)``.
    """
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if kind == "obrien-fleming":
        z = stats.norm.ppf(1 - alpha / 2)
        return np.where(t > 0, 2 * stats.norm.sf(z / np.sqrt(np.maximum(t, 1e-300))), 0.0)
    if kind == "pocock":
        return alpha * np.log(1 + (math.e - 1) * t)
    raise ValueError(f"spending={kind!r}: use one of {', '.join(SPENDING)}")


def _cross_prob(c: Sequence[float], t: np.ndarray, sides: int) -> float:
    """P(no crossing of the first len(c) boundaries) under the null."""
    k = len(c)
    if k == 0:
        return 1.0
    cov = np.sqrt(np.minimum.outer(t[:k], t[:k]) / np.maximum.outer(t[:k], t[:k]))
    upper = np.asarray(c, dtype=float)
    lower = -upper if sides == 2 else np.full(k, -np.inf)
    if k == 1:
        return float(stats.norm.cdf(upper[0]) - (stats.norm.cdf(lower[0]) if sides == 2 else 0.0))
    mvn = stats.multivariate_normal(mean=np.zeros(k), cov=cov, allow_singular=True)
    return float(mvn.cdf(upper, lower_limit=lower))


def boundaries(
    fractions: Sequence[float], alpha: float = 0.05, kind: str = "obrien-fleming", sides: int = 2
) -> np.ndarray:
    """z boundaries ``c_k`` of looks at increasing information ``fractions`` (the last is 1)."""
    return np.asarray(_boundaries(tuple(float(f) for f in fractions), float(alpha), kind, int(sides)))


@functools.lru_cache(maxsize=256)
def _boundaries(fractions: tuple[float, ...], alpha: float, kind: str, sides: int) -> tuple[float, ...]:
    t = np.asarray(fractions, dtype=float)
    if t.ndim != 1 or t.size == 0 or (np.diff(t) <= 0).any() or t[0] <= 0 or abs(t[-1] - 1) > 1e-9:
        raise ValueError(f"fractions={list(fractions)!r}: need increasing fractions in (0, 1] ending at 1")
    if not 0 < alpha < 1 or sides not in (1, 2):
        raise ValueError(f"alpha={alpha!r}, sides={sides!r}: need 0 < alpha < 1 and sides 1 or 2")
    a = spent(t, alpha, kind)
    c: list[float] = []
    stay = 1.0
    for k in range(t.size):
        target = a[k] - (a[k - 1] if k else 0.0)  # the level to spend at this look
        if target <= 1e-12:
            c.append(math.inf)
            continue

        def excess(ck: float, k: int = k, stay: float = stay, target: float = target) -> float:
            return stay - _cross_prob([*c, ck], t, sides) - target

        ck = optimize.brentq(excess, 0.5, 12.0, xtol=1e-6)
        c.append(float(ck))
        stay = _cross_prob(c, t, sides)
    return tuple(c)


@dataclass(frozen=True)
class Look:
    n: int  # models per population at this look
    fraction: float
    shift: float  # median shift, points of error
    z: float
    boundary: float
    stop: bool


def sequential_looks(
    e1: object,
    e2: object,
    looks: Sequence[int],
    *,
    strata1: object | None = None,
    strata2: object | None = None,
    alpha: float = 0.05,
    kind: str = "obrien-fleming",
    alternative: str = "two-sided",
    permutations: int = 500,
    seed: int = 0,
) -> list[Look]:
    """Run the looks on the first ``n_k`` models of each population (in the order they were
    trained) until a boundary is crossed. Errors are plain (unweighted) or stratified by
    ``strata`` (complexity bins; each look re-normalizes its own models within them)."""
    x1, x2 = np.asarray(e1, dtype=float), np.asarray(e2, dtype=float)
    ns = sorted(int(n) for n in looks)
    if not ns or ns[0] < 3 or len(set(ns)) < len(ns):
        raise ValueError(f"looks={list(looks)!r}: need distinct sizes >= 3")
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"alternative={alternative!r}: use two-sided, less or greater")
    sides = 2 if alternative == "two-sided" else 1
    c = boundaries([n / ns[-1] for n in ns], alpha, kind, sides)
    out = []
    for k, n in enumerate(ns):
        if n > min(x1.size, x2.size):
            break
        a, b = x1[:n], x2[:n]
        s1 = s2 = None
        w1, w2 = np.ones(n), np.ones(n)
        if strata1 is not None:
            s1, s2 = np.asarray(strata1)[:n], np.asarray(strata2)[:n]
            w1, w2 = _cell_weights(s1, s2)
            keep1, keep2 = w1 > 0, w2 > 0
            a, w1, s1, b, w2, s2 = a[keep1], w1[keep1], s1[keep1], b[keep2], w2[keep2], s2[keep2]
        obs, null = statistics(pooled(a, w1, b, w2, s1, s2), ("median",), permutations, seed + k)
        sd = float(np.std(null["median"], ddof=1))
        z = obs["median"] / sd if sd > 0 else 0.0
        hit = abs(z) >= c[k] if sides == 2 else (-z if alternative == "less" else z) >= c[k]
        out.append(Look(n, n / ns[-1], obs["median"], float(z), float(c[k]), bool(hit)))
        if hit:
            break
    return out


def _cell_weights(s1: np.ndarray, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Uniform-target normalization weights of two stratified samples (bins empty in one: weight 0)."""
    bins = np.union1d(s1, s2)
    kept = [v for v in bins if (s1 == v).any() and (s2 == v).any()]
    w1, w2 = np.zeros(s1.size), np.zeros(s2.size)
    for v in kept:
        w1[s1 == v] = 1 / (len(kept) * (s1 == v).sum())
        w2[s2 == v] = 1 / (len(kept) * (s2 == v).sum())
    return w1, w2
