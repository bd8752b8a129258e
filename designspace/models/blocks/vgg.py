"""``vgg``: one 3x3 conv(+bias)-BN-ReLU; a stride-2 block first max-pools 2x2 (as VGG does).

The conv keeps its bias even with BN, as torchvision's VGG-BN does, so parameter counts match.
"""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.blocks.base import Block
from designspace.models.cx import Cx
from designspace.models.layers import ConvBN
from designspace.specs import StageSpec


class VGGBlock(Block):
    summary = "[2x2 max-pool if stride 2] 3x3 conv-BN-ReLU (VGG)"

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        self.pool = nn.MaxPool2d(2, 2) if stride > 1 else nn.Identity()
        self.conv = ConvBN(w_in, stage.width, 3, bn=stage.bn, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pool(x))

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        if stride > 1:
            cx.pool(w_in, 2, 2)
        return ConvBN.complexity(cx, w_in, stage.width, 3, bn=stage.bn, bias=True)
