"""Common random numbers for paired comparisons: initial weights seeded per module, by name.

``train`` seeds one RNG stream and builds the network in it, so two networks that differ in one
stage get different initial weights in every later stage too, even where the shapes agree. With
``TrainConfig.init_by_module`` every module is (re)initialized by the model's own rule
(:func:`designspace.models.layers.init_weights`: conv, BN and linear layers) from a seed derived
from the run's seed and the module's name, so two networks trained with one seed share the initial
weights of every module they both have (same name, same shape) -- the stem, the head's input side
where widths agree, and every block up to the end of the shorter stage. The data order and the
augmentation come from the run's seed alone (:class:`designspace.data.loader.TrainBatches`), so both
members of a pair see identical batches.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch
from torch import nn

from designspace.models.layers import init_weights

__all__ = ["init_by_module", "module_seed"]


def module_seed(seed: int, name: str) -> int:
    """The seed of module ``name`` in a run seeded ``seed`` (stable across processes and machines)."""
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode())]).generate_state(1)[0])


def init_by_module(model: nn.Module, seed: int) -> nn.Module:
    """Re-initialize every module of ``model`` that owns parameters from :func:`module_seed` (in place).

    The caller's RNG state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        for name, module in model.named_modules():
            if next(module.parameters(recurse=False), None) is None:
                continue
            torch.manual_seed(module_seed(seed, name))
            init_weights(module)
    return model
