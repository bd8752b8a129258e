"""What one trial does: build the model its parameters describe, train it, report the outcome.

An objective is any callable ``(trial: optuna.Trial, slot: int) -> Outcome``; the worker owns the
trial's life cycle (claiming, heartbeats, storing attributes, telling the storage). The real one,
:class:`TrainObjective`, asks the design space for a spec (define-by-run), trains it with
:func:`designspace.train.train` and turns divergence, out-of-memory and exceptions into FAIL
outcomes with a reason; Ctrl-C (``KeyboardInterrupt``) passes through. A search study with a
pruner (:mod:`designspace.study.pruners`) reports the test error during training; a trial its
pruner stops ends PRUNED, with its partial curve in Optuna's intermediate values.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from designspace.study.config import StudyConfig
from designspace.study.precision import ALLOW_EMULATED, STUDY_PRECISION, check_precision, pin_precision
from designspace.study.pruners import Reporter

if TYPE_CHECKING:
    import optuna

__all__ = [
    "ALLOW_EMULATED",
    "STUDY_PRECISION",
    "DeviceFault",
    "Objective",
    "Outcome",
    "TrainObjective",
    "check_config",
    "check_precision",
    "ensure_data",
    "in_regime",
    "make_objective",
    "pin_precision",
    "rejects",
    "slot_params",
]

#: user attributes every trial gets from its result (the export's columns)
RESULT_KEYS = (
    "test_error",
    "train_loss",
    "seconds",
    "total_seconds",
    "images_per_second",
    "device",
    "precision",
    "epochs",
    "device_name",
    "scores",
    "cpu_seconds",
)


@dataclass(frozen=True)
class Outcome:
    """How a trial ended: ``state`` COMPLETE, FAIL or PRUNED, the test error (%), why, user attributes."""

    state: str
    value: float | None = None
    reason: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)


Objective = Callable[["optuna.Trial", int], Outcome]


class DeviceFault(Exception):
    """The accelerator failed under a trial (a CUDA error such as an illegal memory access).

    Not the model's result: CUDA errors are sticky, so this process cannot use the GPU again, and
    every later trial in it would fail at once. The worker re-queues the trial and exits; the
    runner starts a new worker in its place.
    """


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


def check_config(config: StudyConfig) -> None:
    """Check the names a config refers to (space, data set, recipe keys); one-line ValueError."""
    import difflib
    from dataclasses import fields

    from designspace import spaces
    from designspace.data import DATASETS
    from designspace.train import TrainConfig

    where = f"{config.source}: " if config.source else ""
    known = [f.name for f in fields(TrainConfig)]
    for key in config.train_overrides:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean 'train.{close[0]}'?" if close else "known: " + ", ".join(known)
            raise ValueError(f"{where}unknown key 'train.{key}' ({hint})")
    if config.sampler == "cmaes":
        import importlib.util

        if importlib.util.find_spec("cmaes") is None:
            raise ValueError(f"{where}study.sampler='cmaes' needs the cmaes package: pip install 'designspace[cmaes]'")
    checks = (
        (f"space.name={config.space!r}: ", lambda: spaces.get(config.space)),
        ("space.", lambda: config.design_space()),
        (f"data.name={config.dataset!r}: ", lambda: DATASETS.get(config.dataset.partition(":")[0])),
        ("train.", lambda: TrainConfig.from_dict(config.train_overrides)),
    )
    if config.mode == "paired":
        from designspace.study.paired import check_paired

        checks += (("study.principle: ", lambda: check_paired(config)),)
    for prefix, check in checks:
        try:
            check()
        except (ValueError, TypeError) as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValueError(f"{where}{prefix}{msg}") from None


def ensure_data(config: StudyConfig) -> None:
    """Download the data set once now if it is missing (not in every worker at the same time)."""
    from designspace.data import DATASETS

    source = DATASETS.get(config.dataset.partition(":")[0])
    locate, download = getattr(source, "locate", None), getattr(source, "download", None)
    if callable(locate) and callable(download) and locate(config.data_dir) is None:
        download(config.data_dir)


def slot_params(config: StudyConfig, n: int) -> list[dict[str, Any]]:
    """The fixed parameters of slots 0..n-1: the sampled population, or empty dicts in search mode."""
    if config.mode == "search":
        return [{} for _ in range(n)]
    if config.mode == "paired":
        from designspace.study.paired import pair_params

        return pair_params(config, n)
    from designspace.study.population import population_params

    return population_params(config, n)


def make_objective(config: StudyConfig, *, device: str = "auto", threads: int | None = None) -> TrainObjective:
    """The objective of the study's mode: :class:`TrainObjective`, or a paired study's ``PairObjective``."""
    if config.mode == "paired":
        from designspace.study.paired import PairObjective

        return PairObjective(config, device=device, threads=threads)
    return TrainObjective(config, device=device, threads=threads)


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
        from designspace.data import load_dataset

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
        from designspace.train import TrainConfig

        return TrainConfig.from_dict(self.config.train_overrides)

    @functools.cached_property
    def budget(self) -> Any:
        from designspace.train import Budget

        c = self.config
        if c.epochs is not None:
            epochs = int(c.epochs) if float(c.epochs).is_integer() else c.epochs
            return Budget(epochs=epochs)
        return Budget(seconds=c.seconds)

    @functools.cached_property
    def reports(self) -> int:
        """Intermediate test errors per training (0: per epoch with ``train.eval_each_epoch`` only)."""
        from designspace.study.pruners import GRANULARITY, report_count, settings_of

        c = self.config
        if (c.pruner == "none" and not c.pruning) or c.epochs is None:
            return 0
        return report_count(c.epochs, settings_of(c.pruner, c.pruning)[GRANULARITY])

    @functools.cached_property
    def pruner(self) -> Any:
        from designspace.study.pruners import make_pruner

        c = self.config
        return None if c.pruner == "none" else make_pruner(c.pruner, c.pruning, c.epochs)

    def pin_precision(self, handle: Any) -> None:
        """Train in the study's precision, never another (:func:`pin_precision`)."""
        from dataclasses import replace

        precision = pin_precision(handle, self.recipe.precision, self.device)
        if precision != self.recipe.precision:
            self.__dict__["recipe"] = replace(self.recipe, precision=precision)  # the cached_property's slot

    def prepare(self) -> None:
        """Load the space, data and recipe now (errors at start-up, not in the first trial)."""
        _ = self.space, self.data, self.recipe, self.budget
        check_precision(self.recipe.precision, self.device)

    def __call__(self, trial: optuna.Trial, slot: int) -> Outcome:
        from optuna import TrialPruned

        import designspace as ds
        from designspace.spaces.base import effective_values

        c = self.config
        if c.mode == "search":  # through the regime's box, as the proposal was made
            from designspace.study.proposal import BoxTrial, regime_box

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
                if _is_oom(e):
                    _free_cuda()
                    return Outcome("FAIL", reason=f"{where}out of memory: {_line(e)}", attrs=attrs)
                if _is_device_fault(e):
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
        from designspace.train import train

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


def combined(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from the trainings of one trial (one per seed): the mean test error, train loss
    and speed, the summed time; the rest (device, precision, epochs, complexity) from the first."""
    if len(runs) == 1:
        return runs[0]
    out = dict(runs[0])
    for key in ("test_error", "train_loss", "images_per_second"):
        out[key] = sum(float(run[key]) for run in runs) / len(runs)
    for key in ("seconds", "total_seconds", "cpu_seconds"):
        if key in out:
            out[key] = sum(float(run[key]) for run in runs)
    if all(isinstance(run.get("scores"), dict) for run in runs):
        out["scores"] = {k: sum(float(run["scores"][k]) for run in runs) / len(runs) for k in runs[0]["scores"]}
    return out


def _report(trial: optuna.Trial, epoch: int, info: dict) -> None:
    """Per-epoch test error as an Optuna intermediate value (with ``train.eval_each_epoch``)."""
    error = info.get("test_error")
    if isinstance(error, (int, float)) and math.isfinite(error):
        trial.report(float(error), epoch)


def _line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:300] if text else type(e).__name__


def _is_oom(e: BaseException) -> bool:
    try:
        import torch

        if isinstance(e, torch.cuda.OutOfMemoryError):
            return True
    except (ImportError, AttributeError):
        pass
    return isinstance(e, RuntimeError) and "out of memory" in str(e).lower()


def _is_device_fault(e: BaseException) -> bool:
    """A CUDA error other than out-of-memory: it poisons the process's CUDA context."""
    try:
        import torch

        accelerator_error = getattr(torch, "AcceleratorError", None)  # torch >= 2.8
        if accelerator_error is not None and isinstance(e, accelerator_error):
            return True
    except ImportError:
        pass
    return isinstance(e, RuntimeError) and "CUDA error" in str(e)


def _free_cuda() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001
        pass
