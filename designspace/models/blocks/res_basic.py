"""``res_basic``: ResNet basic block, x + [3x3 conv-BN-ReLU, 3x3 conv-BN]."""

from __future__ import annotations

from torch import nn

from designspace.models.blocks.residual import ResidualBlock
from designspace.models.cx import Cx
from designspace.models.layers import ConvBN
from designspace.specs import StageSpec


class ResBasicBlock(ResidualBlock):
    summary = "x + [3x3 conv-BN-ReLU, 3x3 conv-BN] (ResNet basic)"

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        w = stage.width
        self.f = nn.Sequential(ConvBN(w_in, w, 3, stride), ConvBN(w, w, 3, relu=False, final=True))

    @staticmethod
    def branch_complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        ConvBN.complexity(cx, w_in, stage.width, 3, stride)
        return ConvBN.complexity(cx, stage.width, stage.width, 3)
