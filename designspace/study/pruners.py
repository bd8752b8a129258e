"""Multi-fidelity search: the ``[pruner]`` of a search study -- which Optuna pruner stops bad models early.

A search study may name a pruner and its settings::

    [study]
    mode = "search"
    pruner = "hyperband"         # none (default) | median | successive_halving | hyperband

    [pruner]                     # optional settings (search mode only)
    reports_per_epoch = 4        # the granularity: test errors reported per epoch of training
    min_resource = 1             # hyperband, successive_halving: reports before the first rung
    reduction_factor = 3         # hyperband, successive_halving: 1/eta of a rung goes on
    # median: n_startup_trials = 5, n_warmup_steps = 0, interval_steps = 1

A trial reports its test error ``reports = round(budget.epochs * reports_per_epoch)`` times, evenly
spaced over its training (step 1..reports; the last is the trained model's result), and asks the
pruner after every report but the last. ``hyperband``'s ``max_resource`` is ``reports``. A pruned
trial ends PRUNED with its partial curve (Optuna's intermediate values) and counts toward the
study's budget as a trial with a result, as Optuna's ``n_trials`` counts it: the budget is trials
run, a pruned one being a cheap one.

Population and paired studies are never pruned (their EDFs need every model trained to the end),
and a pruned search needs an epoch budget (reports at fixed fractions of the training) and one
training per trial (one curve).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from designspace.registry import Registry
from designspace.ui import checks

if TYPE_CHECKING:
    import optuna

__all__ = ["PRUNERS", "PrunerKind", "Reporter", "check_pruning", "make_pruner", "report_count"]

#: a ``[pruner]`` key every pruner (``none`` included) takes: intermediate test errors per epoch
GRANULARITY = "reports_per_epoch"


@dataclass(frozen=True)
class PrunerKind:
    """One pruner: its settings with their defaults, and how to build it from them and ``reports``."""

    settings: tuple[tuple[str, int], ...]
    build: Callable[[dict[str, int], int], Any]


def _median(s: dict[str, int], reports: int) -> Any:
    import optuna

    return optuna.pruners.MedianPruner(
        n_startup_trials=s["n_startup_trials"], n_warmup_steps=s["n_warmup_steps"], interval_steps=s["interval_steps"]
    )


def _halving(s: dict[str, int], reports: int) -> Any:
    import optuna

    return optuna.pruners.SuccessiveHalvingPruner(
        min_resource=s["min_resource"],
        reduction_factor=s["reduction_factor"],
        min_early_stopping_rate=s["min_early_stopping_rate"],
    )


def _hyperband(s: dict[str, int], reports: int) -> Any:
    import optuna

    return optuna.pruners.HyperbandPruner(
        min_resource=s["min_resource"], max_resource=reports, reduction_factor=s["reduction_factor"]
    )


PRUNERS: Registry[PrunerKind] = Registry("pruner")
PRUNERS.register("none", PrunerKind((), lambda s, r: None))
PRUNERS.register("median", PrunerKind((("n_startup_trials", 5), ("n_warmup_steps", 0), ("interval_steps", 1)), _median))
PRUNERS.register(
    "successive_halving",
    PrunerKind((("min_resource", 1), ("reduction_factor", 4), ("min_early_stopping_rate", 0)), _halving),
)
PRUNERS.register("hyperband", PrunerKind((("min_resource", 1), ("reduction_factor", 3)), _hyperband))

#: the smallest value of each setting
_LOW = {"n_startup_trials": 0, "n_warmup_steps": 0, "min_early_stopping_rate": 0, "reduction_factor": 2}


def report_count(epochs: float, reports_per_epoch: int) -> int:
    """How many times a trial of ``epochs`` reports its test error (at least once: the end)."""
    return max(1, round(epochs * reports_per_epoch))


def settings_of(name: str, items: tuple[tuple[str, Any], ...]) -> dict[str, int]:
    """Every setting of pruner ``name`` (``[pruner]`` values over the defaults), ``reports_per_epoch`` too."""
    kind = PRUNERS.get(name)
    out = {GRANULARITY: 1, **dict(kind.settings)}
    for key, value in items:
        if key not in out:
            raise ValueError(f"unknown key 'pruner.{key}' for study.pruner={name!r} (known: {', '.join(out)})")
        out[key] = checks.integer(f"pruner.{key}", value, low=_LOW.get(key, 1))
    return out


def check_pruning(
    pruner: str, items: tuple[tuple[str, Any], ...], *, mode: str, epochs: float | None, seeds: int
) -> None:
    """One-line ``ValueError`` for a pruner the study cannot use (see the module doc)."""
    checks.choice("study.pruner", pruner, PRUNERS.names())
    if mode != "search" and (pruner != "none" or items):
        what = f"study.pruner={pruner!r}" if pruner != "none" else "[pruner]"
        raise ValueError(f"{what}: only search studies are pruned ({mode} studies need every model trained to the end)")
    settings = settings_of(pruner, items)
    if pruner == "none":
        return
    if epochs is None:
        raise ValueError(f"study.pruner={pruner!r}: needs budget.epochs (reports at fixed fractions of a training)")
    if seeds > 1:
        raise ValueError(f"study.pruner={pruner!r}: needs one study.train_seed (a pruned trial reports one curve)")
    reports = report_count(epochs, settings[GRANULARITY])
    if reports < 2:
        raise ValueError(
            f"study.pruner={pruner!r}: budget.epochs={epochs} x pruner.{GRANULARITY}={settings[GRANULARITY]} gives"
            f" {reports} report; raise pruner.{GRANULARITY} (at least 2 reports to prune between)"
        )
    if settings.get("min_resource", 1) >= reports:
        raise ValueError(
            f"pruner.min_resource={settings['min_resource']}: must be below the {reports} reports of a training"
        )


def make_pruner(pruner: str, items: tuple[tuple[str, Any], ...], epochs: float | None) -> optuna.pruners.BasePruner:
    """The Optuna pruner of a checked config (``NopPruner`` for ``none``)."""
    import optuna

    settings = settings_of(pruner, items)
    reports = report_count(epochs or 1.0, settings[GRANULARITY])
    return PRUNERS.get(pruner).build(settings, reports) or optuna.pruners.NopPruner()


class Reporter:
    """A trial's intermediate test errors (steps 1..reports) and, with a pruner, its verdicts.

    Called by the trainer at reports 1..reports-1 (``designspace.train.train``'s ``on_report``):
    stores the value, then raises ``optuna.TrialPruned`` when the pruner says so; :meth:`final`
    stores the trained model's error as the last step.
    """

    def __init__(self, trial: optuna.Trial, reports: int, pruner: optuna.pruners.BasePruner | None) -> None:
        self.trial, self.reports, self.pruner = trial, reports, pruner
        self.last: dict[str, Any] = {}
        if pruner is not None:
            trial.study.pruner = pruner  # what trial.should_prune() asks

    def __call__(self, step: int, info: dict[str, Any]) -> None:
        import optuna

        error = info.get("test_error")
        if not isinstance(error, (int, float)) or not math.isfinite(error):
            return
        self.trial.report(float(error), step)
        self.last = {"step": step, **info}
        if self.pruner is not None and self.trial.should_prune():
            raise optuna.TrialPruned(
                f"pruned at report {step}/{self.reports} (epoch {info.get('epochs', math.nan):.2f}): test error"
                f" {error:.2f}%"
            )

    def final(self, error: float) -> None:
        if math.isfinite(error):
            self.trial.report(float(error), self.reports)
