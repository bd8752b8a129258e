"""The generic stem -> stages -> head network, its analytic complexity, and a per-stage table."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from designspace.models.cx import Cx, FeatureMapVanishes
from designspace.models.layers import init_weights
from designspace.models.registries import BLOCKS, HEADS, STEMS
from designspace.specs import NetSpec, StageSpec, StemSpec


class Stage(nn.Sequential):
    """``stage.depth`` blocks; the first takes the stage's stride and input width."""

    def __init__(self, w_in: int, stage: StageSpec) -> None:
        block = BLOCKS.get(stage.block)
        layers = []
        for i in range(stage.depth):
            stride = stage.stride if i == 0 else 1
            layers.append(block(w_in, stage, stride))
            w_in = block.out_width(w_in, stage, stride)
        super().__init__(*layers)
        self.w_out = w_in

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec) -> int:
        """Accumulates the stage into ``cx`` and returns its output width."""
        block = BLOCKS.get(stage.block)
        block.complexity(cx, w_in, stage, stage.stride)
        w_in = block.out_width(w_in, stage, stage.stride)
        if stage.depth == 1:
            return w_in
        if block.uniform:  # blocks 2..d are identical: count one, multiply
            before = cx.copy()
            block.complexity(cx, w_in, stage, 1)
            one = Cx(0, 0, cx.flops - before.flops, cx.params - before.params, cx.acts - before.acts)
            cx.add(one, stage.depth - 2)
            return block.out_width(w_in, stage, 1)
        for _ in range(stage.depth - 1):
            block.complexity(cx, w_in, stage, 1)
            w_in = block.out_width(w_in, stage, 1)
        return w_in


class FinalNorm(nn.Sequential):
    """BN-ReLU after the last stage, for pre-activation blocks (DenseNet's norm5)."""

    def __init__(self, width: int) -> None:
        super().__init__(nn.BatchNorm2d(width), nn.ReLU(inplace=True))


def _needs_final_norm(spec: NetSpec) -> bool:
    return BLOCKS.get(spec.stages[-1].block).final_norm


class Network(nn.Module):
    """A network built from a :class:`NetSpec`."""

    def __init__(self, spec: NetSpec) -> None:
        super().__init__()
        self.spec = spec
        self.stem = STEMS.get(spec.stem.kind)(spec.stem)
        w = spec.stem.width
        stages = []
        for s in spec.stages:
            stages.append(Stage(w, s))
            w = stages[-1].w_out
        self.stages = nn.Sequential(*stages)
        self.final = FinalNorm(w) if _needs_final_norm(spec) else nn.Identity()
        self.head = HEADS.get(spec.head.kind)(w, spec.head)
        self.apply(init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.final(self.stages(self.stem(x))))


def stem_output_size(kind: str, resolution: int) -> int:
    """Side of the map a ``kind`` stem outputs for a square ``resolution`` input: the one rule,
    read off the stem's own complexity (the vectorized space counts use it)."""
    return STEMS.get(kind).complexity(Cx(resolution, resolution), StemSpec(kind, 3)).h


def network_complexity(spec: NetSpec, resolution: int = 224) -> dict[str, int]:
    """flops (multiply-adds + bias adds), params and acts of ``spec`` at ``resolution`` px."""
    cx = Cx(resolution, resolution)
    try:
        STEMS.get(spec.stem.kind).complexity(cx, spec.stem)
        w = spec.stem.width
        for s in spec.stages:
            w = Stage.complexity(cx, w, s)
            _check_size(cx, resolution)
        if _needs_final_norm(spec):
            cx.norm(w)
        HEADS.get(spec.head.kind).complexity(cx, w, spec.head)
    except FeatureMapVanishes as e:
        raise _too_small(resolution, str(e)) from None
    return cx.as_dict()


def _too_small(resolution: int, why: str) -> ValueError:
    return ValueError(f"resolution={resolution}: too small for this network ({why})")


def _check_size(cx: Cx, resolution: int) -> None:
    if cx.h < 1 or cx.w < 1:
        raise _too_small(resolution, "feature map vanishes")


@dataclass(frozen=True)
class PartRow:
    """One row of :func:`complexity_table`."""

    name: str
    block: str
    depth: int
    width: int
    bottleneck: float
    group_width: int
    stride: int
    out_width: int
    out_size: tuple[int, int]
    flops: int
    params: int
    acts: int


def complexity_table(spec: NetSpec, resolution: int = 224) -> list[PartRow]:
    """Per-part complexity: stem, each stage, head (the parts add up to the total)."""
    rows: list[PartRow] = []
    cx = Cx(resolution, resolution)

    def row(name: str, block: str, depth: int, width: int, b: float, g: int, s: int, w_out: int, before: Cx) -> None:
        _check_size(cx, resolution)
        rows.append(
            PartRow(
                name,
                block,
                depth,
                width,
                b,
                g,
                s,
                w_out,
                (cx.h, cx.w),
                cx.flops - before.flops,
                cx.params - before.params,
                cx.acts - before.acts,
            )
        )

    try:
        before = cx.copy()
        STEMS.get(spec.stem.kind).complexity(cx, spec.stem)
        w = spec.stem.width
        row("stem", spec.stem.kind, 1, w, 1.0, 0, 0, w, before)
        for i, s in enumerate(spec.stages):
            before = cx.copy()
            w = Stage.complexity(cx, w, s)
            row(f"stage{i + 1}", s.block, s.depth, s.width, s.bottleneck, s.group_width, s.stride, w, before)
        before = cx.copy()
        if _needs_final_norm(spec):
            cx.norm(w)
        HEADS.get(spec.head.kind).complexity(cx, w, spec.head)
    except FeatureMapVanishes as e:
        raise _too_small(resolution, str(e)) from None
    row("head", spec.head.kind, 1, spec.head.num_classes, 1.0, 0, 0, spec.head.num_classes, before)
    return rows
