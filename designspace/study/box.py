"""A study's complexity regime as its samplers see it: the box of parameter values the regime allows,
a trial that suggests inside that box, and whether a drawn model lies in the space and the regime.

Shared by every way a study picks its models -- the population's QMC points
(:mod:`designspace.study.population`), the search's proposals (:mod:`designspace.study.proposal`),
the trial that builds the model (:mod:`designspace.study.training`) and a paired study's pairs
(:mod:`designspace.study.paired`) -- so it imports none of them.
"""

from __future__ import annotations

import functools
from typing import Any

from designspace.regime import Regime
from designspace.study.config import StudyConfig

__all__ = ["BoxTrial", "in_regime", "plain", "regime_box", "rejects"]


def in_regime(config: StudyConfig, cx: dict[str, int]) -> str:
    """'' when ``cx`` (flops/params) lies in the config's regime, else why not."""
    for key in ("flops", "params"):
        bounds = getattr(config, key)
        if bounds is not None and not bounds[0] <= cx[key] <= bounds[1]:
            return f"outside the regime: {key}={cx[key]:,} not in [{bounds[0]:,.0f}, {bounds[1]:,.0f}]"
    return ""


def rejects(config: StudyConfig, space: Any, sampled: dict[str, Any], cx: dict[str, int]) -> str:
    """'' when a drawn model is in the space (its constraint) and in the regime, else why not."""
    return space.violation(sampled, config.resolution) or in_regime(config, cx)


def plain(value: Any) -> Any:
    """numpy scalars -> Python scalars (Optuna stores JSON)."""
    return value.item() if hasattr(value, "item") else value


@functools.cache
def _box(space_name: str, group_rule: str, resolution: int, flops: Any, params: Any) -> dict[str, frozenset]:
    import numpy as np

    from designspace import spaces  # deferred: the spaces import torch

    regime = Regime.make(flops, params)
    if not regime:
        return {}
    allowed: dict[str, set] = {}
    for names, table in spaces.get(space_name).with_group_rule(group_rule).narrow(resolution, regime).restrict.items():
        names = (names,) if isinstance(names, str) else tuple(names)
        table = np.asarray(table)
        table = table[:, None] if table.ndim == 1 else table
        for j, name in enumerate(names):
            allowed.setdefault(name, set()).update(plain(v) for v in table[:, j])
    return {k: frozenset(v) for k, v in allowed.items()}


def regime_box(config: StudyConfig) -> dict[str, frozenset]:
    """Parameter name -> the values the regime allows (empty without a regime)."""
    return _box(config.space, config.group_rule, config.resolution, config.flops, config.params)


class BoxTrial:
    """A trial whose ``suggest_*`` ranges and choices are cut to a box (see :mod:`designspace.study.proposal`)."""

    def __init__(self, trial: Any, box: dict[str, frozenset]) -> None:
        self.trial, self.box = trial, box

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        if name in self.box:
            low, high = max(low, min(self.box[name])), min(high, max(self.box[name]))
        return self.trial.suggest_int(name, low, high, step=step, log=log)

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        if name in self.box:
            choices = [c for c in choices if c in self.box[name]]
        return self.trial.suggest_categorical(name, choices)

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        return self.trial.suggest_float(name, low, high, step=step, log=log)

    @property
    def params(self) -> dict[str, Any]:
        return self.trial.params
