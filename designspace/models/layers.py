"""Small building layers shared by blocks, stems and heads, each with its complexity."""

from __future__ import annotations

import torch
from torch import nn

from designspace.models.cx import Cx


class ConvBN(nn.Sequential):
    """k x k conv -> BatchNorm (optional) -> ReLU (optional); 'same' padding for odd k."""

    def __init__(
        self,
        w_in: int,
        w_out: int,
        k: int,
        stride: int = 1,
        groups: int = 1,
        *,
        bn: bool = True,
        relu: bool = True,
        bias: bool = False,
        padding: int | None = None,
        final: bool = False,
    ) -> None:
        p = (k - 1) // 2 if padding is None else padding
        layers: list[nn.Module] = [nn.Conv2d(w_in, w_out, k, stride, p, groups=groups, bias=bias)]
        if bn:
            norm = nn.BatchNorm2d(w_out)
            norm.final_bn = final  # type: ignore[attr-defined]  # zero-init gamma (residual branch end)
            layers.append(norm)
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)

    @staticmethod
    def complexity(
        cx: Cx,
        w_in: int,
        w_out: int,
        k: int,
        stride: int = 1,
        groups: int = 1,
        *,
        bn: bool = True,
        bias: bool = False,
        padding: int | None = None,
    ) -> Cx:
        cx.conv(w_in, w_out, k, stride, groups, bias, padding)
        return cx.norm(w_out) if bn else cx


class BNReLUConv(nn.Sequential):
    """Pre-activation unit (DenseNet): BatchNorm -> ReLU -> k x k conv."""

    def __init__(self, w_in: int, w_out: int, k: int) -> None:
        super().__init__(
            nn.BatchNorm2d(w_in),
            nn.ReLU(inplace=True),
            nn.Conv2d(w_in, w_out, k, 1, (k - 1) // 2, bias=False),
        )

    @staticmethod
    def complexity(cx: Cx, w_in: int, w_out: int, k: int) -> Cx:
        return cx.norm(w_in).conv(w_in, w_out, k)


class SE(nn.Module):
    """Squeeze-and-excitation: global pool, 1x1 conv, ReLU, 1x1 conv, sigmoid, rescale."""

    def __init__(self, w_in: int, w_se: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.f = nn.Sequential(
            nn.Conv2d(w_in, w_se, 1, bias=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(w_se, w_in, 1, bias=True),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.f(self.pool(x))

    @staticmethod
    def complexity(cx: Cx, w_in: int, w_se: int) -> Cx:
        h, w = cx.h, cx.w
        cx.resize(1, 1).conv(w_in, w_se, 1, bias=True).conv(w_se, w_in, 1, bias=True)
        return cx.resize(h, w)


def init_weights(m: nn.Module) -> None:
    """ResNet-style init (as pycls): He-normal convs (fan-out), zero-init final BN gamma."""
    if isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
        nn.init.normal_(m.weight, mean=0.0, std=(2.0 / fan_out) ** 0.5)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.constant_(m.weight, 0.0 if getattr(m, "final_bn", False) else 1.0)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, mean=0.0, std=0.01)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
