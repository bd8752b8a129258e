"""Complexity regimes: ``flops=(lo, hi)`` and/or ``params=(lo, hi)`` (inclusive) at a resolution.

Ranges are tuples of numbers or strings ``"LO:HI"`` with optional suffixes ``k``, ``M``, ``G``
(``"360M:400M"``, ``"3.6e8:4e8"``, ``"0:2M"``); an empty side is open (``":2M"``, ``"1G:"``).
Bad input raises ``ValueError`` with a one-line message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from designspace.ui.numbers import si

__all__ = ["Regime", "parse_range", "parse_quantity"]

_SUFFIX = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "B": 1e9, "T": 1e12}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKMGBT]?)\s*$")

#: the regime metrics (keys of ``ds.complexity``)
METRICS = ("flops", "params")


def parse_quantity(text: str, what: str = "value") -> float:
    """``"360M"`` -> 360e6, ``"2.5e6"`` -> 2.5e6."""
    m = _QUANTITY.match(text)
    if not m:
        raise ValueError(f"{what}={text!r}: not a number (use e.g. 360M, 2.5e6, 400000)")
    return float(m.group(1)) * _SUFFIX[m.group(2)]


def parse_range(value: Any, what: str = "range") -> tuple[float, float]:
    """``"LO:HI"`` or ``(lo, hi)`` -> ``(lo, hi)``, checked (non-negative, ``lo <= hi``)."""
    if isinstance(value, str):
        if value.count(":") != 1:
            raise ValueError(f"{what}={value!r}: expected LO:HI (e.g. 360M:400M)")
        lo_s, hi_s = value.split(":")
        lo = parse_quantity(lo_s, what) if lo_s.strip() else 0.0
        hi = parse_quantity(hi_s, what) if hi_s.strip() else math.inf
    else:
        try:
            lo, hi = value
            lo, hi = float(lo), float(hi)
        except (TypeError, ValueError):
            raise ValueError(f"{what}={value!r}: expected (lo, hi) or 'LO:HI'") from None
    if math.isnan(lo) or math.isnan(hi) or lo < 0:
        raise ValueError(f"{what}={value!r}: bounds must be non-negative numbers")
    if lo > hi:
        raise ValueError(f"{what}={value!r}: LO > HI")
    return lo, hi


@dataclass(frozen=True)
class Regime:
    """Inclusive bounds on analytic complexity; ``bounds`` is a tuple of ``(metric, lo, hi)``."""

    bounds: tuple[tuple[str, float, float], ...] = ()

    @classmethod
    def make(cls, flops: Any = None, params: Any = None) -> Regime:
        bounds = []
        for name, value in (("flops", flops), ("params", params)):
            if value is not None:
                lo, hi = parse_range(value, name)
                bounds.append((name, lo, hi))
        return cls(tuple(bounds))

    def __bool__(self) -> bool:
        return bool(self.bounds)

    def mask(self, cx: Mapping[str, np.ndarray]) -> np.ndarray:
        """Which of a batch of complexities lie in the regime."""
        ok = None
        for name, lo, hi in self.bounds:
            m = (cx[name] >= lo) & (cx[name] <= hi)
            ok = m if ok is None else ok & m
        return ok

    def accepts(self, cx: Mapping[str, int]) -> bool:
        return all(lo <= cx[name] <= hi for name, lo, hi in self.bounds)

    def describe(self) -> str:
        if not self.bounds:
            return "no regime"
        return ", ".join(f"{n} {si(lo)}:{si(hi)}" for n, lo, hi in self.bounds)

    def as_dict(self) -> dict[str, list[float | None]]:
        """``{metric: [lo, hi]}`` (JSON-safe: an open upper end is ``None``)."""
        return {n: [lo, None if math.isinf(hi) else hi] for n, lo, hi in self.bounds}
