"""``train``: one short training run of a spec on a resident data set, reproducible per seed.

Budgets: ``Budget(epochs=E)`` runs ``ceil(E * steps_per_epoch)`` steps; ``Budget(seconds=S)``
runs until S seconds of training-loop time have passed (at least one step), and the learning-rate
schedule follows the elapsed fraction of S, so it always completes its decay exactly at the limit
(runs with a time budget are therefore not bit-reproducible; epoch budgets are, on the CPU, for a
given seed and thread count).

Scores (``TrainConfig.scores``): after the budget, the test set is evaluated once more for every
score (:class:`designspace.train.result.TrainResult`); evaluations inside the run (``eval_last``)
pause the clock, so scores never change the training or its budget.

Intermediate reports (multi-fidelity search): ``reports=R`` with ``on_report`` evaluates the test
error at steps ``round(i * total_steps / R)`` for i = 1..R-1 (epoch budgets; the R-th is the
result) and calls ``on_report(i, info)``; like every evaluation inside the run it pauses the clock.
The hook may raise (a pruner's ``optuna.TrialPruned``) to end the run there: the exception
propagates out of :func:`train`.

Divergence: a non-finite training loss, or one above ``EXPLODED_LOSS`` times ln(classes) (the loss
of a uniform guess), ends the run at once (checked every step on the CPU, every
``CUDA_CHECK_EVERY`` steps on a GPU, where a check is a device sync) and the result says
``status="diverged"`` with the reason; nothing is raised. A dead network (constant output, loss
near ln(classes), chance-level error) has not diverged: it completes with its (bad) error.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from designspace.data.dataset import Dataset
from designspace.data.loader import EvalBatches, TrainBatches
from designspace.models.api import SpecLike, resolve
from designspace.models.network import Network, network_complexity
from designspace.specs import NetSpec
from designspace.train.config import Budget, TrainConfig
from designspace.train.crn import init_by_module
from designspace.train.device import (
    autocast_dtype,
    device_name,
    select_channels_last,
    select_device,
    select_precision,
    threads_and_rng,
)
from designspace.train.evaluate import evaluate, evaluate_scores
from designspace.train.optim import make_optimizer, set_lr
from designspace.train.progress import TrainBar
from designspace.train.result import TrainResult
from designspace.train.schedules import lr_at
from designspace.ui import checks

CUDA_CHECK_EVERY = 20
#: a training loss above this many times ln(classes) has exploded, though finite (an lr of 1e6 on
#: a CPU without bf16 ran to losses of 1e23 and was scored 89.8% error as if it had trained)
EXPLODED_LOSS = 100.0
#: ``eval_last``: the evaluations' spacing, as a fraction of the budget
LAST_EVAL_SPACING = 0.05

EpochHook = Callable[[int, dict], None]
ReportHook = Callable[[int, dict], None]


def retarget(spec_or_name: SpecLike, data: Dataset) -> NetSpec:
    """The spec with the data set's class and channel counts."""
    return resolve(spec_or_name).with_num_classes(data.num_classes).with_in_channels(data.in_channels)


def train(
    spec_or_name: SpecLike,
    data: Dataset,
    budget: Budget,
    seed: int = 0,
    *,
    config: TrainConfig = TrainConfig(),  # noqa: B008  (frozen, so a shared default is safe)
    device: str = "auto",
    threads: int | None = None,
    progress: bool = False,
    on_epoch: EpochHook | None = None,
    on_report: ReportHook | None = None,
    reports: int = 0,
) -> TrainResult:
    """Trains ``spec_or_name`` (a NetSpec, zoo name, dict or spec file) on ``data`` within ``budget``.

    The spec is re-targeted to ``data.num_classes`` classes and ``data.in_channels`` channels.
    ``threads`` sets torch's intra-op threads for the run (None: leave as is). ``on_epoch(epoch,
    info)`` is called after every epoch (1-based; the last may be partial) with ``epochs``,
    ``steps``, ``train_loss``, ``lr``, ``seconds``, ``images_per_second`` (and ``test_error``
    with ``config.eval_each_epoch``). ``on_report(i, info)`` gets the test error at the i-th of
    ``reports`` evenly spaced points (see the module doc) with ``steps``, ``epochs``, ``train_loss``
    and ``test_error``. The caller's RNG state and thread count are left unchanged.
    """
    t0, cpu0 = time.perf_counter(), time.process_time()
    if not isinstance(budget, Budget):
        raise ValueError(f"budget={budget!r}: must be a Budget(epochs=...) or Budget(seconds=...)")
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config={config!r}: must be a TrainConfig")
    checks.integer("seed", seed)
    if reports and (budget.epochs is None or isinstance(reports, bool) or not isinstance(reports, int)):
        raise ValueError(f"reports={reports!r}: intermediate reports need an integer and an epoch budget")
    spec = retarget(spec_or_name, data)
    cx = network_complexity(spec, data.resolution)
    dev = select_device(device)
    precision = select_precision(config.precision, dev)
    channels_last = select_channels_last(config.channels_last, dev)
    rng_seed = seed if config.common_seed is None else config.common_seed
    with threads_and_rng(threads, rng_seed, dev):
        run = _Run(spec, data, budget, rng_seed, config, dev, precision, channels_last, progress, on_epoch)
        run.report_at(reports, on_report)
        outcome = run.loop()
        scores = None if outcome.reason or not config.scores else run.scores()
        if scores is not None:
            test_error = scores["error"]
        else:
            test_error = math.nan if outcome.reason else evaluate(run.model, run.test_batches, run.dtype)
        used_threads = torch.get_num_threads() if dev.type == "cpu" else None
    return TrainResult(
        status="diverged" if outcome.reason else "ok",
        reason=outcome.reason,
        test_error=test_error,
        train_loss=math.nan if outcome.reason else outcome.train_loss,
        epochs=outcome.steps / run.steps_per_epoch,
        seconds=outcome.seconds,
        images_per_second=outcome.images / outcome.seconds if outcome.seconds > 0 else 0.0,
        device=str(dev),
        precision=precision,
        flops=cx["flops"],
        params=cx["params"],
        channels_last=channels_last,
        threads=used_threads,
        steps=outcome.steps,
        images=outcome.images,
        seed=seed,
        total_seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - cpu0,
        device_name=device_name(dev),
        scores=scores,
    )


@dataclass(frozen=True)
class _Outcome:
    steps: int
    images: int
    seconds: float
    train_loss: float
    reason: str | None


class _Run:
    """The state of one run: model, optimizer, batches, clock."""

    def __init__(
        self,
        spec: NetSpec,
        data: Dataset,
        budget: Budget,
        seed: int,
        config: TrainConfig,
        dev: torch.device,
        precision: str,
        channels_last: bool,
        progress: bool,
        on_epoch: EpochHook | None,
    ) -> None:
        self.data, self.budget, self.config, self.dev = data, budget, config, dev
        self.on_epoch, self.progress = on_epoch, progress
        self.dtype = autocast_dtype(precision)
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        model = Network(spec)
        if config.init_by_module:  # common random numbers: shared modules start equal (train/crn.py)
            init_by_module(model, seed)
        self.model: nn.Module = model.to(dev, memory_format=memory_format)
        self.optimizer = make_optimizer(self.model, config)
        self.scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None
        self.criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        self.ema = _ema_of(self.model, config.ema) if config.ema > 0 else None
        flip = self.flip = data.flip if config.flip == "auto" else config.flip == "on"
        self.train_batches = TrainBatches(
            data.train_x,
            data.train_y,
            batch_size=config.batch_size,
            mean=data.mean,
            std=data.std,
            generator=torch.Generator().manual_seed(seed),
            padding=config.crop_padding,
            flip=flip,
            channels_last=channels_last,
            device=dev,
        )
        self.test_batches = EvalBatches(
            data.test_x,
            data.test_y,
            batch_size=config.eval_batch_size,
            mean=data.mean,
            std=data.std,
            channels_last=channels_last,
            device=dev,
        )
        self.steps_per_epoch = len(self.train_batches)
        self.total_steps = math.ceil(budget.epochs * self.steps_per_epoch) if budget.epochs is not None else None
        self.check_every = 1 if dev.type == "cpu" else CUDA_CHECK_EVERY
        self.last_errors: list[float] = []
        self.eval_paused = self.eval_paused_cpu = 0.0
        self.eval_steps: set[int] = set()
        if config.eval_last > 1 and self.total_steps is not None:
            gap = LAST_EVAL_SPACING * self.total_steps
            self.eval_steps = {self.total_steps - round(i * gap) for i in range(1, config.eval_last)} - {0}

    def report_at(self, reports: int, hook: ReportHook | None) -> None:
        """Report the test error to ``hook`` at the first ``reports - 1`` of ``reports`` even points."""
        self.on_report = hook
        self.report_steps: dict[int, int] = {}
        if hook is not None and reports > 1 and self.total_steps is not None:
            for i in range(1, reports):
                self.report_steps.setdefault(max(1, round(i * self.total_steps / reports)), i)

    def _report(self, step: int, recent: deque[float]) -> float:
        """Evaluate and call the report hook at ``step``; the seconds it took (the clock's pause)."""
        e0, c0 = time.perf_counter(), time.process_time()
        error = evaluate(self.model, self.test_batches, self.dtype)
        self.model.train()
        self.eval_paused_cpu += time.process_time() - c0
        info = {
            "steps": step,
            "epochs": step / self.steps_per_epoch,
            "train_loss": recent[-1] if recent else math.nan,
            "test_error": error,
        }
        self.on_report(self.report_steps[step], info)  # type: ignore[misc]
        return time.perf_counter() - e0

    def scores(self) -> dict[str, float]:
        """Every score of the trained run (``TrainConfig.scores``); the model is left in eval mode."""
        t0, cpu0 = time.perf_counter(), time.process_time()
        out = evaluate_scores(self.model, self.test_batches, self.dtype, flip=self.flip)
        if self.ema is not None:
            ema = evaluate_scores(self.ema.module, self.test_batches, self.dtype, flip=False)
            out["ema_error"], out["ema_loss"] = ema["error"], ema["loss"]
        if self.eval_steps:
            errors = [*self.last_errors, out["error"]]
            out["last_error"] = sum(errors) / len(errors)
        out["eval_seconds"] = time.perf_counter() - t0 + self.eval_paused
        out["eval_cpu_seconds"] = time.process_time() - cpu0 + self.eval_paused_cpu
        return out

    # -- clock -----------------------------------------------------------------------------
    def _progress(self, elapsed: float, step: int) -> float:
        if self.total_steps is not None:
            return step / self.total_steps
        return elapsed / self.budget.seconds

    def _finished(self, elapsed: float, step: int) -> bool:
        if self.total_steps is not None:
            return step >= self.total_steps
        return step > 0 and elapsed >= self.budget.seconds

    # -- one step --------------------------------------------------------------------------
    def _step(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.dev.type, dtype=self.dtype or torch.bfloat16, enabled=self.dtype is not None):
            loss = self.criterion(self.model(xb), yb)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        return loss.detach()

    # -- the loop --------------------------------------------------------------------------
    def loop(self) -> _Outcome:
        recent: deque[float] = deque(maxlen=max(1, self.steps_per_epoch))  # last epoch's worth of losses
        this_epoch: list[float] = []
        pending: list[torch.Tensor] = []
        step = images = epoch = 0
        lr = 0.0
        paused = 0.0  # evaluation time, not counted against the budget
        bar = TrainBar(self.budget, self.total_steps, self.progress)
        start = time.perf_counter()

        def elapsed() -> float:
            return time.perf_counter() - start - paused

        def flush() -> str | None:
            values = torch.stack(pending).float().tolist() if len(pending) > 1 else [float(pending[0])]
            first_step = step - len(values) + 1
            pending.clear()
            for i, v in enumerate(values):
                why = divergence(v, self.data.num_classes)
                if why:
                    return f"{why} at step {first_step + i} (epoch {epoch}, lr {lr:.4g})"
                recent.append(v)
                this_epoch.append(v)
            return None

        try:
            while not self._finished(elapsed(), step):
                epoch += 1
                epoch_start_step = step
                this_epoch.clear()
                for xb, yb in self.train_batches:
                    t = elapsed()
                    if self._finished(t, step):
                        break
                    lr = lr_at(self.config.schedule, self._progress(t, step), self.config.lr, self.config.warmup)
                    set_lr(self.optimizer, lr)
                    pending.append(self._step(xb, yb))
                    step += 1
                    images += int(yb.shape[0])
                    if step in self.eval_steps:
                        e0, c0 = time.perf_counter(), time.process_time()
                        self.last_errors.append(evaluate(self.model, self.test_batches, self.dtype))
                        self.model.train()
                        paused += time.perf_counter() - e0
                        self.eval_paused_cpu += time.process_time() - c0
                    if len(pending) >= self.check_every or step in self.report_steps:
                        reason = flush()
                        if reason:
                            return _Outcome(step, images, elapsed(), math.nan, reason)
                    if step in self.report_steps:  # after the divergence check: a curve of finite losses
                        paused += self._report(step, recent)
                    bar.update(step, elapsed(), epoch, recent, images)
                if pending:
                    reason = flush()
                    if reason:
                        return _Outcome(step, images, elapsed(), math.nan, reason)
                if self.dev.type == "cuda":
                    torch.cuda.synchronize(self.dev)
                if step > epoch_start_step and self.on_epoch is not None:
                    t = elapsed()
                    info = {
                        "epoch": epoch,
                        "epochs": step / self.steps_per_epoch,
                        "steps": step,
                        "train_loss": _mean(this_epoch),
                        "lr": lr,
                        "seconds": t,
                        "images_per_second": images / t if t > 0 else 0.0,
                    }
                    if self.config.eval_each_epoch:
                        e0 = time.perf_counter()
                        info["test_error"] = evaluate(self.model, self.test_batches, self.dtype)
                        self.model.train()
                        paused += time.perf_counter() - e0
                    self.on_epoch(epoch, info)
                self.model.train()
        finally:
            bar.close()
            self.eval_paused = paused
        return _Outcome(step, images, elapsed(), _mean(list(recent)), None)


def _ema_of(model: nn.Module, decay: float) -> nn.Module:
    """An exponential moving average of ``model``'s weights and BN statistics (updated per step)."""
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def divergence(loss: float, num_classes: int) -> str | None:
    """Why a training loss means the run diverged (non-finite, or exploded), or None."""
    if not math.isfinite(loss):
        return f"training loss became {loss}"
    limit = EXPLODED_LOSS * math.log(max(num_classes, 2))
    if loss > limit:
        return f"training loss exploded to {loss:.3g} (above {limit:.0f})"
    return None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan
