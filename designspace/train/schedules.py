"""Learning-rate schedules as functions of training progress ``p`` in [0, 1] (a registry).

Progress is steps done / total steps for an epoch budget and elapsed / allowed seconds for a
time budget, so every schedule ends exactly when the budget does. ``warmup`` is the fraction
of the budget spent rising linearly from ``WARMUP_START * lr`` to ``lr``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from designspace.registry import Registry

Schedule = Callable[[float, float], float]  # (p, warmup) -> multiplier of the peak lr

WARMUP_START = 0.04  # start of the ramp, as a fraction of the peak (one-cycle's usual 1/25)

SCHEDULES: Registry[Schedule] = Registry("schedule")


def _ramp(p: float, warmup: float) -> float | None:
    if warmup > 0 and p < warmup:
        return WARMUP_START + (1 - WARMUP_START) * p / warmup
    return None


@SCHEDULES.add("onecycle")
def onecycle(p: float, warmup: float) -> float:
    """Linear up to the peak over ``warmup``, then linear down to 0 (Smith's one-cycle)."""
    up = _ramp(p, warmup)
    return up if up is not None else max(0.0, (1 - p) / max(1e-12, 1 - warmup))


@SCHEDULES.add("cosine")
def cosine(p: float, warmup: float) -> float:
    """Linear warm-up over ``warmup``, then half a cosine down to 0."""
    up = _ramp(p, warmup)
    if up is not None:
        return up
    q = min(1.0, (p - warmup) / max(1e-12, 1 - warmup))
    return 0.5 * (1 + math.cos(math.pi * q))


@SCHEDULES.add("constant")
def constant(p: float, warmup: float) -> float:
    """Linear warm-up over ``warmup``, then the peak until the end (for debugging and probes)."""
    up = _ramp(p, warmup)
    return up if up is not None else 1.0


def lr_at(schedule: str, p: float, lr: float, warmup: float) -> float:
    return lr * SCHEDULES.get(schedule)(min(max(p, 0.0), 1.0), warmup)
