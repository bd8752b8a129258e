"""A design principle as an intervention: a projection of one model of a parent space into a child space.

A :class:`Principle` names a parent space, a child space and a ``project`` rule: the parent's sampled
values -> the child's (before complexity matching), with a ``numpy.random.Generator`` seeded by the pair
for any value the child needs that the parent does not fix (e.g. the shared b of ``tie_b``: drawn once
from the child space's marginal, never chosen from the parent's values).

Every pair stays inside the study's complexity regime, and at the parent's complexity:
:func:`match_complexity` multiplies the child's widths by one common factor ``s`` (AnyNetX: each drawn
width ``w_i``, rounded to the width grid, multiples of 8 in 8..1024; RegNet: ``w0`` and ``wa``, inside
the space's ranges) and keeps the ``s`` (from a geometric grid of :data:`SCALES` factors, 1/4 to 4,
1 included) whose child has the flops nearest the parent's (log scale; ties: ``s`` nearest 1) among
the children that satisfy the child space's constraint and lie in the regime. A monotone map of the
widths keeps every principle (sorted widths stay sorted; shared b and g are untouched). When no factor
gives such a child, the parent is *rejected*: :func:`draw_pairs` moves on to the next parent of the
seeded population, and counts the rejections (``PairDraw.rejected``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from designspace.regime import Regime
from designspace.spaces import get as space_named
from designspace.spaces.base import DesignSpace

__all__ = ["SCALES", "Pair", "PairDraw", "Principle", "draw_pairs", "match_complexity", "project_parent", "with_rule"]

#: the width factors tried to bring a child to its parent's flops (geometric, 1/4 .. 4, 1 included)
SCALES = np.exp(np.linspace(np.log(0.25), np.log(4.0), 241))

Values = dict[str, Any]
Projection = Callable[[DesignSpace, DesignSpace, Mapping[str, Any], int, np.random.Generator], Values]


@dataclass(frozen=True)
class Principle:
    """``name``: a principle that maps a model of ``parent`` into ``child`` by ``project``.

    ``project(parent_space, child_space, parent_values, resolution, rng)`` returns the child's sampled
    values before complexity matching. ``rule`` says in words which value each new parameter takes;
    ``claim`` is the paper's (a claim of :data:`designspace.analysis.compare.CLAIMS`: ``"better"``
    makes the paired decision test one-sided).
    """

    name: str
    parent: str
    child: str
    description: str
    rule: str
    project: Projection
    claim: str = "none"

    def spaces(self, group_rule: str = "pycls") -> tuple[DesignSpace, DesignSpace]:
        """(parent space, child space) under ``group_rule`` where a space has the choice."""
        return with_rule(space_named(self.parent), group_rule), with_rule(space_named(self.child), group_rule)


def with_rule(space: DesignSpace, group_rule: str) -> DesignSpace:
    """``space`` under ``group_rule`` when it has a choice of rule (AnyNetX); else the space's own (RegNet)."""
    if space.group_rule is None or not hasattr(space, "knobs"):
        return space
    return space.with_group_rule(group_rule)


@dataclass(frozen=True)
class Pair:
    """One parent and its child (JSON-able: :meth:`to_dict`).

    ``index``: the parent's position in the seeded parent population; ``scale``: the width factor that
    brought the child to the parent's flops; values are the sampled (recorded) values of each space.
    """

    principle: str
    index: int
    parent: tuple[tuple[str, Any], ...]
    child: tuple[tuple[str, Any], ...]
    parent_flops: int
    child_flops: int
    scale: float

    @property
    def parent_values(self) -> Values:
        return dict(self.parent)

    @property
    def child_values(self) -> Values:
        return dict(self.child)

    def to_dict(self) -> dict[str, Any]:
        return {
            "principle": self.principle,
            "index": self.index,
            "parent": self.parent_values,
            "child": self.child_values,
            "parent_flops": self.parent_flops,
            "child_flops": self.child_flops,
            "scale": self.scale,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Pair:
        return cls(
            str(d["principle"]),
            int(d["index"]),
            tuple(dict(d["parent"]).items()),
            tuple(dict(d["child"]).items()),
            int(d["parent_flops"]),
            int(d["child_flops"]),
            float(d["scale"]),
        )


@dataclass(frozen=True)
class PairDraw:
    """What :func:`draw_pairs` returns: the pairs, and how many parents it looked at and rejected."""

    pairs: list[Pair]
    parents: int
    rejected: int

    @property
    def rejection_rate(self) -> float:
        return self.rejected / self.parents if self.parents else 0.0


def _py(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _scaled(space: DesignSpace, values: Mapping[str, Any], scales: np.ndarray) -> dict[str, np.ndarray]:
    """A batch of ``values`` with the widths multiplied by each of ``scales`` (in the space's ranges)."""
    n = len(scales)
    out = {k: np.full(n, v) for k, v in values.items()}
    knobs = getattr(space, "knob_map", None)
    if knobs is not None and "w" in knobs:  # AnyNetX: every drawn width, on the width grid
        grid = np.asarray(knobs["w"].values)
        step = grid[1] - grid[0]
        for name in knobs["w"].names():
            w = np.round(values[name] * scales / step) * step
            out[name] = np.clip(w, grid[0], grid[-1]).astype(np.int64)
        return out
    if {"w0", "wa"} <= set(values):  # RegNet: w0 and wa (the widths are w0 * wm^k, u_j = w0 + wa j)
        lo0, hi0 = space.w0  # type: ignore[attr-defined]
        lo_a, hi_a = space.wa  # type: ignore[attr-defined]
        out["w0"] = np.clip(values["w0"] * scales, np.nextafter(lo0, hi0), hi0)
        out["wa"] = np.clip(values["wa"] * scales, lo_a, np.nextafter(hi_a, lo_a))
        return out
    raise ValueError(f"space {space.name}: no widths to scale")


def match_complexity(
    space: DesignSpace, values: Mapping[str, Any], target_flops: float, regime: Regime, resolution: int
) -> tuple[Values, int, float] | None:
    """The child nearest ``target_flops`` over the width factors :data:`SCALES` that satisfies the
    space's constraint and lies in ``regime``: ``(values, flops, scale)``, or None when none does."""
    batch = space.canonical(_scaled(space, values, SCALES))
    cx = space.batch_complexity(batch, resolution)
    if cx is None:  # pragma: no cover - every space a principle names has vectorized complexity
        raise ValueError(f"space {space.name}: no vectorized complexity")
    ok = np.ones(len(SCALES), dtype=bool)
    valid = space.valid(batch, resolution)
    if valid is not None:
        ok &= valid
    if regime:
        ok &= regime.mask(cx)
    if not ok.any():
        return None
    gap = np.abs(np.log(np.asarray(cx["flops"], dtype=np.float64) / target_flops))
    key = np.where(ok, gap, np.inf) + 1e-9 * np.abs(np.log(SCALES))  # ties: the factor nearest 1
    i = int(np.argmin(key))
    child = {k: _py(v[i]) for k, v in batch.items()}
    return child, int(cx["flops"][i]), float(SCALES[i])


def draw_pairs(
    principle: Principle,
    n: int,
    *,
    seed: int = 0,
    resolution: int = 32,
    flops: Any = None,
    params: Any = None,
    group_rule: str = "pycls",
) -> PairDraw:
    """``n`` seeded pairs: parents from ``principle.parent`` in the regime (the very population
    ``designspace sample`` draws with ``seed``), each projected, its child matched to its flops.

    Parent ``i``'s projection draws its free values from ``numpy.random.default_rng([seed, i])``;
    parents whose child cannot be matched inside the regime are skipped. Prefix-stable: the pairs
    for ``n`` are the first ``n`` of the pairs for any larger ``n``.
    """
    parent_space, child_space = principle.spaces(group_rule)
    regime = Regime.make(flops, params)
    names = parent_space.param_names(resolution)
    pairs: list[Pair] = []
    looked = rejected = 0
    size = max(8, 2 * n)
    while len(pairs) < n:
        records = parent_space.sample(size, seed=seed, resolution=resolution, flops=flops, params=params)
        for i in range(looked, len(records)):
            looked += 1
            parent = {k: _py(records[i][k]) for k in names}
            pair = project_parent(principle, parent, i, seed, regime, resolution, group_rule)
            if pair is None:
                rejected += 1
                continue
            pairs.append(pair)
            if len(pairs) == n:
                break
        size *= 2
    return PairDraw(pairs, looked, rejected)


def project_parent(
    principle: Principle,
    parent: Mapping[str, Any],
    index: int,
    seed: int,
    regime: Regime,
    resolution: int = 32,
    group_rule: str = "pycls",
) -> Pair | None:
    """Parent ``index`` of the seeded population (its sampled ``parent`` values) and its child, or None
    when no width factor puts the child in the regime. The child's free values come from
    ``numpy.random.default_rng([seed, index])``."""
    parent_space, child_space = principle.spaces(group_rule)
    parent = {k: _py(v) for k, v in parent.items()}
    parent_flops = int(
        parent_space.batch_complexity(  # type: ignore[index]
            parent_space.canonical({k: np.asarray([v]) for k, v in parent.items()}), resolution
        )["flops"][0]
    )
    rng = np.random.default_rng([seed, index])
    projected = principle.project(parent_space, child_space, parent, resolution, rng)
    matched = match_complexity(child_space, projected, float(parent_flops), regime, resolution)
    if matched is None:
        return None
    child, child_flops, scale = matched
    return Pair(principle.name, index, tuple(parent.items()), tuple(child.items()), parent_flops, child_flops, scale)
