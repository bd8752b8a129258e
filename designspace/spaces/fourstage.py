"""The four-stage skeleton shared by AnyNetX and the block-family spaces.

stem (width 32; ``cifar`` at <= 64 px, else ``simple``) -> four stages (strides 1, 2, 2, 2 at
<= 64 px, else 2, 2, 2, 2) -> 10-class linear head. A space is a :class:`StageRule` (how the
per-stage values become a ``StageSpec``) plus one :class:`Knob` per per-stage parameter:

* ``mode="stage"``: one independent draw per stage, named ``key1`` .. ``key4``;
* ``mode="shared"``: one draw for all four stages, named ``key``;
* ``mode="sorted"``: four independent draws ``key1`` .. ``key4``, sorted ascending (the spec
  and the record hold the sorted values: stage i gets the i-th smallest draw). The induced
  distribution is that of the order statistics of four i.i.d. draws: a non-decreasing tuple
  with multiplicities m_1, m_2, ... has probability 4! / (m_1! m_2! ...) / |V|^4, so tuples of
  distinct values are favoured over ties (unlike rejection from the unordered space, which
  would be uniform over non-decreasing tuples).

A knob whose values form an arithmetic progression is suggested with ``suggest_int(low, high,
step)``, any other with ``suggest_categorical``; both are uniform.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from designspace.models.compat import check_group_rule
from designspace.regime import Regime
from designspace.spaces.base import NUM_CLASSES, STEM_WIDTH, DesignSpace, Narrowing, is_small
from designspace.spaces.batch_cx import NUM_STAGES, four_stage_complexity
from designspace.spaces.bounds import narrow_four_stage
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec

__all__ = ["Knob", "StageRule", "FourStageSpace", "NUM_STAGES", "multisets", "count_settings"]

MODES = ("stage", "shared", "sorted")


def multisets(k: int, r: int = NUM_STAGES) -> int:
    """Number of non-decreasing r-tuples over k values."""
    return math.comb(k + r - 1, r)


def count_settings(knobs: Iterable[Knob]) -> int:
    """Distinct recorded settings: |V|^4 per per-stage knob, |V| per shared one, C(|V|+3, 4) per sorted one."""
    total = 1
    for k in knobs:
        n = len(k.values)
        total *= {"stage": n**NUM_STAGES, "shared": n, "sorted": multisets(n)}[k.mode]
    return total


@dataclass(frozen=True)
class Knob:
    """A per-stage parameter: ``key``, its (ascending) ``values`` and how stages share it."""

    key: str
    values: tuple[int, ...]
    mode: str = "stage"

    def __post_init__(self) -> None:
        v = self.values
        if not v or any(isinstance(x, bool) or not isinstance(x, int) or x < 1 for x in v):
            raise ValueError(f"knob {self.key!r}: values must be positive integers")
        if list(v) != sorted(set(v)):
            raise ValueError(f"knob {self.key!r}: values must be ascending and distinct")
        if self.mode not in MODES:
            raise ValueError(f"knob {self.key!r}: mode={self.mode!r} (known: {', '.join(MODES)})")

    def names(self) -> tuple[str, ...]:
        if self.mode == "shared":
            return (self.key,)
        return tuple(f"{self.key}{i + 1}" for i in range(NUM_STAGES))

    def stage_name(self, i: int) -> str:
        return self.key if self.mode == "shared" else f"{self.key}{i + 1}"

    @property
    def step(self) -> int | None:
        """The common difference when the values are an arithmetic progression."""
        v = self.values
        if len(v) < 2:
            return 1
        d = v[1] - v[0]
        return d if all(b - a == d for a, b in zip(v, v[1:])) else None

    def suggest(self, trial: Any, name: str) -> Any:
        step = self.step
        if step is not None:
            return trial.suggest_int(name, self.values[0], self.values[-1], step=step)
        return trial.suggest_categorical(name, self.values)

    def describe(self) -> str:
        v, step = self.values, self.step
        if step is not None and len(v) > 3:
            vals = f"{{{v[0]}, {v[1]}, ..., {v[-1]}}}" if step > 1 else f"{{{v[0]}..{v[-1]}}}"
        else:
            vals = "{" + ", ".join(map(str, v)) + "}"
        how = {"stage": "per stage", "shared": "shared", "sorted": "per stage, sorted"}[self.mode]
        return f"{self.key} in {vals} ({how})"


class StageRule:
    """How per-stage values become a ``StageSpec``, vectorized for complexity and bounds.

    ``keys`` are the knob keys the rule needs. ``derive`` maps per-stage value arrays to the
    inputs of :func:`~designspace.spaces.batch_cx.four_stage_complexity` (``d``, ``w`` and,
    for ``res_bottleneck``, ``wb`` and ``ge``); ``derive_bounds`` maps value intervals to
    intervals of those inputs (valid lower and upper bounds).
    """

    block: ClassVar[str]
    keys: ClassVar[tuple[str, ...]]
    summary: ClassVar[str] = ""

    def stage(self, v: Mapping[str, int], stride: int) -> StageSpec:
        raise NotImplementedError

    def derive(self, v: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"d": v["d"], "w": v["w"]}

    def derive_bounds(
        self, lo: Mapping[str, np.ndarray], hi: Mapping[str, np.ndarray], knobs: Mapping[str, Knob] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        return {"d": lo["d"], "w": lo["w"]}, {"d": hi["d"], "w": hi["w"]}

    def has_projection(self) -> bool:
        return self.block in ("res_bottleneck", "res_basic")

    def count_specs(self, knobs: Mapping[str, Knob]) -> int:
        """Distinct specs; default: the rule maps distinct values to distinct stages."""
        return count_settings(knobs.values())

    def validate(self, knobs: Mapping[str, Knob]) -> None:
        """Raise ``ValueError`` if some combination of values gives no valid stage."""


@dataclass(frozen=True)
class FourStageSpace(DesignSpace):
    """A four-stage design space: ``rule`` + ``knobs`` (see the module docstring)."""

    name: str
    description: str
    rule: StageRule
    knobs: tuple[Knob, ...]
    stem_width: int = STEM_WIDTH

    def __post_init__(self) -> None:
        keys = [k.key for k in self.knobs]
        if sorted(keys) != sorted(self.rule.keys):
            raise ValueError(f"space {self.name!r}: knobs {keys} do not match the rule's {list(self.rule.keys)}")
        self.rule.validate(self.knob_map)

    @property
    def knob_map(self) -> dict[str, Knob]:
        return {k.key: k for k in self.knobs}

    @property
    def group_rule(self) -> str | None:
        return getattr(self.rule, "group_rule", None)

    def with_group_rule(self, rule: str) -> DesignSpace:
        if self.group_rule is None or rule == self.group_rule:
            return super().with_group_rule(rule)
        check_group_rule(rule)
        return dataclasses.replace(self, rule=dataclasses.replace(self.rule, group_rule=rule))  # type: ignore[type-var]

    # -- skeleton ---------------------------------------------------------------------------
    def stem(self, resolution: int) -> StemSpec:
        return StemSpec("cifar" if is_small(resolution) else "simple", self.stem_width)

    def strides(self, resolution: int) -> tuple[int, ...]:
        return (1, 2, 2, 2) if is_small(resolution) else (2, 2, 2, 2)

    def definition(self) -> str:
        """The exact definition in words (used by ``designspace spaces`` and the docs)."""
        return f"{self.rule.summary}; " + "; ".join(k.describe() for k in self.knobs)

    # -- the definition -------------------------------------------------------------------
    def draw(self, trial: Any, resolution: int) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for knob in self.knobs:
            for name in knob.names():
                values[name] = knob.suggest(trial, name)
        return values

    def canonical(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = dict(values)
        for knob in self.knobs:
            if knob.mode == "sorted":
                names = knob.names()
                stacked = np.sort(np.stack([np.asarray(values[n]) for n in names]), axis=0)
                out.update(zip(names, stacked))
        return out

    def _stage_values(self, values: Mapping[str, Any], i: int) -> dict[str, Any]:
        return {k.key: values[k.stage_name(i)] for k in self.knobs}

    def build(self, values: Mapping[str, Any], resolution: int) -> NetSpec:
        canon = self.canonical({k: np.asarray([v]) for k, v in values.items()})
        vals = {k: int(v[0]) for k, v in canon.items()}
        stages = tuple(self.rule.stage(self._stage_values(vals, i), s) for i, s in enumerate(self.strides(resolution)))
        return NetSpec(self.stem(resolution), stages, HeadSpec("linear", NUM_CLASSES))

    # -- counting ---------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Exact number of distinct specs (per resolution variant); see the rule's ``count_specs``."""
        return self.rule.count_specs(self.knob_map)

    @property
    def num_settings(self) -> int:
        """Distinct recorded settings (see :func:`count_settings`)."""
        return count_settings(self.knobs)

    # -- vectorized complexity and narrowing ---------------------------------------------
    def derived_stages(self, values: Mapping[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
        return [self.rule.derive(self._stage_values(values, i)) for i in range(NUM_STAGES)]

    def batch_complexity(self, values: Mapping[str, np.ndarray], resolution: int) -> dict[str, np.ndarray]:
        return self.complexity_of(self.derived_stages(values), resolution)

    def complexity_of(self, stages: Sequence[Mapping[str, np.ndarray]], resolution: int) -> dict[str, np.ndarray]:
        return four_stage_complexity(
            self.rule.block,
            self.stem(resolution).kind,
            self.stem_width,
            self.strides(resolution),
            stages,
            resolution,
            NUM_CLASSES,
        )

    def narrow(self, resolution: int, regime: Regime) -> Narrowing:
        return narrow_four_stage(self, resolution, regime)
