"""``conv``: one k x k conv -(BN)- activation, the layer of LeNet, AlexNet and GoogLeNet's stem.

The stage's ``kernel`` (default 3) and ``padding`` (default ``(kernel - 1) // 2``) apply to
every block; the first block's conv takes the stage's stride. The conv has a bias only
without BN (a bias before BN is redundant; torchvision's AlexNet/GoogLeNet do the same).
"""

from __future__ import annotations

import torch

from designspace.models.activations import activation as make_activation
from designspace.models.blocks.base import Block
from designspace.models.cx import Cx
from designspace.models.layers import ConvBN
from designspace.specs import StageSpec


class ConvAct(ConvBN):
    """k x k conv (bias only without BN) -> BatchNorm (optional) -> a registered activation."""

    def __init__(
        self,
        w_in: int,
        w_out: int,
        k: int,
        stride: int = 1,
        *,
        bn: bool,
        activation: str = "relu",
        padding: int | None = None,
    ) -> None:
        super().__init__(w_in, w_out, k, stride, bn=bn, relu=False, bias=not bn, padding=padding)
        self.append(make_activation(activation))

    @staticmethod
    def complexity(  # type: ignore[override]
        cx: Cx, w_in: int, w_out: int, k: int, stride: int = 1, *, bn: bool, padding: int | None = None
    ) -> Cx:
        return ConvBN.complexity(cx, w_in, w_out, k, stride, bn=bn, bias=not bn, padding=padding)


class ConvBlock(Block):
    summary = "k x k conv (stride s, padding p) -(BN)- activation (LeNet, AlexNet)"
    uniform = False  # an explicit padding can shrink the map block after block

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        k = stage.kernel or 3
        self.conv = ConvAct(
            w_in, stage.width, k, stride, bn=stage.bn, activation=stage.activation, padding=stage.padding
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        return ConvAct.complexity(cx, w_in, stage.width, stage.kernel or 3, stride, bn=stage.bn, padding=stage.padding)
