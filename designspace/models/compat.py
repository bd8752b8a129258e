"""Width / bottleneck / group compatibility of the X block: the one home of the rule.

A ``res_bottleneck`` stage of width w and bottleneck ratio b has a 3x3 grouped conv over
v = w / b channels in groups of g channels, so g must divide v. A drawn (w, b, g) need not
satisfy that (w = 24, b = 4: v = 6, g = 4), and a rule maps it to a valid stage:

* ``"pycls"`` (the default everywhere): the reference implementation's
  ``adjust_block_compatibility`` (pycls/models/blocks.py; pycls works with bottleneck
  *multipliers* bm = 1 / b): ``v = max(1, int(w * bm))``, ``g' = min(g, v)``,
  ``m = lcm(g', int(bm)) if bm > 1 else g'``, ``v' = max(m, round(v / m) * m)`` (Python's
  round: half to even), ``w' = int(v' / bm)``. The group width is kept (capped at v) and the
  *width* moves to a multiple of b g'; for b >= 1 (bm <= 1), m = g'. Example: w = 202 b,
  g = 32 -> v' = 192, g' = 32 (6 groups).
* ``"gcd"``: the group width becomes ``gcd(g, v)`` and the width stays as drawn
  (202 b, 32 -> group width 2, 101 groups). This was this project's AnyNetX rule before
  pycls's; it is kept, by name, only so that the v1 reproduction in ``results/anynet_cifar/``
  (sampled with it) resumes and replays exactly. Nothing else should use it.

:func:`compatible` is the scalar rule, :func:`compatible_arrays` the same rule over numpy
arrays (same IEEE operations, so bit-identical; ``tests/test_compat.py`` checks both against
pycls's function, ported verbatim, on random (w, b, g) and on the published RegNets).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from designspace.ui import checks

__all__ = ["GROUP_RULES", "DEFAULT_GROUP_RULE", "Compat", "check_group_rule", "compatible", "compatible_arrays"]

#: the named rules; the first is the default
GROUP_RULES = ("pycls", "gcd")
DEFAULT_GROUP_RULE = "pycls"


def check_group_rule(rule: object) -> str:
    """``rule`` if it is a known rule name, else a one-line ``ValueError``."""
    return checks.choice("group_rule", rule, GROUP_RULES)


class Compat(NamedTuple):
    """An X stage after the rule: stage width, bottleneck width, group width (groups derived)."""

    width: int
    bottleneck_width: int
    group_width: int

    @property
    def groups(self) -> int:
        return self.bottleneck_width // self.group_width


def compatible(w: int, b: float, g: int, rule: str = DEFAULT_GROUP_RULE) -> Compat:
    """The valid stage for a drawn width ``w``, bottleneck *ratio* ``b`` and group width ``g``."""
    if rule == "pycls":
        bm = 1.0 / b
        v = int(max(1, w * bm))
        gp = int(min(g, v))
        m = int(np.lcm(gp, int(bm))) if bm > 1 else gp
        v = max(m, int(round(v / m) * m))
        return Compat(int(v / bm), v, gp)
    if rule == "gcd":
        v = int(round(w / b))
        return Compat(int(w), v, math.gcd(int(g), v))
    check_group_rule(rule)
    raise AssertionError  # pragma: no cover


def compatible_arrays(
    w: ArrayLike, b: ArrayLike, g: ArrayLike, rule: str = DEFAULT_GROUP_RULE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`compatible` over broadcast arrays (b >= 1): int64 (width, bottleneck width, group width)."""
    w, g = np.asarray(w, dtype=np.int64), np.asarray(g, dtype=np.int64)
    bi = np.asarray(b)
    if rule == "pycls" and bi.dtype.kind in "iu" and (bi >= 1).all() and not (bi & (bi - 1)).any():
        # b a power of two: 1/b is exact, so int(w / b) and int(v / (1/b)) are integer operations
        v = np.maximum(w // bi, 1)
        gp = np.minimum(g, v)
        v = np.maximum(gp, np.round(v / gp).astype(np.int64) * gp)
        return v * bi, v, gp
    bf = np.asarray(b, dtype=np.float64)
    if np.any(bf < 1):
        raise ValueError("compatible_arrays: bottleneck ratios below 1 need the scalar rule (compatible)")
    if rule == "pycls":
        bm = 1.0 / bf
        v = np.floor(np.maximum(1.0, w * bm)).astype(np.int64)
        gp = np.minimum(g, v)  # m = g' for b >= 1 (bm <= 1)
        v = np.maximum(gp, np.round(v / gp).astype(np.int64) * gp)
        return np.trunc(v / bm).astype(np.int64), v, gp
    if rule == "gcd":
        v = w // bi if bi.dtype.kind in "iu" else np.round(w / bf).astype(np.int64)  # b divides w here
        return (w if w.shape == v.shape else np.broadcast_to(w, v.shape)), v, np.gcd(g, v)
    check_group_rule(rule)
    raise AssertionError  # pragma: no cover
