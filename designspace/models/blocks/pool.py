"""``maxpool`` / ``avgpool``: a pooling stage between conv stages (LeNet, AlexNet, NiN).

A pool keeps its input width (the stage's ``width`` is ignored; specs in the zoo repeat the
input width there so tables read right). The window is the stage's ``kernel`` (default: the
stride, i.e. non-overlapping pooling), the padding ``padding`` (default ``(kernel - 1) // 2``,
at most ``kernel // 2``). Pools have no flops, params or acts in the complexity conventions.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from designspace.models.blocks.base import Block
from designspace.models.cx import Cx
from designspace.specs import StageSpec


def _window(stage: StageSpec, stride: int) -> tuple[int, int]:
    k = stage.kernel if stage.kernel is not None else stride
    p = (k - 1) // 2 if stage.padding is None else stage.padding
    if p > k // 2:
        raise ValueError(f"padding={p}: a {k}x{k} pool allows at most {k // 2}")
    return k, p


class PoolBlock(Block):
    pool_cls: ClassVar[type[nn.Module]]
    uniform = False  # stride-1 pools without padding shrink the map

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        k, p = _window(stage, stride)
        self.pool = self.pool_cls(k, stride, p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)

    @staticmethod
    def out_width(w_in: int, stage: StageSpec, stride: int) -> int:
        return w_in

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        k, p = _window(stage, stride)
        return cx.pool(w_in, k, stride, p)


class MaxPoolBlock(PoolBlock):
    summary = "k x k max-pool (stride s); keeps the input width"
    pool_cls = nn.MaxPool2d


class AvgPoolBlock(PoolBlock):
    summary = "k x k average pool (stride s); keeps the input width (LeNet)"
    pool_cls = nn.AvgPool2d
