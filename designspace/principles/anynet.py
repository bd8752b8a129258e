"""The AnyNetX principles (Radosavovic et al. 2020, Sec. 3): A -> B -> C -> D -> E as interventions.

* ``tie_b`` (A -> B): the four bottleneck ratios become one, drawn once from B's marginal (uniform
  over {1, 2, 4}) with the pair's generator -- not chosen from the parent's four;
* ``share_g`` (B -> C): the four group widths become one, drawn once from C's marginal (uniform
  over {1, 2, 4, 8, 16, 32}) with the pair's generator;
* ``sort_widths`` (C -> D): the parent's four widths in ascending order (everything else kept);
* ``sort_depths`` (D -> E): the parent's four depths in ascending order (everything else kept).

Then the child's widths are scaled to the parent's flops (:func:`designspace.principles.base.match_complexity`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from designspace.principles.base import Principle, Values
from designspace.principles.registry import PRINCIPLES
from designspace.spaces.base import DesignSpace

__all__ = ["ANYNET_PRINCIPLES"]

STAGES = range(1, 5)


def _shared(key: str) -> Any:
    """Replace the per-stage ``key1..key4`` by one ``key`` drawn from the child space's marginal."""

    def project(
        parent: DesignSpace, child: DesignSpace, v: Mapping[str, Any], resolution: int, rng: np.random.Generator
    ) -> Values:
        values = child.knob_map[key].values  # type: ignore[attr-defined]
        out = {k: x for k, x in v.items() if not (k.startswith(key) and k[len(key) :].isdigit())}
        out[key] = int(values[int(rng.integers(len(values)))])
        return out

    return project


def _sorted(key: str) -> Any:
    """The parent's ``key1..key4`` in ascending order."""

    def project(
        parent: DesignSpace, child: DesignSpace, v: Mapping[str, Any], resolution: int, rng: np.random.Generator
    ) -> Values:
        out = dict(v)
        for i, x in zip(STAGES, sorted(int(v[f"{key}{i}"]) for i in STAGES)):
            out[f"{key}{i}"] = x
        return out

    return project


ANYNET_PRINCIPLES = (
    Principle(
        "tie_b",
        "anynetx_a",
        "anynetx_b",
        "one shared bottleneck ratio b (AnyNetX-A -> B)",
        "b drawn once per pair from AnyNetX-B's marginal, uniform over {1, 2, 4}",
        _shared("b"),
        "no loss",
    ),
    Principle(
        "share_g",
        "anynetx_b",
        "anynetx_c",
        "one shared group width g (AnyNetX-B -> C)",
        "g drawn once per pair from AnyNetX-C's marginal, uniform over {1, 2, 4, 8, 16, 32}",
        _shared("g"),
        "no loss",
    ),
    Principle(
        "sort_widths",
        "anynetx_c",
        "anynetx_d",
        "non-decreasing widths (AnyNetX-C -> D)",
        "the parent's four widths sorted ascending",
        _sorted("w"),
        "better",
    ),
    Principle(
        "sort_depths",
        "anynetx_d",
        "anynetx_e",
        "non-decreasing depths (AnyNetX-D -> E)",
        "the parent's four depths sorted ascending",
        _sorted("d"),
        "better",
    ),
)
for _p in ANYNET_PRINCIPLES:
    PRINCIPLES.register(_p.name, _p)
