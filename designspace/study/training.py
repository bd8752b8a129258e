"""The objective of population and search studies: build the model a trial's parameters describe,
train it, report the outcome.

:class:`TrainObjective` asks the design space for a spec (define-by-run), trains it with
:func:`designspace.train.train` and turns divergence, out-of-memory and exceptions into FAIL
outcomes with a reason (:mod:`designspace.study.outcome`); Ctrl-C (``KeyboardInterrupt``) passes
through. A search study with a pruner (:mod:`designspace.study.pruners`) reports the test error
during training; a trial its pruner stops ends PRUNED, with its partial curve in Optuna's
intermediate values.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import designspace as ds
from designspace.study.box import BoxTrial, regime_box, rejects
from designspace.study.config import StudyConfig
from designspace.study.outcome import RESULT_KEYS, DeviceFault, Outcome, combined, free_cuda, is_device_fault, is_oom
from designspace.study.precision import check_precision, pin_precision
from designspace.study.pruners import GRANULARITY, Reporter, make_pruner, report_count, settings_of
from designspace.ui.messages import first_line

if TYPE_CHECKING:
    import optuna

__all__ = ["TrainObjective"]


class TrainObjective:
    """Train the model a trial's parameters describe on the study's data set."""

    def __init__(self, config: StudyConfig, *, device: str = "auto", threads: int | None = None) -> None:
        self.config = config
        self.device = device
        self.threads = threads

    # Loaded once per worker process, on first use.
    @functools.cached_property
    def space(self) -> Any:
        return self.config.design_space()

    @functools.cached_property
    def data(self) -> Any:
        from designspace.data import load_dataset  # deferred: imports torch

        c = self.config
        return load_dataset(
            c.dataset,
            data_dir=c.data_dir,
            train_subset=c.train_subset,
            test_subset=c.test_subset,
            seed=c.data_seed,
            resize=c.resolution,
            progress=False,
        )

    @functools.cached_property
    def recipe(self) -> Any:
        from designspace.train import TrainConfig  # deferred: imports torch

        return TrainConfig.from_dict(self.config.train_overrides)

    @functools.cached_property
    def budget(self) -> Any:
        from designspace.train import Budget  # deferred: imports torch

        c = self.config
        if c.epochs is not None:
            epochs = int(c.epochs) if float(c.epochs).is_integer() else c.epochs
            return Budget(epochs=epochs)
        return Budget(seconds=c.seconds)

    @functools.cached_property
    def reports(self) -> int:
        """Intermediate test errors per training (0: per epoch with ``train.eval_each_epoch`` only)."""
        c = self.config
        if (c.pruner == "none" and not c.pruning) or c.epochs is None:
            return 0
        return report_count(c.epochs, settings_of(c.pruner, c.pruning)[GRANULARITY])

    @functools.cached_property
    def pruner(self) -> Any:
        c = self.config
        return None if c.pruner == "none" else make_pruner(c.pruner, c.pruning, c.epochs)

    def pin_precision(self, handle: Any) -> None:
        """Train in the study's precision, never another (:func:`~designspace.study.precision.pin_precision`)."""
        precision = pin_precision(handle, self.recipe.precision, self.device)
        if precision != self.recipe.precision:
            self.__dict__["recipe"] = replace(self.recipe, precision=precision)  # the cached_property's slot

    def prepare(self) -> None:
        """Load the space, data and recipe now (errors at start-up, not in the first trial)."""
        _ = self.space, self.data, self.recipe, self.budget
        check_precision(self.recipe.precision, self.device)

    def __call__(self, trial: optuna.Trial, slot: int) -> Outcome:
        from optuna import TrialPruned

        from designspace.spaces.base import effective_values  # deferred: the spaces import torch

        c = self.config
        if c.mode == "search":  # through the regime's box, as the proposal was made
            spec = self.space.suggest(BoxTrial(trial, regime_box(c)), resolution=c.resolution)
        else:
            spec = self.space.suggest(trial, resolution=c.resolution)
        cx = ds.complexity(spec, c.resolution)
        attrs: dict[str, Any] = {
            "spec": spec.to_json(),
            "sampled": dict(trial.params),  # the drawn values; the network's own X-stage values next
            **effective_values(spec),  # width{i}, bottleneck_width{i}, group_width{i}, groups{i}
            "space": c.space,
            "resolution": c.resolution,
            **cx,
        }
        for key in ("spec", "flops", "params", "acts"):  # visible while it trains
            trial.set_user_attr(key, attrs[key])
        why = rejects(c, self.space, attrs["sampled"], cx)
        if why:  # the population and the proposals come from the space and regime: a bug if it happens
            return Outcome("FAIL", reason=why, attrs=attrs)
        seeds = c.training_seeds(slot)
        attrs["seed"] = seeds[0]
        if len(seeds) > 1:
            attrs["seeds"] = list(seeds)
        attrs["train_config"] = self.recipe.to_dict()
        runs: list[dict[str, Any]] = []
        reporter = Reporter(trial, self.reports, self.pruner) if self.reports else None
        for seed in seeds:
            where = f"seed {seed}: " if len(seeds) > 1 else ""
            t0, cpu0 = time.perf_counter(), time.process_time()
            try:
                result = self._train(trial, spec, seed, report=not runs, reporter=reporter if not runs else None)
            except TrialPruned as e:  # the pruner stopped it: a cheap result, not an error
                spent = {"total_seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - cpu0}
                done = {"epochs": reporter.last.get("epochs")} if reporter is not None else {}
                return Outcome("PRUNED", reason=str(e), attrs={**attrs, **spent, **done})
            except MemoryError as e:
                return Outcome("FAIL", reason=f"{where}out of memory: {_line(e)}", attrs=attrs)
            except Exception as e:  # noqa: BLE001 - any error is this trial's result, the study goes on
                if is_oom(e):
                    free_cuda()
                    return Outcome("FAIL", reason=f"{where}out of memory: {_line(e)}", attrs=attrs)
                if is_device_fault(e):
                    raise DeviceFault(f"{type(e).__name__}: {_line(e)}") from e
                return Outcome("FAIL", reason=f"{where}error: {type(e).__name__}: {_line(e)}", attrs=attrs)
            r = result.to_dict()
            if result.status != "ok":
                attrs.update({k: r[k] for k in RESULT_KEYS if k in r})
                reason = f"{result.status}: {result.reason}" if result.reason else str(result.status)
                return Outcome("FAIL", reason=where + reason, attrs=attrs)
            runs.append(r)
            if reporter is not None and len(runs) == 1:
                reporter.final(float(r["test_error"]))
        r = combined(runs)
        attrs.update({k: r[k] for k in RESULT_KEYS if k in r})
        if len(runs) > 1:
            attrs["test_errors"] = [run["test_error"] for run in runs]
        for key in ("flops", "params"):  # of the model as trained (the data set's classes)
            if r.get(key) is not None:
                attrs[key] = r[key]
        return Outcome("COMPLETE", value=float(r["test_error"]), attrs=attrs)

    def _train(
        self, trial: optuna.Trial, spec: Any, seed: int, *, report: bool = True, reporter: Reporter | None = None
    ) -> Any:
        from designspace.train import train  # deferred: imports torch

        return train(
            spec,
            self.data,
            self.budget,
            seed,
            config=self.recipe,
            device=self.device,
            threads=self.threads,
            progress=False,
            on_epoch=(lambda epoch, info: _report(trial, epoch, info)) if report and reporter is None else None,
            on_report=reporter,
            reports=reporter.reports if reporter is not None else 0,
        )


def _report(trial: optuna.Trial, epoch: int, info: dict) -> None:
    """Per-epoch test error as an Optuna intermediate value (with ``train.eval_each_epoch``)."""
    error = info.get("test_error")
    if isinstance(error, (int, float)) and math.isfinite(error):
        trial.report(float(error), epoch)


def _line(e: BaseException) -> str:
    """An error's first line, at most 300 characters (a trial's reason)."""
    return first_line(e)[:300]
