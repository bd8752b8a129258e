"""Block-family spaces on the AnyNetX four-stage skeleton, to compare families as populations.

Same stem (width 32), strides, head and depth range (1..16 blocks per stage, per-stage and
uniform) as AnyNetX-A; only the block and its width parameters change. All values uniform.

* ``resnet``: ``res_basic`` (two 3x3 convs + shortcut); w_i in {8, 16, ..., 512} - a basic
  block costs ~2 x 9 w^2 per pixel, about 4x an X block of the same width with b = 1, so the
  width range stops at 512.
* ``vgg``: ``vanilla`` (two 3x3 convs, no shortcut); the same ranges as ``resnet``, so the two
  populations differ only by the shortcut.
* ``resnext``: ``res_bottleneck`` parameterized as ResNeXt is, by the number of groups
  (cardinality) c_i in {1, 2, 4, 8, 16} rather than a group width: w_i in {64, 128, ..., 1024},
  b_i in {1, 2, 4}, group width (w_i / b_i) / c_i. w is a multiple of 64, so w/b is a multiple
  of 16 and every c divides it: all settings are valid and distinct.
* ``densenet``: DenseNet-BC layers (``dense``, bottleneck 4k); the stage "width" is the growth
  rate k_i in {4, 8, ..., 64}; d_i in {1..16} layers. Stride-2 stages start with a transition
  (1x1 conv to half the channels + 2x2 average pool); the channels grow by d_i k_i per stage.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from designspace.models.blocks.dense import DENSE_BOTTLENECK
from designspace.spaces.fourstage import FourStageSpace, Knob, StageRule
from designspace.spaces.registry import SPACES
from designspace.specs import StageSpec

__all__ = ["BasicBlock", "VanillaBlock", "ResNeXtBlock", "DenseBlock", "SPACES_FAMILIES"]

DEPTHS = tuple(range(1, 17))


class BasicBlock(StageRule):
    block = "res_basic"
    keys = ("d", "w")
    summary = "ResNet basic block (res_basic)"

    def stage(self, v: Mapping[str, int], stride: int) -> StageSpec:
        return StageSpec(self.block, v["d"], v["w"], stride)


class VanillaBlock(BasicBlock):
    block = "vanilla"
    summary = "VGG-like block (vanilla: two 3x3 conv-BN-ReLU, no shortcut)"


class ResNeXtBlock(StageRule):
    block = "res_bottleneck"
    keys = ("d", "w", "b", "c")
    summary = "ResNeXt block (res_bottleneck), c groups: group width (w/b)/c"

    def stage(self, v: Mapping[str, int], stride: int) -> StageSpec:
        wb = v["w"] // v["b"]
        return StageSpec(self.block, v["d"], v["w"], stride, bottleneck=float(v["b"]), group_width=wb // v["c"])

    def derive(self, v: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        wb = v["w"] // v["b"]
        return {"d": v["d"], "w": v["w"], "wb": wb, "ge": wb // v["c"]}

    def derive_bounds(
        self, lo: Mapping[str, np.ndarray], hi: Mapping[str, np.ndarray], knobs: Mapping[str, Knob] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        wb_lo, wb_hi = lo["w"] // hi["b"], -(-hi["w"] // lo["b"])
        ge_lo, ge_hi = np.maximum(1, wb_lo // hi["c"]), -(-wb_hi // lo["c"])
        return (
            {"d": lo["d"], "w": lo["w"], "wb": wb_lo, "ge": ge_lo},
            {"d": hi["d"], "w": hi["w"], "wb": wb_hi, "ge": ge_hi},
        )

    def validate(self, knobs: Mapping[str, Knob]) -> None:
        for w, b, c in itertools.product(knobs["w"].values, knobs["b"].values, knobs["c"].values):
            if w % b or (w // b) % c:
                raise ValueError(f"ResNeXt block: w={w}, b={b}, c={c} gives no integer group width")


class DenseBlock(StageRule):
    block = "dense"
    keys = ("d", "k")
    summary = "DenseNet-BC layers (dense, bottleneck 4k), growth rate k"

    def stage(self, v: Mapping[str, int], stride: int) -> StageSpec:
        return StageSpec(self.block, v["d"], v["k"], stride, bottleneck=DENSE_BOTTLENECK)

    def derive(self, v: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"d": v["d"], "w": v["k"], "wb": _dense_wb(v["k"])}

    def derive_bounds(
        self, lo: Mapping[str, np.ndarray], hi: Mapping[str, np.ndarray], knobs: Mapping[str, Knob] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        return (
            {"d": lo["d"], "w": lo["k"], "wb": _dense_wb(lo["k"])},
            {"d": hi["d"], "w": hi["k"], "wb": _dense_wb(hi["k"])},
        )


def _dense_wb(k: np.ndarray) -> np.ndarray:
    """The layers' 1x1 width k / DENSE_BOTTLENECK (4k), as ``StageSpec.bottleneck_width`` rounds it."""
    return np.round(np.asarray(k) / DENSE_BOTTLENECK).astype(np.int64)


SPACES_FAMILIES = (
    FourStageSpace(
        "resnet",
        "ResNet family: basic residual blocks, per-stage d and w",
        BasicBlock(),
        (Knob("d", DEPTHS), Knob("w", tuple(range(8, 513, 8)))),
    ),
    FourStageSpace(
        "vgg",
        "VGG family: plain blocks without shortcuts, per-stage d and w",
        VanillaBlock(),
        (Knob("d", DEPTHS), Knob("w", tuple(range(8, 513, 8)))),
    ),
    FourStageSpace(
        "resnext",
        "ResNeXt family: bottleneck blocks with c groups, per-stage d, w, b, c",
        ResNeXtBlock(),
        (
            Knob("d", DEPTHS),
            Knob("w", tuple(range(64, 1025, 64))),
            Knob("b", (1, 2, 4)),
            Knob("c", (1, 2, 4, 8, 16)),
        ),
    ),
    FourStageSpace(
        "densenet",
        "DenseNet family: DenseNet-BC layers, per-stage d and growth rate k",
        DenseBlock(),
        (Knob("d", DEPTHS), Knob("k", tuple(range(4, 65, 4)))),
    ),
)
for _space in SPACES_FAMILIES:
    SPACES.register(_space.name, _space)
