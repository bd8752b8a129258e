"""Numbers as people read them: an SI suffix (k, M, G) on large counts."""

from __future__ import annotations

import math

_UNITS = (("G", 1e9), ("M", 1e6), ("k", 1e3))


def si(x: float, fmt: str = ".4g") -> str:
    """``x`` scaled to k/M/G with that suffix, the scaled number formatted by ``fmt`` (``si(12_500_000)``
    is ``"12.5M"``, ``si(12_500_000, ".2f")`` is ``"12.50M"``); below 1000 ``x`` as ``.4g`` (an
    integer as itself); infinities as ``inf`` / ``-inf``."""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    for unit, scale in _UNITS:
        if abs(x) >= scale:
            return f"{x / scale:{fmt}}{unit}"
    return f"{x:.4g}"
