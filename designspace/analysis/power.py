"""Power and sample size of the shift test and the equivalence test of :mod:`~designspace.analysis.pair_test`.

Both tests are about the shift ``delta`` = median (or mean) error of population 2 minus that of
population 1, in points of error. With ``n`` models per population its estimate is close to normal
with standard error ``sd / sqrt(n)``; ``sd`` (the *unit sd*) comes from

* pilot data: the bootstrap variance ``v_i`` of each pilot population's (normalized) median at its
  size ``n_i`` gives ``sd^2 = n_1 v_1 + n_2 v_2`` (weights and strata included, so the loss of
  effective size to complexity normalization is too); or
* a noise level: between-model sd ``s`` of the true errors, one training's seed noise ``e`` and
  ``r`` trainings per model give one population's sd ``sqrt(s^2 + e^2 / r)``; for normal errors the
  median's variance is ``pi/2`` times the mean's, so ``sd^2 = 2 c (s^2 + e^2 / r)`` with ``c = pi/2``
  (median) or 1 (mean).

Measurement noise: with ``icc`` = the reliability of one training, ``e^2 / s^2 = (1 - icc) / icc``,
so going from ``r0`` to ``r`` trainings per model scales ``sd^2``, hence every n, by
``(1 + (1 - icc) / (icc r)) / (1 + (1 - icc) / (icc r0))`` (:func:`noise_factor`).

Difference (level ``alpha``): power = ``Phi(|delta| sqrt(n) / sd - z_{1-alpha/2})`` two-sided (plus the
negligible far tail), ``Phi(delta' sqrt(n) / sd - z_{1-alpha})`` one-sided. Equivalence (TOST, margin
``m``, true shift ``delta``): power = ``Phi((m - delta) sqrt(n) / sd - z_{1-alpha}) + Phi((m + delta)
sqrt(n) / sd - z_{1-alpha}) - 1`` (at least 0). ``benchmarks/bench_power.py`` checks these against
simulations of the real tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

__all__ = [
    "Plan",
    "n_difference",
    "n_equivalence",
    "noise_factor",
    "power_difference",
    "power_equivalence",
    "unit_sd_from_noise",
    "unit_sd_from_variances",
]

ALTERNATIVES = ("two-sided", "less", "greater")
#: the largest n a plan reports (beyond it: "not reachable")
N_MAX = 10**7


def _check(sd: float, alpha: float) -> None:
    if not (sd > 0 and math.isfinite(sd)):
        raise ValueError(f"sd={sd!r}: must be a positive number")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha!r}: must be in (0, 1)")


def power_difference(effect: float, sd: float, n: float, alpha: float = 0.05, alternative: str = "two-sided") -> float:
    """Power of the shift test to detect a true shift ``effect`` with ``n`` models per population.

    ``alternative="less"``: the claim is a lower error for population 2 (``effect < 0`` helps it).
    """
    _check(sd, alpha)
    z = effect * math.sqrt(n) / sd
    if alternative == "two-sided":
        c = stats.norm.ppf(1 - alpha / 2)
        return float(stats.norm.cdf(z - c) + stats.norm.cdf(-z - c))
    if alternative == "less":
        return float(stats.norm.cdf(-z - stats.norm.ppf(1 - alpha)))
    if alternative == "greater":
        return float(stats.norm.cdf(z - stats.norm.ppf(1 - alpha)))
    raise ValueError(f"alternative={alternative!r}: use one of {', '.join(ALTERNATIVES)}")


def power_equivalence(margin: float, sd: float, n: float, alpha: float = 0.05, shift: float = 0.0) -> float:
    """Power of the equivalence test (TOST at ``alpha``, margin ``±margin``) when the true shift is ``shift``."""
    _check(sd, alpha)
    if margin <= 0:
        raise ValueError(f"margin={margin!r}: must be > 0")
    c = stats.norm.ppf(1 - alpha)
    s = math.sqrt(n) / sd
    return float(max(0.0, stats.norm.cdf((margin - shift) * s - c) + stats.norm.cdf((margin + shift) * s - c) - 1))


def _smallest_n(power_at, power: float) -> int | None:
    """The smallest integer n >= 2 with ``power_at(n) >= power`` (None above :data:`N_MAX`)."""
    if not 0 < power < 1:
        raise ValueError(f"power={power!r}: must be in (0, 1)")
    if power_at(N_MAX) < power:
        return None
    lo, hi = 1, N_MAX  # power_at(lo) < power <= power_at(hi) unless lo works
    if power_at(2) >= power:
        return 2
    lo = 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power_at(mid) >= power:
            hi = mid
        else:
            lo = mid
    return hi


def n_difference(
    effect: float, sd: float, power: float = 0.8, alpha: float = 0.05, alternative: str = "two-sided"
) -> int | None:
    """Models per population for the shift test to detect ``effect`` with ``power`` (None: unreachable)."""
    _check(sd, alpha)
    if effect == 0:
        return None
    return _smallest_n(lambda n: power_difference(effect, sd, n, alpha, alternative), power)


def n_equivalence(margin: float, sd: float, power: float = 0.8, alpha: float = 0.05, shift: float = 0.0) -> int | None:
    """Models per population for TOST to show ``|delta| < margin`` with ``power`` when the true shift
    is ``shift`` (None when ``|shift| >= margin``: no n suffices)."""
    _check(sd, alpha)
    if abs(shift) >= margin:
        return None
    return _smallest_n(lambda n: power_equivalence(margin, sd, n, alpha, shift), power)


def unit_sd_from_variances(var1: float, n1: int, var2: float, n2: int) -> float:
    """``sd`` from each population's variance of its estimate (e.g. bootstrap) at its size."""
    if min(n1, n2) < 1 or min(var1, var2) < 0:
        raise ValueError("unit_sd_from_variances: sizes must be >= 1 and variances >= 0")
    return math.sqrt(n1 * var1 + n2 * var2)


def unit_sd_from_noise(
    spread_sd: float, noise_sd: float = 0.0, replicates: int = 1, statistic: str = "median"
) -> float:
    """``sd`` of normal errors with between-model sd ``spread_sd``, one training's noise ``noise_sd``
    and ``replicates`` trainings averaged per model."""
    if spread_sd < 0 or noise_sd < 0 or spread_sd + noise_sd <= 0:
        raise ValueError("unit_sd_from_noise: spread and noise must be >= 0, not both 0")
    if replicates < 1:
        raise ValueError(f"replicates={replicates!r}: must be >= 1")
    c = {"median": math.pi / 2, "mean": 1.0}.get(statistic)
    if c is None:
        raise ValueError(f"statistic={statistic!r}: use 'median' or 'mean'")
    return math.sqrt(2 * c * (spread_sd**2 + noise_sd**2 / replicates))


def noise_factor(icc: float, replicates: int, pilot_replicates: int = 1) -> float:
    """How ``sd^2`` (so every n) changes from ``pilot_replicates`` to ``replicates`` trainings per model,
    ``icc`` being the reliability of one training."""
    if not 0 < icc <= 1:
        raise ValueError(f"icc={icc!r}: must be in (0, 1]")
    if replicates < 1 or pilot_replicates < 1:
        raise ValueError("replicates must be >= 1")
    ratio = (1 - icc) / icc  # noise^2 / spread^2 of one training
    return (1 + ratio / replicates) / (1 + ratio / pilot_replicates)


@dataclass(frozen=True)
class Plan:
    """Models per population for a difference and for an equivalence, at one unit sd."""

    sd: float
    alpha: float
    power: float
    effect: float
    margin: float
    alternative: str
    n_difference: int | None
    n_equivalence: int | None

    @classmethod
    def make(
        cls,
        sd: float,
        effect: float,
        margin: float,
        *,
        alpha: float = 0.05,
        power: float = 0.8,
        alternative: str = "two-sided",
        shift: float = 0.0,
    ) -> Plan:
        return cls(
            float(sd),
            alpha,
            power,
            effect,
            margin,
            alternative,
            n_difference(effect, sd, power, alpha, alternative),
            n_equivalence(margin, sd, power, alpha, shift),
        )
