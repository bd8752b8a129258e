"""``nin``: a Network-in-Network mlpconv block (Lin et al. 2014, as in d2l).

k x k conv (the stage's ``kernel``, default 3; ``padding``, default ``(kernel - 1) // 2``;
the first block takes the stage's stride), then two 1x1 convs, all ``width`` wide, each
followed by (BN if ``bn``) and the stage's ``activation``. Convs have a bias only without BN.
"""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.blocks.base import Block
from designspace.models.blocks.conv import ConvAct
from designspace.models.cx import Cx
from designspace.specs import StageSpec


class NiNBlock(Block):
    summary = "k x k conv then two 1x1 convs, each -(BN)- activation (Network in Network)"
    uniform = False  # an explicit padding can shrink the map block after block

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        w, bn, act = stage.width, stage.bn, stage.activation
        self.f = nn.Sequential(
            ConvAct(w_in, w, stage.kernel or 3, stride, bn=bn, activation=act, padding=stage.padding),
            ConvAct(w, w, 1, bn=bn, activation=act),
            ConvAct(w, w, 1, bn=bn, activation=act),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(x)

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        w, bn = stage.width, stage.bn
        ConvAct.complexity(cx, w_in, w, stage.kernel or 3, stride, bn=bn, padding=stage.padding)
        ConvAct.complexity(cx, w, w, 1, bn=bn)
        return ConvAct.complexity(cx, w, w, 1, bn=bn)
