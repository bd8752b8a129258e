"""Optuna-style trials that design spaces draw through, and the seeded draws behind them.

A design space samples *define-by-run*: ``space.draw(trial, resolution)`` calls
``trial.suggest_int / suggest_float / suggest_categorical`` with a fixed name and a fixed
distribution for every parameter. The same code therefore runs with

* an Optuna ``Trial`` (TPE, CMA-ES, QMC, ... in a study) or ``optuna.trial.FixedTrial``;
* :class:`NumpyTrial`: one seeded draw with a ``numpy.random.Generator``;
* :class:`BatchTrial`: ``size`` draws at once, each ``suggest_*`` returning an array (what the
  fast population sampler uses; the space's ``draw`` must not branch on sampled values);
* :class:`RecordingTrial`: no draw at all, it records the distributions (the inspectable
  definition of the space).

Distributions (the numpy trials follow Optuna's semantics):

* ``suggest_int(name, low, high, step=s)``: uniform over ``low, low + s, ..., high``.
* ``suggest_categorical(name, choices)``: uniform over the choices.
* ``suggest_float(name, low, high)``: uniform on ``[low, high)``.
* ``suggest_float(name, low, high, log=True)``: log-uniform on ``(low, high)``.

Determinism on any machine: integers and uniform floats come from ``Generator.integers`` /
``Generator.random`` (bit-exact for a given seed) and basic IEEE arithmetic. Log-uniform
floats avoid ``exp``/``log`` (whose last bit differs between libm/SIMD builds): a 32-bit
integer ``i`` is drawn and ``x = low * r ** ((2 i + 1) / 2**33)`` with ``r = high / low`` is
evaluated as a product of the repeated square roots ``r ** (1 / 2**m)`` (``sqrt`` is correctly
rounded everywhere). That is log-uniform on a grid of 2**32 points, i.e. continuous for any
practical purpose, and bit-identical across platforms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "IntDist",
    "FloatDist",
    "CatDist",
    "Distribution",
    "RecordingTrial",
    "BatchTrial",
    "NumpyTrial",
    "log_uniform",
    "to_optuna",
]

_LOG_BITS = 32


@dataclass(frozen=True)
class IntDist:
    """Uniform over ``low, low + step, ..., high``."""

    low: int
    high: int
    step: int = 1

    def __post_init__(self) -> None:
        if self.step < 1 or self.high < self.low or (self.high - self.low) % self.step:
            raise ValueError(f"int distribution low={self.low}, high={self.high}, step={self.step} is invalid")

    def values(self) -> np.ndarray:
        return np.arange(self.low, self.high + 1, self.step, dtype=np.int64)

    def contains(self, value: Any) -> bool:
        return self.low <= value <= self.high and (value - self.low) % self.step == 0


@dataclass(frozen=True)
class FloatDist:
    """Uniform on ``[low, high)``, or log-uniform on ``(low, high)`` when ``log``."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not (self.high > self.low) or (self.log and self.low <= 0):
            raise ValueError(f"float distribution low={self.low}, high={self.high}, log={self.log} is invalid")

    def values(self) -> None:
        return None  # continuous

    def contains(self, value: Any) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class CatDist:
    """Uniform over ``choices``."""

    choices: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError("a categorical distribution needs at least one choice")

    def values(self) -> np.ndarray:
        return np.asarray(self.choices)

    def contains(self, value: Any) -> bool:
        return value in self.choices


Distribution = IntDist | FloatDist | CatDist


def to_optuna(dist: Distribution) -> Any:
    """The equivalent ``optuna.distributions`` object."""
    from optuna import distributions as od

    if isinstance(dist, IntDist):
        return od.IntDistribution(dist.low, dist.high, step=dist.step)
    if isinstance(dist, FloatDist):
        return od.FloatDistribution(dist.low, dist.high, log=dist.log)
    return od.CategoricalDistribution(dist.choices)


def log_uniform(rng: np.random.Generator, low: float, high: float, size: int) -> np.ndarray:
    """``size`` log-uniform floats in ``(low, high)``, bit-identical on every platform (see module doc)."""
    roots = []
    r = high / low
    for _ in range(_LOG_BITS + 1):
        r = math.sqrt(r)
        roots.append(r)  # roots[m] = (high / low) ** (1 / 2 ** (m + 1))
    i = rng.integers(0, 2**_LOG_BITS, size=size, dtype=np.uint64)
    x = np.full(size, low * roots[_LOG_BITS])
    for m in range(_LOG_BITS):
        bit = ((i >> np.uint64(_LOG_BITS - 1 - m)) & np.uint64(1)).astype(bool)
        x = np.where(bit, x * roots[m], x)
    return x


class RecordingTrial:
    """Records each parameter's distribution; returns the lowest value (draws must not branch on it)."""

    def __init__(self) -> None:
        self.distributions: dict[str, Distribution] = {}

    def _record(self, name: str, dist: Distribution) -> None:
        if name in self.distributions and self.distributions[name] != dist:
            raise ValueError(f"parameter {name!r} is suggested twice with different distributions")
        self.distributions[name] = dist

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        _no_int_log(name, log)
        self._record(name, IntDist(int(low), int(high), int(step)))
        return int(low)

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        _no_float_step(name, step)
        self._record(name, FloatDist(float(low), float(high), bool(log)))
        return float(low)

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        self._record(name, CatDist(tuple(choices)))
        return choices[0]


class BatchTrial:
    """``size`` seeded draws per ``suggest_*`` call (arrays), optionally restricted.

    ``restrict`` maps a tuple of parameter names to a 2-D table of allowed value tuples (one
    column per name; a single name may be given as a string with a 1-D array). The names of
    a tuple are drawn jointly, uniformly over the table's rows, i.e. from the space's
    distribution (uniform, independent draws) conditioned on the table. ``size=None`` returns
    Python scalars.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        size: int | None,
        restrict: Mapping[Any, np.ndarray] | None = None,
    ) -> None:
        self.rng = rng
        self.size = size
        self._where: dict[str, tuple[tuple[str, ...], int]] = {}
        self._tables: dict[tuple[str, ...], np.ndarray] = {}
        self._drawn: dict[tuple[str, ...], np.ndarray] = {}
        self._range: dict[str, tuple[Any, Any]] = {}
        for names, table in (restrict or {}).items():
            names = (names,) if isinstance(names, str) else tuple(names)
            table = np.asarray(table)
            table = table[:, None] if table.ndim == 1 else table
            if table.ndim != 2 or table.shape[1] != len(names) or len(table) == 0:
                raise ValueError(f"restriction of {names}: need a non-empty table with {len(names)} column(s)")
            self._tables[names] = table
            for j, name in enumerate(names):
                self._where[name] = (names, j)
                self._range[name] = (table[:, j].min(), table[:, j].max())

    def _n(self) -> int:
        return 1 if self.size is None else self.size

    def _out(self, arr: np.ndarray) -> Any:
        return arr[0].item() if self.size is None else arr

    def _discrete(self, name: str, values: np.ndarray) -> Any:
        if name not in self._where:
            return self._out(np.asarray(values)[self.rng.integers(0, len(values), size=self._n())])
        names, j = self._where[name]
        table = self._tables[names]
        if names not in self._drawn:
            self._drawn[names] = self.rng.integers(0, len(table), size=self._n())
        lo, hi = self._range[name]
        if lo < min(values) or hi > max(values):
            raise ValueError(f"restriction of {name!r} has values outside its distribution")
        return self._out(table[self._drawn[names], j])

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> Any:
        _no_int_log(name, log)
        return self._discrete(name, IntDist(int(low), int(high), int(step)).values())

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._discrete(name, CatDist(tuple(choices)).values())

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> Any:
        _no_float_step(name, step)
        if name in self._where:
            raise ValueError(f"parameter {name!r}: continuous parameters cannot be restricted")
        dist = FloatDist(float(low), float(high), bool(log))
        if log:
            x = log_uniform(self.rng, dist.low, dist.high, self._n())
        else:
            x = dist.low + (dist.high - dist.low) * self.rng.random(self._n())
        return self._out(x)


class NumpyTrial(BatchTrial):
    """One seeded draw per ``suggest_*`` call (Python scalars): ``space.suggest(NumpyTrial(seed))``."""

    def __init__(self, seed: int | np.random.Generator = 0) -> None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.Generator(np.random.PCG64(seed))
        super().__init__(rng, None)


def _no_int_log(name: str, log: bool) -> None:
    if log:
        raise ValueError(f"parameter {name!r}: log-scaled integers are not supported; use suggest_float(log=True)")


def _no_float_step(name: str, step: float | None) -> None:
    if step is not None:
        raise ValueError(f"parameter {name!r}: stepped floats are not supported; use suggest_int")
