"""The contract every registered block follows.

A block is an ``nn.Module`` built from ``(w_in, stage, stride)``; its ``complexity`` takes the
same arguments (plus the accumulator) and must agree exactly with the module it describes.
The first block of a stage gets the stage's stride; the others get 1.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from designspace.models.cx import Cx
from designspace.specs import StageSpec


class Block(nn.Module):
    #: what the block computes, in one line (documentation; no command prints it)
    summary: ClassVar[str] = ""
    #: a network whose last stage uses this block ends with BN-ReLU (DenseNet)
    final_norm: ClassVar[bool] = False
    #: blocks after the first are identical (lets complexity count one and multiply)
    uniform: ClassVar[bool] = True

    def __init__(self, w_in: int, stage: StageSpec, stride: int) -> None:
        super().__init__()

    @staticmethod
    def out_width(w_in: int, stage: StageSpec, stride: int) -> int:
        return stage.width

    @staticmethod
    def complexity(cx: Cx, w_in: int, stage: StageSpec, stride: int) -> Cx:
        raise NotImplementedError
