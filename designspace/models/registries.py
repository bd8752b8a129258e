"""The registries of model parts. Adding a block = one small file + one line here + its name in designspace/parts.py."""

from __future__ import annotations

from designspace.models import heads, stems
from designspace.models.activations import ACTIVATIONS
from designspace.models.blocks.base import Block
from designspace.models.blocks.conv import ConvBlock
from designspace.models.blocks.dense import DenseLayer
from designspace.models.blocks.inception import InceptionBlock
from designspace.models.blocks.nin import NiNBlock
from designspace.models.blocks.pool import AvgPoolBlock, MaxPoolBlock
from designspace.models.blocks.res_basic import ResBasicBlock
from designspace.models.blocks.res_bottleneck import ResBottleneckBlock
from designspace.models.blocks.vanilla import VanillaBlock
from designspace.models.blocks.vgg import VGGBlock
from designspace.parts import PART_NAMES
from designspace.registry import Registry

BLOCKS: Registry[type[Block]] = Registry("block")
BLOCKS.register("vanilla", VanillaBlock)
BLOCKS.register("vgg", VGGBlock)
BLOCKS.register("res_basic", ResBasicBlock)
BLOCKS.register("res_bottleneck", ResBottleneckBlock)
BLOCKS.register("dense", DenseLayer)
BLOCKS.register("conv", ConvBlock)
BLOCKS.register("maxpool", MaxPoolBlock)
BLOCKS.register("avgpool", AvgPoolBlock)
BLOCKS.register("nin", NiNBlock)
BLOCKS.register("inception", InceptionBlock)

STEMS: Registry[type[stems.Stem]] = Registry("stem")
STEMS.register("cifar", stems.CifarStem)
STEMS.register("simple", stems.SimpleStem)
STEMS.register("imagenet", stems.ImageNetStem)
STEMS.register("none", stems.NoStem)

HEADS: Registry[type[heads.Head]] = Registry("head")
HEADS.register("linear", heads.LinearHead)
HEADS.register("vgg", heads.VGGHead)
HEADS.register("flatten", heads.FlattenHead)
HEADS.register("nin", heads.NiNHead)

REGISTRIES: dict[str, Registry] = {"block": BLOCKS, "stem": STEMS, "head": HEADS, "activation": ACTIVATIONS}


def _check_vocabulary() -> None:
    """Each registry's names are :data:`designspace.parts.PART_NAMES` (what specs accept), exactly."""
    for kind, registry in REGISTRIES.items():
        if sorted(registry.names()) != sorted(PART_NAMES[kind]):
            raise ImportError(
                f"{kind} names registered ({', '.join(sorted(registry.names()))}) differ from "
                f"designspace.parts.PART_NAMES[{kind!r}] ({', '.join(sorted(PART_NAMES[kind]))}): keep them equal"
            )


_check_vocabulary()
