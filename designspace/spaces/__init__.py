"""Design spaces: named, registered populations of network specs with a sampling rule.

>>> from designspace import spaces
>>> space = spaces.get("anynetx_a")
>>> records = space.sample(10, seed=0, resolution=224, flops="360M:400M")
>>> spec = space.suggest(optuna.trial.FixedTrial(space.fixed_params(records[0])), resolution=224)

See ``docs/spaces.md`` and :mod:`designspace.spaces.base` for the contract, the definition
modules (:mod:`~designspace.spaces.anynet`, :mod:`~designspace.spaces.families`,
:mod:`~designspace.spaces.regnet`) for the exact spaces, :mod:`~designspace.spaces.sampling`
and :mod:`~designspace.spaces.bounds` for seeded sampling under a complexity regime.
"""

from __future__ import annotations

from designspace.regime import Regime, parse_range
from designspace.spaces import anynet, classic, families, regnet  # noqa: F401  (register the spaces)
from designspace.spaces.base import DesignSpace, Narrowing, SampleResult
from designspace.spaces.registry import SPACES
from designspace.spaces.trials import BatchTrial, NumpyTrial, RecordingTrial

__all__ = [
    "SPACES",
    "BatchTrial",
    "DesignSpace",
    "Narrowing",
    "NumpyTrial",
    "RecordingTrial",
    "Regime",
    "SampleResult",
    "get",
    "names",
    "parse_range",
]


def get(name: str) -> DesignSpace:
    """The registered space ``name`` (unknown -> ``ValueError`` with close matches)."""
    return SPACES.get(name)


def names() -> list[str]:
    """Registered space names, sorted."""
    return SPACES.names()
