"""``dense``: a DenseNet-BC layer; the stage's ``width`` is the growth rate k.

Layer: BN-ReLU-1x1 conv to k/b channels, BN-ReLU-3x3 conv to k channels, concatenated to the
input (b = 0.25 gives the usual 4k bottleneck). A stride-2 stage starts with a transition:
BN-ReLU-1x1 conv to half the channels (compression 0.5) and 2x2 average pooling. A network
whose last stage is dense ends with BN-ReLU (``final_norm``).
"""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.blocks.base import Block
from designspace.models.cx import Cx
from designspace.models.layers import BNReLUConv
from designspace.specs import StageSpec

#: DenseNet-BC's bottleneck ratio: each layer's 1x1 conv has k / 0.25 = 4k channels (Huang et al.)
DENSE_BOTTLENECK = 0.25


def _after_transition(w_in: int, stride: int) -> int:
    """Width after the transition (compression 0.5; at least one channel, so any input builds)."""
    return max(1, w_in // 2) if stride > 1 else w_in


class DenseLayer(Block):
    summary = "DenseNet-BC layer: concat(x, [BN-ReLU-1x1, BN-ReLU-3x3]); stride 2 = transition"
    final_norm = True
    uniform = False

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        w = _after_transition(w_in, stride)
        self.transition: nn.Module = (
            nn.Sequential(BNReLUConv(w_in, w, 1), nn.AvgPool2d(2, 2)) if stride > 1 else nn.Identity()
        )
        self.f = nn.Sequential(
            BNReLUConv(w, stage.bottleneck_width, 1), BNReLUConv(stage.bottleneck_width, stage.width, 3)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.transition(x)
        return torch.cat([x, self.f(x)], 1)

    @staticmethod
    def out_width(w_in: int, stage: StageSpec, stride: int) -> int:
        return _after_transition(w_in, stride) + stage.width

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        w = _after_transition(w_in, stride)
        if stride > 1:
            BNReLUConv.complexity(cx, w_in, w, 1)
            cx.pool(w, 2, 2)
        BNReLUConv.complexity(cx, w, stage.bottleneck_width, 1)
        return BNReLUConv.complexity(cx, stage.bottleneck_width, stage.width, 3)
