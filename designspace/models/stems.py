"""Registered stems. Each is built from a :class:`StemSpec` and counts its own complexity."""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.cx import Cx
from designspace.models.layers import ConvBN
from designspace.specs import StemSpec


class Stem(nn.Module):
    summary = ""

    @staticmethod
    def complexity(cx: Cx, spec: StemSpec) -> Cx:
        raise NotImplementedError


class ConvStem(Stem):
    """One ``kernel`` x ``kernel`` conv-BN-ReLU with ``stride``: the stems below differ only in those."""

    kernel = 3
    stride = 1

    def __init__(self, spec: StemSpec) -> None:
        super().__init__()
        self.conv = ConvBN(spec.in_channels, spec.width, self.kernel, self.stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)

    @classmethod
    def complexity(cls, cx: Cx, spec: StemSpec) -> Cx:
        return ConvBN.complexity(cx, spec.in_channels, spec.width, cls.kernel, cls.stride)


class CifarStem(ConvStem):
    summary = "3x3 conv stride 1 + BN + ReLU (CIFAR ResNets)"
    kernel, stride = 3, 1


class SimpleStem(ConvStem):
    summary = "3x3 conv stride 2 + BN + ReLU (AnyNet/RegNet)"
    kernel, stride = 3, 2


class ImageNetStem(Stem):
    summary = "7x7 conv stride 2 + BN + ReLU + 3x3 max-pool stride 2 (ResNet/DenseNet)"

    def __init__(self, spec: StemSpec) -> None:
        super().__init__()
        self.conv = ConvBN(spec.in_channels, spec.width, 7, 2)
        self.pool = nn.MaxPool2d(3, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.conv(x))

    @staticmethod
    def complexity(cx: Cx, spec: StemSpec) -> Cx:
        return ConvBN.complexity(cx, spec.in_channels, spec.width, 7, 2).pool(spec.width, 3, 2, 1)


class NoStem(Stem):
    summary = "identity: the first stage sees the input (VGG, LeNet); width = input channels"

    def __init__(self, spec: StemSpec) -> None:
        super().__init__()
        if spec.width != spec.in_channels:
            raise ValueError(f"stem.width={spec.width}: the 'none' stem's width must equal in_channels")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    @staticmethod
    def complexity(cx: Cx, spec: StemSpec) -> Cx:
        if spec.width != spec.in_channels:
            raise ValueError(f"stem.width={spec.width}: the 'none' stem's width must equal in_channels")
        return cx
