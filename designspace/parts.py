"""The names of the model parts a spec may name: the vocabulary :mod:`designspace.specs` checks names against.

:mod:`designspace.models.registries` maps each name to its class and refuses to import when the two
disagree, so a new block is one small file, one line there and its name here. The names live here, below
the models, so that a spec is checked without importing torch or the models (specs sit below them).
"""

from __future__ import annotations

PART_NAMES: dict[str, tuple[str, ...]] = {
    "block": (
        "vanilla",
        "vgg",
        "res_basic",
        "res_bottleneck",
        "dense",
        "conv",
        "maxpool",
        "avgpool",
        "nin",
        "inception",
    ),
    "stem": ("cifar", "simple", "imagenet", "none"),
    "head": ("linear", "vgg", "flatten", "nin"),
    "activation": ("relu", "sigmoid", "tanh", "gelu", "silu"),
}
