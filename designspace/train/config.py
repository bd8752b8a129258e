"""The training recipe (:class:`TrainConfig`) and budget (:class:`Budget`): frozen, JSON-able.

Default recipe, for short budgets on CIFAR-sized data (a few epochs to a few dozen): SGD,
momentum 0.9, Nesterov, batch 128, peak lr 0.8, one-cycle (linear warm-up over the first 20% of
the budget from 0.04 x peak, then linear decay to 0), weight decay 1e-4 on conv/linear weights
only (not on BN parameters or biases), label smoothing 0.1, random crop (zero padding 4) +
horizontal flip, bf16 autocast and channels_last where the device supports them.

Where these values come from (the learning-rate and weight-decay measurements that chose them):
``docs/training.md``, section "Recipe".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from designspace.train.schedules import SCHEDULES
from designspace.ui import checks

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
SWITCHES = ("auto", "on", "off")


@dataclass(frozen=True)
class TrainConfig:
    """How to train (everything but the budget, seed and device).

    ``lr`` is the peak learning rate for ``batch_size``; ``warmup`` the fraction of the budget
    spent ramping up to it; ``schedule`` one of ``SCHEDULES`` (onecycle, cosine, constant).
    ``precision``: auto (bf16 on GPUs that support it, else fp16; bf16 on CPUs with native bf16,
    else fp32) | fp32 | bf16 | fp16 (CUDA only). ``channels_last``: auto (on) | on | off.
    ``crop_padding`` 0 turns off the random crop; ``flip`` auto follows the data set (no flips for
    digits). ``eval_each_epoch`` adds the test error to every ``on_epoch`` report (costs a pass
    over the test set per epoch, outside the time budget).

    Calibration knobs, all off by default (results made without them stay reproducible):
    ``common_seed`` (an integer) seeds the run's RNG -- initialization, data order, augmentation --
    in place of the run's ``seed``, so every model of a study sees the same data order (common
    random numbers). ``ema`` (a decay in [0, 1), 0 = off) keeps an exponential moving average of
    the weights and BN statistics. ``scores`` adds ``TrainResult.scores``: the final weights' test
    error and loss, the error with flip test-time augmentation, the EMA weights' error and loss
    (with ``ema``) and, with ``eval_last`` = k > 1 (epoch budgets), the mean test error of k
    evaluations 5% of the budget apart ending with the last step. These cost evaluation time only,
    outside the budget, so one run measures every score. ``init_by_module`` seeds each module's
    initial weights from the run's seed and the module's name (:mod:`designspace.train.crn`): two
    models trained with one seed share the weights of every module they both have (paired studies).
    """

    lr: float = 0.8
    batch_size: int = 128
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    schedule: str = "onecycle"
    warmup: float = 0.2
    precision: str = "auto"
    channels_last: str = "auto"
    crop_padding: int = 4
    flip: str = "auto"
    eval_batch_size: int = 1000
    eval_each_epoch: bool = False
    common_seed: int | None = None
    ema: float = 0.0
    scores: bool = False
    eval_last: int = 0
    init_by_module: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "lr", checks.number("lr", self.lr, low=0, open_low=True))
        checks.integer("batch_size", self.batch_size, low=1)
        set_(self, "momentum", checks.number("momentum", self.momentum, low=0, high=1))
        set_(self, "weight_decay", checks.number("weight_decay", self.weight_decay, low=0))
        set_(self, "label_smoothing", checks.number("label_smoothing", self.label_smoothing, low=0, high=1))
        set_(self, "warmup", checks.number("warmup", self.warmup, low=0, high=1))
        for name in ("nesterov", "eval_each_epoch", "scores", "init_by_module"):
            checks.flag(name, getattr(self, name))
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        checks.choice("schedule", self.schedule, SCHEDULES.names())
        checks.choice("precision", self.precision, PRECISIONS)
        checks.choice("channels_last", self.channels_last, SWITCHES)
        checks.choice("flip", self.flip, SWITCHES)
        checks.integer("crop_padding", self.crop_padding, low=0)
        checks.integer("eval_batch_size", self.eval_batch_size, low=1)
        if self.common_seed is not None:
            checks.integer("common_seed", self.common_seed, low=0)
        set_(self, "ema", checks.number("ema", self.ema, low=0))
        if self.ema >= 1:
            raise ValueError(f"ema={self.ema!r}: must be a decay in [0, 1) (0 = off)")
        checks.integer("eval_last", self.eval_last, low=0)
        if (self.eval_last > 1 or self.ema > 0) and not self.scores:
            raise ValueError("ema and eval_last are scores: set scores=true to measure them")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        checks.keys(cls.__name__, data, {f.name for f in fields(cls)})
        return cls(**data)


@dataclass(frozen=True)
class Budget:
    """Exactly one of ``epochs`` (may be fractional: 0.5 = half the training set) or ``seconds``
    (wall-clock training time; evaluation is not counted)."""

    epochs: float | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if (self.epochs is None) == (self.seconds is None):
            raise ValueError("budget: give exactly one of epochs or seconds")
        for name in ("epochs", "seconds"):
            value = getattr(self, name)
            if value is not None:
                value = checks.number(name, value, low=0, open_low=True)
                object.__setattr__(self, name, int(value) if value == int(value) and name == "epochs" else value)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Budget:
        checks.keys(cls.__name__, data, {f.name for f in fields(cls)})
        return cls(**data)

    def __str__(self) -> str:
        return f"{self.epochs:g} epochs" if self.epochs is not None else f"{self.seconds:g} s"
