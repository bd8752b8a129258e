"""The outcome of one training run."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

STATUSES = ("ok", "diverged")


@dataclass(frozen=True)
class TrainResult:
    """What ``train`` returns. ``status`` is ``ok`` or ``diverged`` (then ``reason`` says why and
        ``test_error``/``train_loss`` are NaN; ``to_dict`` writes them as null).

        ``test_error`` is top-1 error in percent on the (possibly subset) test split; ``train_loss``
        the mean training loss over the last epoch's worth of steps; ``epochs`` the epochs actually
        run, in steps / steps per epoch (an epoch is ``len(train) // batch_size`` full batches;
        fractional under a time budget); ``images`` the training images seen; ``seconds`` the training-loop
        wall time (what a time budget limits) and ``total_seconds`` everything, set-up and evaluation
        included; ``cpu_seconds`` the process's CPU time over the whole run (core-seconds: unlike wall
    time, it does not grow when other processes share the cores); ``images_per_second`` training
    images per loop second. ``flops``/``params`` are
        the model's at the data's resolution (``designspace.complexity``). ``device_name`` is the
        CPU model (or GPU name) it ran on. ``scores`` (with ``TrainConfig.scores``): ``error``,
        ``loss`` (cross-entropy without label smoothing), ``flip_error`` (logits of the image and its
        mirror image summed), ``ema_error``/``ema_loss`` (with ``ema``), ``last_error`` (mean of the
        last ``eval_last`` evaluations), ``eval_seconds`` and ``eval_cpu_seconds`` (what measuring
        them cost, wall and CPU).
    """

    status: str
    reason: str | None
    test_error: float
    train_loss: float
    epochs: float
    seconds: float
    images_per_second: float
    device: str
    precision: str
    flops: int
    params: int
    channels_last: bool = False
    threads: int | None = None
    steps: int = 0
    images: int = 0
    seed: int = 0
    total_seconds: float = 0.0
    cpu_seconds: float = 0.0
    device_name: str = ""
    scores: dict[str, float] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (non-finite numbers become None)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainResult:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"TrainResult: unknown key {unknown[0]!r}")
        values = dict(data)
        for key in ("test_error", "train_loss"):
            if values.get(key) is None:
                values[key] = math.nan
        return cls(**values)
