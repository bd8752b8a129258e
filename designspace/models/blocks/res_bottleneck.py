"""``res_bottleneck``: the X block (ResNeXt / AnyNetX), optional SE (RegNetY).

x + [1x1 conv-BN-ReLU to w/b, 3x3 grouped conv-BN-ReLU (groups = (w/b)/g), (SE),
1x1 conv-BN to w]. The SE width is ``round(se * w_in)`` as in pycls.
"""

from __future__ import annotations

from torch import nn

from designspace.models.blocks.residual import ResidualBlock
from designspace.models.cx import Cx
from designspace.models.layers import SE, ConvBN
from designspace.specs import StageSpec


def _se_width(w_in: int, stage: StageSpec) -> int:
    return int(round(w_in * stage.se))


class ResBottleneckBlock(ResidualBlock):
    summary = "x + [1x1, 3x3 grouped, (SE), 1x1] (ResNet bottleneck / ResNeXt / X block)"

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__(w_in, stage, stride)
        wb, w_se = stage.bottleneck_width, _se_width(w_in, stage)
        layers: list[nn.Module] = [ConvBN(w_in, wb, 1), ConvBN(wb, wb, 3, stride, stage.groups)]
        if w_se:
            layers.append(SE(wb, w_se))
        layers.append(ConvBN(wb, stage.width, 1, relu=False, final=True))
        self.f = nn.Sequential(*layers)

    @staticmethod
    def branch_complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        wb, w_se = stage.bottleneck_width, _se_width(w_in, stage)
        ConvBN.complexity(cx, w_in, wb, 1)
        ConvBN.complexity(cx, wb, wb, 3, stride, stage.groups)
        if w_se:
            SE.complexity(cx, wb, w_se)
        return ConvBN.complexity(cx, wb, stage.width, 1)
