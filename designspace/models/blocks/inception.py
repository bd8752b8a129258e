"""``inception``: GoogLeNet's inception module (Szegedy et al. 2015), optional BN.

Four branches on the same input, concatenated: 1x1; 1x1 -> 3x3; 1x1 -> k x k (the stage's
``kernel``, default 5: the paper's 5x5; torchvision builds 3x3 there); 3x3 max-pool -> 1x1.
Every conv is followed by (BN if ``bn``) and the stage's ``activation`` and has a bias only
without BN. A block with stride s > 1 first max-pools 3x3 with stride s (padding 1), as
GoogLeNet does between its inception groups.

Branch widths are the stage's ``branches`` (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj)
or, when that is empty, derived from ``width`` w and ``bottleneck`` b by the rule
(:func:`branch_widths`; inception 3a's split, 64/128/32/32 of 256):

* 3x3: w // 2, 1x1: w // 4, 5x5: w // 8, pool proj: the rest (so they add up to w);
* each reduce conv: max(1, round(c / b)) for its branch's width c;
* a branch of width 0 (w < 8) is left out.
"""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.blocks.base import Block
from designspace.models.blocks.conv import ConvAct
from designspace.models.cx import Cx
from designspace.specs import StageSpec


def branch_widths(stage: StageSpec) -> tuple[int, int, int, int, int, int]:
    """(1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) widths of the stage's modules."""
    if stage.branches:
        c1, r3, c3, r5, c5, cp = stage.branches
        return c1, r3, c3, r5, c5, cp
    w, b = stage.width, stage.bottleneck
    c3, c1, c5 = w // 2, w // 4, w // 8
    cp = w - c3 - c1 - c5

    def reduce(c: int) -> int:
        return max(1, int(round(c / b))) if c else 0

    return c1, reduce(c3), c3, reduce(c5), c5, cp


def _kernel(stage: StageSpec) -> int:
    k = stage.kernel or 5
    if k % 2 == 0:
        raise ValueError(f"kernel={k}: an inception module needs an odd kernel (its branches keep the map size)")
    return k


def _branches(w_in: int, stage: StageSpec) -> list[list[tuple[int, int, int]]]:
    """Each branch as its convs (w_in, w_out, k); the pool branch's max-pool is implied."""
    c1, r3, c3, r5, c5, cp = branch_widths(stage)
    k = _kernel(stage)
    specs = [[(w_in, c1, 1)], [(w_in, r3, 1), (r3, c3, 3)], [(w_in, r5, 1), (r5, c5, k)], [(w_in, cp, 1)]]
    return [b if b[-1][1] else [] for b in specs]


class InceptionBlock(Block):
    summary = "concat(1x1, 1x1-3x3, 1x1-5x5, 3x3 max-pool-1x1), each conv -(BN)- act (GoogLeNet)"

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        self.pool = nn.MaxPool2d(3, stride, 1) if stride > 1 else nn.Identity()
        bn, act = stage.bn, stage.activation
        branches = []
        for i, convs in enumerate(_branches(w_in, stage)):
            if not convs:
                continue
            layers: list[nn.Module] = [nn.MaxPool2d(3, 1, 1)] if i == 3 else []
            layers += [ConvAct(a, b, k, bn=bn, activation=act) for a, b, k in convs]
            branches.append(nn.Sequential(*layers))
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(x)
        return torch.cat([b(x) for b in self.branches], 1)

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        if stride > 1:
            cx.pool(w_in, 3, stride, 1)
        for i, convs in enumerate(_branches(w_in, stage)):
            if i == 3 and convs:  # the pool branch's 3x3 max-pool (stride 1: the map size is kept)
                cx.pool(w_in, 3, 1, 1)
            for a, b, k in convs:  # stride 1, 'same' padding: the map size is kept
                ConvAct.complexity(cx, a, b, k, bn=stage.bn)
        return cx
