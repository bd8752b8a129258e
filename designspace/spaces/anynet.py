"""AnyNetX-A..E (Radosavovic et al. 2020, Sec. 3): X blocks on the four-stage skeleton.

Each stage i has depth d_i in {1..16}, width w_i in {8, 16, ..., 1024}, bottleneck ratio
b_i in {1, 2, 4} and group width g_i in {1, 2, 4, 8, 16, 32}, all uniform:

* ``anynetx_a``: all 16 parameters independent;
* ``anynetx_b``: one shared b;  ``anynetx_c``: one shared b and one shared g;
* ``anynetx_d``: C with non-decreasing widths;  ``anynetx_e``: D with non-decreasing depths.
  D and E draw the four widths (depths) independently and sort them (see
  :mod:`designspace.spaces.fourstage` for the induced distribution) - no rejection.

Group width compatibility. The 3x3 conv has w/b channels in groups of g, so g must divide
w/b, and ``g <= w/b`` is not enough (w = 24, b = 4: w/b = 6, g = 4). The drawn (w, b, g) go
through pycls's ``adjust_block_compatibility`` (:mod:`designspace.models.compat`, the one home
of the rule): the group width is kept (capped at w/b) and the bottleneck width moves to the
nearest multiple of it, so the stage width w' = b x that may differ from the drawn w (w = 24,
b = 4, g = 4 -> w' = 32; w/b = 202, g = 32 -> 192 wide, 6 groups). Records keep the drawn
values (``w1``, ``b``, ``g``, ...) and add the network's (``width1``, ``bottleneck_width1``,
``group_width1``, ``groups1``, ...). ``space.with_group_rule("gcd")`` gives the earlier rule
(group width gcd(g, w/b), widths as drawn), kept only for the v1 reproduction in
``results/anynet_cifar/``, which was sampled with it.

Sizes are exact counts of distinct specs; since different (w, g) can give the same stage,
they are below the number of settings ((16*128*3*6)^4 = 1.8e18 settings for AnyNetX-A, the
paper's "~10^18").
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from designspace.models.compat import DEFAULT_GROUP_RULE, check_group_rule, compatible, compatible_arrays
from designspace.spaces.fourstage import NUM_STAGES, FourStageSpace, Knob, StageRule, count_settings, multisets
from designspace.spaces.registry import SPACES
from designspace.specs import StageSpec

__all__ = ["XBlock", "DEPTHS", "WIDTHS", "BOTTLENECKS", "GROUP_WIDTHS", "SPACES_ANYNET"]

DEPTHS = tuple(range(1, 17))
WIDTHS = tuple(range(8, 1025, 8))
BOTTLENECKS = (1, 2, 4)
GROUP_WIDTHS = (1, 2, 4, 8, 16, 32)


@dataclass(frozen=True)
class XBlock(StageRule):
    """``res_bottleneck`` stage from drawn (d, w, b, g) through the compatibility rule ``group_rule``."""

    block: ClassVar[str] = "res_bottleneck"
    keys: ClassVar[tuple[str, ...]] = ("d", "w", "b", "g")
    group_rule: str = DEFAULT_GROUP_RULE

    def __post_init__(self) -> None:
        check_group_rule(self.group_rule)

    @property
    def summary(self) -> str:  # type: ignore[override]
        how = "pycls's adjust_block_compatibility" if self.group_rule == "pycls" else "group width gcd(g, w/b)"
        return f"X block (res_bottleneck), {how} (group_rule={self.group_rule})"

    def stage(self, v: Mapping[str, int], stride: int) -> StageSpec:
        c = compatible(v["w"], v["b"], v["g"], self.group_rule)
        return StageSpec(self.block, v["d"], c.width, stride, bottleneck=float(v["b"]), group_width=c.group_width)

    def derive(self, v: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        w, wb, ge = compatible_arrays(v["w"], v["b"], v["g"], self.group_rule)
        return {"d": v["d"], "w": w, "wb": wb, "ge": ge}

    def derive_bounds(
        self, lo: Mapping[str, np.ndarray], hi: Mapping[str, np.ndarray], knobs: Mapping[str, Knob] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        if self.group_rule == "gcd":
            return _gcd_bounds(lo, hi)
        return _pycls_bounds(lo, hi, knobs)

    def validate(self, knobs: Mapping[str, Knob]) -> None:
        if self.group_rule != "gcd":
            return  # pycls's rule makes any (w, b, g) valid
        for w, b in itertools.product(knobs["w"].values, knobs["b"].values):
            if w % b:
                raise ValueError(f"X block: width {w} is not divisible by bottleneck ratio {b}")

    def count_specs(self, knobs: Mapping[str, Knob]) -> int:
        """Exact number of distinct specs.

        A stage is (d, w', b, g') with (w', g') the rule's image of the drawn (w, b, g); depths
        are independent of the rest, so the count is (depth settings) x (distinct (w', b, g')
        tuples over the four stages). For one b, let X(w) = {(w', g') : g} and X_g = {(w', g') : w}:

        * b and g per stage (A): (sum over b of |union of X(w)|) ** 4 (w per stage);
        * shared b, g per stage (B): sum over b of |union of X(w)| ** 4; with sorted w, the
          complete homogeneous polynomial h_4 of the |X(w)| when the X(w) are disjoint
          (a tuple then determines its widths), else an exact enumeration of small spaces;
        * shared b and g (C, D, E): the specs of one g are the 4-tuples over X_g (all, or
          non-decreasing for sorted w: w' is non-decreasing in w), so their union over g is
          counted by inclusion-exclusion: sum over non-empty sets T of g of
          (-1) ** (|T| + 1) F(|intersection of X_g over T|), F(c) = c ** 4 or C(c + 3, 4).
        """
        d, w, b, g = (knobs[k] for k in ("d", "w", "b", "g"))
        depths = count_settings([d])
        W, G = w.values, g.values

        def x(wv: int, bv: int, gv: int) -> tuple[int, int]:
            c = compatible(wv, bv, gv, self.group_rule)
            return c.width, c.group_width

        if b.mode == "stage" and g.mode == "stage" and w.mode == "stage":
            per_stage = sum(len({x(wv, bv, gv) for wv in W for gv in G}) for bv in b.values)
            return depths * per_stage**NUM_STAGES
        if b.mode == "shared" and g.mode == "stage":
            total = 0
            for bv in b.values:
                sets = [frozenset(x(wv, bv, gv) for gv in G) for wv in W]
                if w.mode == "stage":
                    total += len(frozenset().union(*sets)) ** NUM_STAGES
                elif sum(map(len, sets)) == len(frozenset().union(*sets)):  # disjoint
                    total += _tuple_weight([len(s) for s in sets], w.mode)
                else:
                    total += _enumerate_sorted(sets)
            return depths * total
        if b.mode == "shared" and g.mode == "shared":
            total = 0
            for bv in b.values:
                per_g = [frozenset(x(wv, bv, gv) for wv in W) for gv in G]
                total += _union_of_powers(per_g, w.mode)
            return depths * total
        raise ValueError(f"X block: no spec count for b {b.mode}, g {g.mode}, w {w.mode}")


def _gcd_bounds(
    lo: Mapping[str, np.ndarray], hi: Mapping[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    wb_lo, wb_hi = lo["w"] // hi["b"], -(-hi["w"] // lo["b"])
    # exact for a single value; else 1 <= gcd(g, w/b) <= min(g, w/b)
    point = (lo["w"] == hi["w"]) & (lo["b"] == hi["b"]) & (lo["g"] == hi["g"])
    ge_lo = np.where(point, np.gcd(lo["g"], wb_lo), 1)
    ge_hi = np.where(point, np.gcd(lo["g"], wb_lo), np.minimum(hi["g"], wb_hi))
    return (
        {"d": lo["d"], "w": lo["w"], "wb": wb_lo, "ge": ge_lo},
        {"d": hi["d"], "w": hi["w"], "wb": wb_hi, "ge": ge_hi},
    )


def _pycls_bounds(
    lo: Mapping[str, np.ndarray], hi: Mapping[str, np.ndarray], knobs: Mapping[str, Knob] | None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Bounds of (w', w'/b, g') over boxes of (w, b, g) under pycls's rule.

    For fixed b and g the rule's w', v' and g' are non-decreasing in w (v = floor(w / b), and
    ``max(g', round(v / g') g')`` with g' = min(g, v) never decreases as v grows), but not in b
    or g. So a box's bounds are the min (max), over every value of b and g in its ranges (the
    knobs' values; every integer without knobs), of the rule at the lowest (highest) w: exact
    for a single value, valid for every box.
    """
    out_lo = {k: np.empty_like(lo["w"]) for k in ("w", "wb", "ge")}
    out_hi = {k: np.empty_like(lo["w"]) for k in ("w", "wb", "ge")}
    point = (lo["w"] == hi["w"]) & (lo["b"] == hi["b"]) & (lo["g"] == hi["g"])
    if point.any():
        exact = compatible_arrays(lo["w"][point], lo["b"][point], lo["g"][point])
        for k, v in zip(("w", "wb", "ge"), exact):
            out_lo[k][point] = out_hi[k][point] = v
    box = ~point
    if box.any():
        cols = [a[box] for key in ("w", "b", "g") for a in (lo[key], hi[key])]
        uniq, inverse = _unique_rows(cols)
        w_lo, w_hi, b_lo, b_hi, g_lo, g_hi = uniq
        big = np.iinfo(np.int64).max
        m_lo = {k: np.full(len(w_lo), big) for k in ("w", "wb", "ge")}
        m_hi = {k: np.zeros(len(w_lo), dtype=np.int64) for k in ("w", "wb", "ge")}

        def candidates(key: str, a: np.ndarray, z: np.ndarray) -> list[int]:
            values = knobs[key].values if knobs else range(int(a.min()), int(z.max()) + 1)
            return [v for v in values if a.min() <= v <= z.max()]

        for bv in candidates("b", b_lo, b_hi):
            for gv in candidates("g", g_lo, g_hi):
                inside = np.flatnonzero((b_lo <= bv) & (bv <= b_hi) & (g_lo <= gv) & (gv <= g_hi))
                if not len(inside):
                    continue
                low = compatible_arrays(w_lo[inside], bv, gv)
                high = compatible_arrays(w_hi[inside], bv, gv)
                for k, a, z in zip(("w", "wb", "ge"), low, high):
                    m_lo[k][inside] = np.minimum(m_lo[k][inside], a)
                    m_hi[k][inside] = np.maximum(m_hi[k][inside], z)
        for k in ("w", "wb", "ge"):
            out_lo[k][box] = m_lo[k][inverse]
            out_hi[k][box] = m_hi[k][inverse]
    return {"d": lo["d"], **out_lo}, {"d": hi["d"], **out_hi}


def _unique_rows(cols: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of equal-length integer columns, and each row's index among them."""
    if all((c == c[0]).all() for c in cols):  # the common case: every box is the same range
        return [c[:1] for c in cols], np.zeros(len(cols[0]), dtype=np.int64)
    radix = [int(c.max()) + 1 for c in cols]
    if all(c.min() >= 0 for c in cols) and float(np.prod(np.asarray(radix, dtype=np.float64))) < 2.0**62:
        key = np.zeros(len(cols[0]), dtype=np.int64)
        for c, r in zip(cols, radix):
            key = key * r + c
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return [c[first] for c in cols], inverse.reshape(-1)
    uniq, inverse = np.unique(np.stack(cols, axis=1), axis=0, return_inverse=True)
    return list(uniq.T), inverse.reshape(-1)


def _tuple_weight(weights: list[int], mode: str) -> int:
    """Sum over 4-tuples (all, or non-decreasing) of the product of the items' weights."""
    if mode == "stage":
        return sum(weights) ** NUM_STAGES
    h = [1] + [0] * NUM_STAGES  # h[r]: sum over non-decreasing r-tuples of the items seen so far
    for x in weights:
        for r in range(NUM_STAGES, 0, -1):
            h[r] = sum(h[r - m] * x**m for m in range(r + 1))
    return h[NUM_STAGES]


def _union_of_powers(sets: list[frozenset], mode: str) -> int:
    """|union over i of (4-tuples over sets[i])|, non-decreasing tuples for ``mode="sorted"``."""
    total = 0
    for size in range(1, len(sets) + 1):
        for T in itertools.combinations(sets, size):
            c = len(frozenset.intersection(*T))
            total += (-1) ** (size + 1) * (c**NUM_STAGES if mode == "stage" else multisets(c))
    return total


#: the most (sorted width tuple, element) combinations :func:`_enumerate_sorted` will walk
ENUMERATION_LIMIT = 2_000_000


def _enumerate_sorted(sets: list[frozenset]) -> int:
    """Distinct 4-tuples (x_1..x_4), x_i in sets[j_i], over non-decreasing j (exact, small spaces only)."""
    work = multisets(len(sets)) * max(map(len, sets)) ** NUM_STAGES
    if work > ENUMERATION_LIMIT:
        raise ValueError("X block: no closed-form spec count for this knob layout, and it is too large to enumerate")
    seen: set[tuple] = set()
    for js in itertools.combinations_with_replacement(range(len(sets)), NUM_STAGES):
        seen.update(itertools.product(*(sets[j] for j in js)))
    return len(seen)


def _knobs(b: str = "stage", g: str = "stage", w: str = "stage", d: str = "stage") -> tuple[Knob, ...]:
    return (Knob("d", DEPTHS, d), Knob("w", WIDTHS, w), Knob("b", BOTTLENECKS, b), Knob("g", GROUP_WIDTHS, g))


SPACES_ANYNET = (
    FourStageSpace("anynetx_a", "AnyNetX-A: X blocks, independent d, w, b, g per stage", XBlock(), _knobs()),
    FourStageSpace("anynetx_b", "AnyNetX-B: AnyNetX-A with one shared bottleneck ratio b", XBlock(), _knobs("shared")),
    FourStageSpace(
        "anynetx_c", "AnyNetX-C: AnyNetX-B with one shared group width g", XBlock(), _knobs("shared", "shared")
    ),
    FourStageSpace(
        "anynetx_d",
        "AnyNetX-D: AnyNetX-C with non-decreasing widths (draw, then sort)",
        XBlock(),
        _knobs("shared", "shared", "sorted"),
    ),
    FourStageSpace(
        "anynetx_e",
        "AnyNetX-E: AnyNetX-D with non-decreasing depths (draw, then sort)",
        XBlock(),
        _knobs("shared", "shared", "sorted", "sorted"),
    ),
)
for _space in SPACES_ANYNET:
    SPACES.register(_space.name, _space)
