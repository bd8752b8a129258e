"""AnyNetX-A..E (Radosavovic et al. 2020, Sec. 3): X blocks on the four-stage skeleton.

Each stage i has depth d_i in {1..16}, width w_i in {8, 16, ..., 1024}, bottleneck ratio
b_i in {1, 2, 4} and group width g_i in {1, 2, 4, 8, 16, 32}, all uniform:

* ``anynetx_a``: all 16 parameters independent;
* ``anynetx_b``: one shared b;  ``anynetx_c``: one shared b and one shared g;
* ``anynetx_d``: C with non-decreasing widths;  ``anynetx_e``: D with non-decreasing depths.
  D and E draw the four widths (depths) independently and sort them (see
  :mod:`designspace.spaces.fourstage` for the induced distribution) - no rejection.

Group width compatibility. The 3x3 conv has w/b channels (an integer: w is a multiple of 8
and b divides 8) in groups of g, so g must divide w/b. ``g <= w/b`` is not enough (w = 24,
b = 4 gives w/b = 6, and g = 4 does not divide 6), so the spec's group width is
``gcd(g, w/b)``: the largest power of two <= g that divides w/b (``min(g, w/b)`` whenever
that divides). The sampled w and b are kept as drawn, so the width marginals stay exactly
uniform and the record's w_i is the stage width. (pycls's ``adjust_block_compatibility``
instead moves w to a multiple of lcm(g, b) - e.g. w = 24, b = 4, g = 4 becomes w = 32 - which
would make recorded and actual widths differ.) Records keep the drawn g; the spec holds the
effective group width.

Sizes are exact counts of distinct specs; since different g can give the same group width,
they are below the number of settings (AnyNetX-A: 3.1e17 specs from (16*128*3*6)^4 = 1.8e18
settings, the paper's "~10^18").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np

from designspace.spaces.fourstage import NUM_STAGES, FourStageSpace, Knob, StageRule, count_settings, multisets
from designspace.spaces.registry import SPACES
from designspace.specs import StageSpec

__all__ = ["XBlock", "DEPTHS", "WIDTHS", "BOTTLENECKS", "GROUP_WIDTHS", "SPACES_ANYNET"]

DEPTHS = tuple(range(1, 17))
WIDTHS = tuple(range(8, 1025, 8))
BOTTLENECKS = (1, 2, 4)
GROUP_WIDTHS = (1, 2, 4, 8, 16, 32)


class XBlock(StageRule):
    """``res_bottleneck`` stage with bottleneck ratio b and group width gcd(g, w/b)."""

    block = "res_bottleneck"
    keys = ("d", "w", "b", "g")
    summary = "X block (res_bottleneck), group width gcd(g, w/b)"

    def stage(self, v: Mapping[str, int], stride: int) -> StageSpec:
        wb = v["w"] // v["b"]
        return StageSpec(self.block, v["d"], v["w"], stride, bottleneck=float(v["b"]), group_width=math.gcd(v["g"], wb))

    def derive(self, v: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        wb = v["w"] // v["b"]
        return {"d": v["d"], "w": v["w"], "wb": wb, "ge": np.gcd(v["g"], wb)}

    def derive_bounds(
        self, lo: Mapping[str, np.ndarray], hi: Mapping[str, np.ndarray]
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

    def validate(self, knobs: Mapping[str, Knob]) -> None:
        for w, b in itertools.product(knobs["w"].values, knobs["b"].values):
            if w % b:
                raise ValueError(f"X block: width {w} is not divisible by bottleneck ratio {b}")

    def count_specs(self, knobs: Mapping[str, Knob]) -> int:
        """Exact number of distinct specs.

        A stage is (d, w, b, gcd(g, w/b)); depths are independent of the rest, so the count is
        (depth settings) x (distinct (w, b, group width) tuples over the four stages):

        * b and g per stage: (sum over w, b of |{gcd(g, w/b) : g}|) ** 4 (w per stage);
        * shared b, g per stage: sum over b of h(weights), weights_w = |{gcd(g, w/b) : g}|,
          h = (sum of weights) ** 4 for per-stage w, the complete homogeneous polynomial h_4 of
          the weights for sorted w;
        * shared b and g: for a w-tuple the number of distinct group-width vectors depends only
          on the set S of "types" t(x) = (gcd(g, x))_g of its w/b values: f(S) = number of
          distinct (t(g))_{t in S} over g. The number of w-tuples whose type set is exactly S
          follows by inclusion-exclusion from the count of tuples using types within S
          (c ** 4, or C(c + 3, 4) for sorted w, with c the number of such w).
        """
        d, w, b, g = (knobs[k] for k in ("d", "w", "b", "g"))
        depths = count_settings([d])
        G = g.values

        def n_groups(x: int) -> int:
            return len({math.gcd(gg, x) for gg in G})

        if b.mode == "stage" and g.mode == "stage" and w.mode == "stage":
            per_stage = sum(n_groups(wv // bv) for wv in w.values for bv in b.values)
            return depths * per_stage**NUM_STAGES
        if b.mode == "shared" and g.mode == "stage":
            return depths * sum(_tuple_weight([n_groups(wv // bv) for wv in w.values], w.mode) for bv in b.values)
        if b.mode == "shared" and g.mode == "shared":
            total = 0
            for bv in b.values:
                types: dict[tuple[int, ...], int] = {}
                for wv in w.values:
                    t = tuple(math.gcd(gg, wv // bv) for gg in G)
                    types[t] = types.get(t, 0) + 1
                total += _shared_group_count(types, G, w.mode)
            return depths * total
        raise ValueError(f"X block: no spec count for b {b.mode}, g {g.mode}, w {w.mode}")


def _tuple_weight(weights: list[int], mode: str) -> int:
    """Sum over 4-tuples (all, or non-decreasing) of the product of the items' weights."""
    if mode == "stage":
        return sum(weights) ** NUM_STAGES
    h = [1] + [0] * NUM_STAGES  # h[r]: sum over non-decreasing r-tuples of the items seen so far
    for x in weights:
        for r in range(NUM_STAGES, 0, -1):
            h[r] = sum(h[r - m] * x**m for m in range(r + 1))
    return h[NUM_STAGES]


def _shared_group_count(types: dict[tuple[int, ...], int], G: tuple[int, ...], mode: str) -> int:
    names = list(types)
    total = 0
    for size in range(1, len(names) + 1):
        for S in itertools.combinations(range(len(names)), size):
            f = len({tuple(names[t][j] for t in S) for j in range(len(G))})
            exact = 0
            for sub_size in range(1, size + 1):
                for sub in itertools.combinations(S, sub_size):
                    c = sum(types[names[t]] for t in sub)
                    within = c**NUM_STAGES if mode == "stage" else multisets(c)
                    exact += (-1) ** (size - sub_size) * within
            total += f * exact
    return total


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
