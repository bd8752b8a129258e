"""Registered activations (``StageSpec.activation``, ``HeadSpec.activation``).

Each entry makes a fresh parameter-free module; activations cost no flops/params/acts in the
complexity conventions, so adding one needs nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from designspace.registry import Registry

ACTIVATIONS: Registry[Callable[[], nn.Module]] = Registry("activation")
ACTIVATIONS.register("relu", lambda: nn.ReLU(inplace=True))
ACTIVATIONS.register("sigmoid", nn.Sigmoid)  # LeNet
ACTIVATIONS.register("tanh", nn.Tanh)
ACTIVATIONS.register("gelu", nn.GELU)
ACTIVATIONS.register("silu", lambda: nn.SiLU(inplace=True))


def activation(name: str) -> nn.Module:
    """A new module for the registered activation ``name``."""
    return ACTIVATIONS.get(name)()
