"""What every comparison shares: the default margin and level, claims, the bootstrap interval of an
effect and the equivalence (TOST) p-value of its bootstrap draws.

Used by the population comparisons (:mod:`~designspace.analysis.pair_test`) and the paired ones
(:mod:`~designspace.analysis.paired`), so that both read a shift the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CLAIMS", "DEFAULT_ALPHA", "DEFAULT_MARGIN", "Interval", "interval", "tost_p"]

#: equivalence margin in points of error (percentage points): about one training's seed noise (sd
#: 1.0-2.3 pt in results/anynet_cifar), the smallest median shift worth a design decision there
DEFAULT_MARGIN = 1.0
DEFAULT_ALPHA = 0.05
#: a claim and the alternative of its decision test
CLAIMS = {"better": "less", "no loss": "two-sided", "at least as good": "two-sided", "none": "two-sided"}


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    level: float

    def text(self, digits: int = 2) -> str:
        return f"{self.estimate:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"


def interval(estimate: float, draws: np.ndarray, level: float) -> Interval:
    """The percentile bootstrap interval of ``estimate`` at ``level`` from its ``draws``."""
    tail = (1 - level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Interval(float(estimate), float(low), float(high), level)


def tost_p(draws: np.ndarray, margin: float) -> float:
    """TOST p-value of ``|shift| < margin`` from the shift's bootstrap draws: the larger of the two
    one-sided p-values (H0: shift >= +margin, H0: shift <= -margin)."""
    n = draws.size
    p_up = (1 + int(np.count_nonzero(draws >= margin))) / (1 + n)
    p_down = (1 + int(np.count_nonzero(draws <= -margin))) / (1 + n)
    return float(max(p_up, p_down))
