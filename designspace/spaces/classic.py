"""Classic-block spaces on the AnyNetX four-stage skeleton: ``nin`` and ``inception``.

Same stem (width 32), strides, 10-class linear head and depth range (d_i in {1..16} blocks per
stage) as AnyNetX-A and the block-family spaces, so the NiN and GoogLeNet lines compare with
them as populations (EDFs). BatchNorm after every conv, as in the other families. All values
uniform and independent per stage.

* ``nin``: mlpconv blocks (``nin``: k x k conv, then two 1x1 convs, each BN-ReLU; a stride-2
  stage strides its first k x k conv); w_i in {8, 16, ..., 512}, kernel k_i in {3, 5}. A block
  costs (k^2 + 2) w^2 multiply-adds per pixel (11 w^2 for k = 3, near the basic block's 18 w^2),
  hence the ``resnet`` family's width range.
* ``inception``: GoogLeNet modules (``inception``: 1x1 | 1x1-3x3 | 1x1-5x5 | 3x3 max-pool-1x1,
  concatenated, each conv BN-ReLU; a stride-2 stage starts with a 3x3/2 max-pool, as GoogLeNet
  does); the output width w_i in {8, 16, ..., 1024} is split 1/4, 1/2, 1/8, 1/8 over the
  branches and the reduce convs shrink their branch by b_i in {1, 2, 4} (the rule of
  :func:`designspace.models.blocks.inception.branch_widths`). A module costs about 3.6 w^2 per
  pixel at b = 1 (the X block's range, up to 1024).

Both have vectorized complexity here (``ClassicRule.counts``, checked against ``ds.complexity``
in ``tests/test_classic.py``), so sampling is as fast as for the other families and regimes are
narrowed exactly (:mod:`designspace.spaces.bounds`): every count is a polynomial with non-negative
coefficients in the per-stage inputs (d, w, k^2; the inception branch and reduce widths, which are
non-decreasing in w and non-increasing in b).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from designspace.models.network import stem_output_size
from designspace.spaces.base import NUM_CLASSES
from designspace.spaces.batch_cx import stage_sizes
from designspace.spaces.fourstage import FourStageSpace, Knob, StageRule
from designspace.spaces.registry import SPACES
from designspace.specs import StageSpec

__all__ = ["ClassicRule", "NiNRule", "InceptionRule", "ClassicFourStageSpace", "SPACES_CLASSIC"]

Arr = np.ndarray
DEPTHS = tuple(range(1, 17))


class ClassicRule(StageRule):
    """A stage rule that also counts its stages, vectorized (BN on, so convs have no bias)."""

    def counts(self, st: Mapping[str, Arr], w_in: Arr, n: int, stride: int = 1) -> tuple[Arr, Arr, Arr, Arr]:
        """(flops, params, acts, output width) of the stages ``st`` with input width ``w_in``
        whose blocks output ``n`` pixels (the first block strides by ``stride``)."""
        raise NotImplementedError


class NiNRule(ClassicRule):
    block = "nin"
    keys = ("d", "w", "k")
    summary = "NiN mlpconv block (nin: k x k conv + two 1x1 convs, each BN-ReLU)"

    def stage(self, v: Mapping[str, int], stride: int) -> StageSpec:
        return StageSpec(self.block, v["d"], v["w"], stride, kernel=v["k"])

    def derive(self, v: Mapping[str, Arr]) -> dict[str, Arr]:
        return {"d": v["d"], "w": v["w"], "k": v["k"]}

    def derive_bounds(
        self, lo: Mapping[str, Arr], hi: Mapping[str, Arr], knobs: Mapping[str, Knob] | None = None
    ) -> tuple[dict[str, Arr], dict[str, Arr]]:
        return self.derive(lo), self.derive(hi)

    def counts(self, st: Mapping[str, Arr], w_in: Arr, n: int, stride: int = 1) -> tuple[Arr, Arr, Arr, Arr]:
        d, w, k2 = st["d"], st["w"], st["k"] ** 2
        q_1x1 = 2 * (w * w + 2 * w)  # two 1x1 conv-BN
        f0, q0 = n * (k2 * w_in * w + 2 * w * w), k2 * w_in * w + 2 * w + q_1x1
        f1, q1 = n * (k2 * w * w + 2 * w * w), k2 * w * w + 2 * w + q_1x1
        return f0 + (d - 1) * f1, q0 + (d - 1) * q1, d * 3 * w * n, w


def _reduce(c: Arr, b: Arr) -> Arr:
    """The reduce width of a branch of width c (see ``branch_widths``), vectorized."""
    return np.where(c > 0, np.maximum(1, np.round(c / b)), 0).astype(np.int64)


class InceptionRule(ClassicRule):
    block = "inception"
    keys = ("d", "w", "b")
    summary = "GoogLeNet inception module (inception: branches w/4, w/2, w/8, w/8; reduces c/b)"

    def stage(self, v: Mapping[str, int], stride: int) -> StageSpec:
        return StageSpec(self.block, v["d"], v["w"], stride, bottleneck=float(v["b"]))

    def derive(self, v: Mapping[str, Arr]) -> dict[str, Arr]:
        return self._branches(v["d"], v["w"], v["b"])

    def derive_bounds(
        self, lo: Mapping[str, Arr], hi: Mapping[str, Arr], knobs: Mapping[str, Knob] | None = None
    ) -> tuple[dict[str, Arr], dict[str, Arr]]:
        # branch widths grow with w (a multiple of 8, see validate); reduces shrink as b grows
        return self._branches(lo["d"], lo["w"], hi["b"]), self._branches(hi["d"], hi["w"], lo["b"])

    @staticmethod
    def _branches(d: Arr, w: Arr, b: Arr) -> dict[str, Arr]:
        c1, c3, c5 = w // 4, w // 2, w // 8
        cp = w - c1 - c3 - c5
        return {"d": d, "w": w, "c1": c1, "r3": _reduce(c3, b), "c3": c3, "r5": _reduce(c5, b), "c5": c5, "cp": cp}

    def validate(self, knobs: Mapping[str, Knob]) -> None:
        if any(w % 8 for w in knobs["w"].values):
            raise ValueError("inception space: widths must be multiples of 8 (branches w/4, w/2, w/8, w/8)")

    def counts(self, st: Mapping[str, Arr], w_in: Arr, n: int, stride: int = 1) -> tuple[Arr, Arr, Arr, Arr]:
        d, c1, r3, c3, r5, c5, cp = (st[k] for k in ("d", "c1", "r3", "c3", "r5", "c5", "cp"))
        on_input = c1 + r3 + r5 + cp  # the four 1x1 convs that read the module's input
        spatial = 9 * r3 * c3 + 25 * r5 * c5  # 3x3 and 5x5 convs
        widths = c1 + r3 + c3 + r5 + c5 + cp  # every conv's output (BN, acts)
        w = c1 + c3 + c5 + cp
        f0, f1 = n * (w_in * on_input + spatial), n * (w * on_input + spatial)
        q0, q1 = w_in * on_input + spatial + 2 * widths, w * on_input + spatial + 2 * widths
        # pooling outputs (pycls counts them): each module's pool branch (3x3/1 max-pool of its
        # input, when the branch exists) and a strided stage's leading 3x3/2 max-pool
        has_pool = (cp > 0).astype(np.int64)
        pools = has_pool * n * (w_in + (d - 1) * w) + (w_in * n if stride > 1 else 0)
        return f0 + (d - 1) * f1, q0 + (d - 1) * q1, d * n * widths + pools, w


class ClassicFourStageSpace(FourStageSpace):
    """A four-stage space over a :class:`ClassicRule` block, counted by the rule (vectorized)."""

    rule: ClassicRule

    def complexity_of(self, stages: Sequence[Mapping[str, Arr]], resolution: int) -> dict[str, Arr]:
        stem = self.stem(resolution)
        h = stem_output_size(stem.kind, resolution)
        sizes = stage_sizes(self.rule.block, stem.kind, self.strides(resolution), resolution)
        n0 = max(np.size(v) for v in stages[0].values())
        w: Arr = np.full(n0, stem.width, dtype=np.int64)
        # stem: 3x3 conv (3 -> stem width) + BN
        flops = w * 0 + 9 * stem.in_channels * stem.width * h * h
        params = w * 0 + 9 * stem.in_channels * stem.width + 2 * stem.width
        acts = w * 0 + stem.width * h * h
        for st, s, (_, h2) in zip(stages, self.strides(resolution), sizes):
            st = {k: np.asarray(v, dtype=np.int64) for k, v in st.items()}
            f, q, a, w = self.rule.counts(st, w, h2 * h2, s)
            flops, params, acts = flops + f, params + q, acts + a
        # linear head: global pool + linear(w, classes) with bias
        flops = flops + w * NUM_CLASSES + NUM_CLASSES
        params = params + w * NUM_CLASSES + NUM_CLASSES
        return {"flops": flops, "params": params, "acts": acts + NUM_CLASSES}


SPACES_CLASSIC = (
    ClassicFourStageSpace(
        "nin",
        "NiN family: mlpconv blocks, per-stage d, w and kernel k",
        NiNRule(),
        (Knob("d", DEPTHS), Knob("w", tuple(range(8, 513, 8))), Knob("k", (3, 5))),
    ),
    ClassicFourStageSpace(
        "inception",
        "Inception family: GoogLeNet modules, per-stage d, w and reduce ratio b",
        InceptionRule(),
        (Knob("d", DEPTHS), Knob("w", tuple(range(8, 1025, 8))), Knob("b", (1, 2, 4))),
    ),
)
for _space in SPACES_CLASSIC:
    SPACES.register(_space.name, _space)
