"""Registered heads: a pooling step, then an MLP (``hidden`` widths, ReLU, dropout) to classes."""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.cx import Cx
from designspace.specs import HeadSpec


def mlp(w_in: int, spec: HeadSpec) -> nn.Sequential:
    """Linear-ReLU-Dropout for each hidden width, then the classifier."""
    layers: list[nn.Module] = []
    for h in spec.hidden:
        layers += [nn.Linear(w_in, h), nn.ReLU(inplace=True)]
        if spec.dropout:
            layers.append(nn.Dropout(spec.dropout))
        w_in = h
    layers.append(nn.Linear(w_in, spec.num_classes))
    return nn.Sequential(*layers)


def mlp_complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
    for h in spec.hidden:
        cx.linear(w_in, h)
        w_in = h
    return cx.linear(w_in, spec.num_classes)


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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(x), 1))

    @staticmethod
    def complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
        return mlp_complexity(cx.resize(1, 1), w_in, spec)


class VGGHead(Head):
    summary = "2x2 max-pool, 7x7 adaptive average pool, MLP with dropout (VGG classifier)"

    def __init__(self, w_in: int, spec: HeadSpec) -> None:
        super().__init__()
        self.pool = nn.Sequential(nn.MaxPool2d(2, 2), nn.AdaptiveAvgPool2d(7))
        self.fc = mlp(w_in * 49, spec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(x), 1))

    @staticmethod
    def complexity(cx: Cx, w_in: int, spec: HeadSpec) -> Cx:
        return mlp_complexity(cx.pool(2, 2).resize(7, 7), w_in * 49, spec)
