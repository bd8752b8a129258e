"""Registered heads: a pooling step, then an MLP (``hidden`` widths, activation, dropout) to classes."""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.activations import activation
from designspace.models.blocks.nin import NiNBlock
from designspace.models.cx import Cx
from designspace.specs import HeadSpec, StageSpec


def mlp(w_in: int, spec: HeadSpec) -> nn.Sequential:
    """Linear-(BN)-activation-(Dropout) for each hidden width, then the classifier."""
    layers: list[nn.Module] = []
    for h in spec.hidden:
        layers.append(nn.Linear(w_in, h))
        if spec.bn:
            layers.append(nn.BatchNorm1d(h))
        layers.append(activation(spec.activation))
        if spec.dropout:
            layers.append(nn.Dropout(spec.dropout))
        w_in = h
    layers.append(nn.Linear(w_in, spec.num_classes))
    return nn.Sequential(*layers)


def mlp_complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
    for h in spec.hidden:
        cx.linear(w_in, h)
        if spec.bn:
            cx.norm(h)
        w_in = h
    return cx.linear(w_in, spec.num_classes)


def input_dropout(spec: HeadSpec) -> nn.Module:
    """With no hidden layer, ``dropout`` applies to the classifier's input (GoogLeNet, NiN)."""
    return nn.Dropout(spec.dropout) if spec.dropout and not spec.hidden else nn.Identity()


class Head(nn.Module):
    summary = ""

    @staticmethod
    def complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
        raise NotImplementedError


class LinearHead(Head):
    summary = "global average pool + (MLP) + linear (AnyNet/ResNet)"

    def __init__(self, w_in: int, spec: HeadSpec) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = mlp(w_in, spec)
        self.drop = input_dropout(spec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.drop(torch.flatten(self.pool(x), 1)))

    @staticmethod
    def complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
        return mlp_complexity(cx.resize(1, 1), w_in, spec)


class VGGHead(Head):
    summary = "2x2 max-pool, 7x7 adaptive average pool, MLP with dropout (VGG classifier)"

    def __init__(self, w_in: int, spec: HeadSpec) -> None:
        super().__init__()
        self.pool = nn.Sequential(nn.MaxPool2d(2, 2), nn.AdaptiveAvgPool2d(7))
        self.fc = mlp(w_in * 49, spec)
        self.drop = input_dropout(spec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.drop(torch.flatten(self.pool(x), 1)))

    @staticmethod
    def complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
        return mlp_complexity(cx.pool(w_in, 2, 2).resize(7, 7), w_in * 49, spec)


class FlattenHead(Head):
    summary = "adaptive average pool to pool_size x pool_size, flatten, MLP (LeNet, AlexNet)"

    def __init__(self, w_in: int, spec: HeadSpec) -> None:
        super().__init__()
        # At the design resolution the map already has this size and the pool is the identity
        # (torchvision's AlexNet trick); at other resolutions it keeps the MLP's input size.
        self.pool = nn.AdaptiveAvgPool2d(spec.pool_size)
        self.fc = mlp(w_in * spec.pool_size**2, spec)
        self.drop = input_dropout(spec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.drop(torch.flatten(self.pool(x), 1)))

    @staticmethod
    def complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
        p = spec.pool_size
        return mlp_complexity(cx.resize(p, p), w_in * p * p, spec)


def _nin_stage(spec: HeadSpec) -> StageSpec:
    return StageSpec("nin", 1, spec.num_classes, kernel=3, bn=spec.bn, activation=spec.activation)


class NiNHead(Head):
    """No FC layer (``hidden`` is ignored): the last mlpconv block outputs one map per class."""

    summary = "dropout, nin block (3x3 + two 1x1 convs) to num_classes, global average pool (NiN)"

    def __init__(self, w_in: int, spec: HeadSpec) -> None:
        super().__init__()
        self.drop = nn.Dropout(spec.dropout) if spec.dropout else nn.Identity()
        self.conv = NiNBlock(w_in, _nin_stage(spec), 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.conv(self.drop(x))), 1)

    @staticmethod
    def complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
        return NiNBlock.complexity(cx, w_in, _nin_stage(spec), 1).resize(1, 1)
