"""Exact narrowing of a four-stage space's draw for a complexity regime.

Rejection from the whole space is slow for typical regimes (AnyNetX-A accepts ~0.07% of
its draws at 360-400 MF / 224 px). Narrowing removes parameter values that provably cannot
meet the regime, and only those, so it introduces no bias:

* Every count of :mod:`designspace.spaces.batch_cx` is non-decreasing in each per-stage input
  (``d``, ``w``, ``w/b``, group width, projection on/off), so evaluating it at the lower and
  upper ends of value intervals bounds the complexity of every spec in a box of values.
* The parameters are split into *groups* that are drawn jointly: for each stage, the tuple of
  its own per-stage parameters (e.g. ``(d1, w1, b1, g1)`` in AnyNetX-A); each shared parameter
  (``b``); each sorted parameter (the four i.i.d. draws of AnyNetX-D's widths share one set of
  allowed values).
* For every group and every allowed value (tuple) ``v``, the box "group = v, every other
  parameter within the range of its allowed values" is bounded (for a sorted group: ``v`` at
  position ``p``, the stages before within ``[min, v]``, those after within ``[v, max]``, for
  each ``p``). If the bounds miss the regime, no spec with that value can be accepted and ``v``
  is removed. This repeats until nothing changes.
* The draw is the space's distribution conditioned on the remaining values: each group is
  drawn uniformly over its remaining tuples (the space's draws are uniform and independent,
  so this is exactly the conditional). As every removed tuple lies wholly outside the regime,
  accepted specs are distributed exactly as under plain rejection from the whole space.
  ``Narrowing.kept``, the probability mass kept, is exact (a product over groups), so plain
  rejection's acceptance rate is reported as well.

If a group loses every value, or the bounds of the whole space miss the regime, the regime is
impossible: ``ValueError`` with the space's complexity bounds.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from designspace.regime import Regime
from designspace.spaces.batch_cx import NUM_STAGES
from designspace.spaces.records import Narrowing
from designspace.ui.numbers import si

if TYPE_CHECKING:  # pragma: no cover
    from designspace.spaces.fourstage import FourStageSpace

__all__ = ["narrow_four_stage", "box_bounds"]

MAX_ROUNDS = 32


@dataclass
class _Group:
    kind: str  # "stage" | "shared" | "sorted"
    keys: tuple[str, ...]
    stage: int  # the stage of a "stage" group
    table: np.ndarray  # (m, len(keys)) allowed tuples
    total: int  # tuples before narrowing

    def names(self) -> tuple[tuple[str, ...], ...]:
        """The name tuples drawn from this group's table (four i.i.d. ones for a sorted group)."""
        if self.kind == "stage":
            return (tuple(f"{k}{self.stage + 1}" for k in self.keys),)
        if self.kind == "shared":
            return (self.keys,)
        return tuple((f"{self.keys[0]}{i + 1}",) for i in range(NUM_STAGES))


def _groups(space: FourStageSpace) -> list[_Group]:
    groups = []
    per_stage = [k for k in space.knobs if k.mode == "stage"]
    if per_stage:
        table = np.array(list(itertools.product(*(k.values for k in per_stage))), dtype=np.int64)
        keys = tuple(k.key for k in per_stage)
        groups += [_Group("stage", keys, i, table, len(table)) for i in range(NUM_STAGES)]
    for k in space.knobs:
        if k.mode != "stage":
            table = np.asarray(k.values, dtype=np.int64)[:, None]
            groups.append(_Group(k.mode, (k.key,), -1, table, len(table)))
    return groups


def box_bounds(
    space: FourStageSpace, resolution: int, lo: dict[str, np.ndarray], hi: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Lower and upper complexity bounds of boxes: ``lo[key]``/``hi[key]`` have shape (rows, 4)."""
    rule, strides = space.rule, space.strides(resolution)
    stages_lo, stages_hi = [], []
    w_in_lo = w_in_hi = np.full(len(next(iter(lo.values()))), space.stem_width, dtype=np.int64)
    for i in range(NUM_STAGES):
        dlo, dhi = rule.derive_bounds(
            {k: v[:, i] for k, v in lo.items()}, {k: v[:, i] for k, v in hi.items()}, knobs=space.knob_map
        )
        if rule.has_projection():
            if strides[i] != 1:
                dlo["proj"] = dhi["proj"] = np.ones_like(w_in_lo)
            else:  # projection iff w_in != w: certain when the intervals are disjoint, absent when both are one value
                dlo["proj"] = ((w_in_hi < dlo["w"]) | (w_in_lo > dhi["w"])).astype(np.int64)
                same = (w_in_lo == w_in_hi) & (dlo["w"] == dhi["w"]) & (w_in_lo == dlo["w"])
                dhi["proj"] = (~same).astype(np.int64)
            w_in_lo, w_in_hi = dlo["w"], dhi["w"]
        stages_lo.append(dlo)
        stages_hi.append(dhi)
    return space.complexity_of(stages_lo, resolution), space.complexity_of(stages_hi, resolution)


def _base(groups: list[_Group], keys: list[str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    lo = {k: np.zeros(NUM_STAGES, dtype=np.int64) for k in keys}
    hi = {k: np.zeros(NUM_STAGES, dtype=np.int64) for k in keys}
    for g in groups:
        stages = [g.stage] if g.kind == "stage" else list(range(NUM_STAGES))
        for j, key in enumerate(g.keys):
            lo[key][stages] = g.table[:, j].min()
            hi[key][stages] = g.table[:, j].max()
    return lo, hi


def _rows(g: _Group, base_lo: dict[str, np.ndarray], base_hi: dict[str, np.ndarray]) -> tuple[dict, dict]:
    """The boxes "group = each allowed value" (for a sorted group: each value at each position)."""
    m = len(g.table)
    reps = m if g.kind != "sorted" else m * NUM_STAGES
    lo = {k: np.tile(v, (reps, 1)) for k, v in base_lo.items()}
    hi = {k: np.tile(v, (reps, 1)) for k, v in base_hi.items()}
    if g.kind == "stage":
        for j, key in enumerate(g.keys):
            lo[key][:, g.stage] = hi[key][:, g.stage] = g.table[:, j]
    elif g.kind == "shared":
        key = g.keys[0]
        lo[key][:] = hi[key][:] = g.table[:, :1]
    else:
        key, v = g.keys[0], g.table[:, 0]
        for p in range(NUM_STAGES):
            rows = slice(p * m, (p + 1) * m)
            hi[key][rows, :p] = v[:, None]
            lo[key][rows, p + 1 :] = v[:, None]
            lo[key][rows, p] = hi[key][rows, p] = v
    return lo, hi


def narrow_four_stage(space: FourStageSpace, resolution: int, regime: Regime) -> Narrowing:
    """The exact narrowing of ``space``'s draw for ``regime`` (see the module docstring)."""
    keys = [k.key for k in space.knobs]
    groups = _groups(space)
    for _ in range(MAX_ROUNDS):
        base_lo, base_hi = _base(groups, keys)
        blocks = [({k: v[None] for k, v in base_lo.items()}, {k: v[None] for k, v in base_hi.items()})]
        blocks += [_rows(g, base_lo, base_hi) for g in groups]
        lo = {k: np.concatenate([b[0][k] for b in blocks]) for k in keys}
        hi = {k: np.concatenate([b[1][k] for b in blocks]) for k in keys}
        cx_lo, cx_hi = box_bounds(space, resolution, lo, hi)
        ok = np.ones(len(lo[keys[0]]), dtype=bool)
        for metric, lo_m, hi_m in regime.bounds:
            ok &= (cx_lo[metric] <= hi_m) & (cx_hi[metric] >= lo_m)
        if not ok[0]:
            _impossible(space, resolution, regime, cx_lo, cx_hi)
        changed, start = False, 1
        for g in groups:
            m = len(g.table)
            good = ok[start : start + m] if g.kind != "sorted" else ok[start : start + m * NUM_STAGES].reshape(-1, m)
            good = good if g.kind != "sorted" else good.any(axis=0)
            start += m if g.kind != "sorted" else m * NUM_STAGES
            if not good.any():
                _impossible(space, resolution, regime, cx_lo, cx_hi)
            if not good.all():
                g.table = g.table[good]
                changed = True
        if not changed:
            break
    return _narrowing(groups)


def _narrowing(groups: list[_Group]) -> Narrowing:
    restrict: dict[tuple[str, ...], np.ndarray] = {}
    counts: dict[str, tuple[int, int]] = {}
    kept = 1.0
    for g in groups:
        for names in g.names():
            counts[",".join(names)] = (len(g.table), g.total)
            kept *= len(g.table) / g.total
            if len(g.table) < g.total:
                restrict[names] = g.table
    return Narrowing(restrict, kept, counts)


def _impossible(
    space: FourStageSpace, resolution: int, regime: Regime, cx_lo: dict[str, np.ndarray], cx_hi: dict[str, np.ndarray]
) -> None:
    spans = ", ".join(f"{m} {si(cx_lo[m][0])}..{si(cx_hi[m][0])}" for m, _, _ in regime.bounds)
    raise ValueError(
        f"impossible regime: no spec of {space.name} at {resolution} px has {regime.describe()}"
        f" (bounds over the space: {spans})"
    )
