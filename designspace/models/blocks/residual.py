"""Shared shortcut logic of residual blocks: x + F(x), projected when the shape changes."""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.blocks.base import Block
from designspace.models.cx import Cx
from designspace.models.layers import ConvBN
from designspace.specs import StageSpec


class ResidualBlock(Block):
    """relu(shortcut(x) + f(x)); subclasses set ``self.f`` and give ``branch_complexity``."""

    f: nn.Module

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        needs_proj = w_in != stage.width or stride != 1
        self.proj = ConvBN(w_in, stage.width, 1, stride, relu=False) if needs_proj else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.proj is None else self.proj(x)
        return self.relu(shortcut + self.f(x))

    @staticmethod
    def branch_complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        raise NotImplementedError

    @classmethod
    def complexity(cls, cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:  # type: ignore[override]
        if w_in != stage.width or stride != 1:
            h, w = cx.h, cx.w
            ConvBN.complexity(cx, w_in, stage.width, 1, stride)
            cx.h, cx.w = h, w
        return cls.branch_complexity(cx, w_in, stage, stride)
