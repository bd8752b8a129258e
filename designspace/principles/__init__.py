"""Design principles as interventions: each maps one model of a parent space into a child space.

>>> from designspace import principles
>>> draw = principles.draw_pairs(principles.get("sort_depths"), 40, seed=0, flops="4M:8M")

``tie_b`` (AnyNetX-A -> B), ``share_g`` (B -> C), ``sort_widths`` (C -> D), ``sort_depths`` (D -> E),
``regnet_fit`` (E -> RegNetX) and ``regnet_fit_b`` (E -> RegNetX with b in {1, 2, 4}). See
:mod:`designspace.principles.base` for how a child keeps its parent's complexity and the regime, and
``docs/paired.md`` for the paired studies that train them.
"""

from __future__ import annotations

from designspace.principles import anynet, regnet  # noqa: F401  (register the principles)
from designspace.principles.base import Pair, PairDraw, Principle, draw_pairs, match_complexity, project_parent
from designspace.principles.registry import PRINCIPLES

__all__ = [
    "PRINCIPLES",
    "Pair",
    "PairDraw",
    "Principle",
    "draw_pairs",
    "get",
    "match_complexity",
    "names",
    "project_parent",
]


def get(name: str) -> Principle:
    """The registered principle ``name`` (unknown -> ``ValueError`` with close matches)."""
    return PRINCIPLES.get(name)


def names() -> list[str]:
    return PRINCIPLES.names()
