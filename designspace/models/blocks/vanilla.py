"""``vanilla``: two 3x3 conv-BN-ReLU, no shortcut (pycls's VGG-like AnyNet block)."""

from __future__ import annotations

import torch

from designspace.models.blocks.base import Block
from designspace.models.cx import Cx
from designspace.models.layers import ConvBN
from designspace.specs import StageSpec


class VanillaBlock(Block):
    summary = "[3x3 conv-BN-ReLU] x 2, no shortcut"

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        w = stage.width
        self.a = ConvBN(w_in, w, 3, stride, bn=stage.bn, bias=not stage.bn)
        self.b = ConvBN(w, w, 3, bn=stage.bn, bias=not stage.bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x))

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        w, bn = stage.width, stage.bn
        ConvBN.complexity(cx, w_in, w, 3, stride, bn=bn, bias=not bn)
        return ConvBN.complexity(cx, w, w, 3, bn=bn, bias=not bn)
