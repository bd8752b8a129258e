"""How a trial ends: the :class:`Outcome` an objective returns, and what an error under it means.

The contract between the worker (:mod:`designspace.study.worker`), which owns a trial's life cycle,
and the objectives (:mod:`designspace.study.training`, :mod:`designspace.study.paired`), which train:
an objective is any callable ``(trial: optuna.Trial, slot: int) -> Outcome``. An error in training is
the trial's result (a FAIL outcome with a reason), except a fault of the device itself
(:class:`DeviceFault`), after which this process can train no more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from designspace.ui.messages import error_text

if TYPE_CHECKING:
    import optuna

__all__ = [
    "RESULT_KEYS",
    "DeviceFault",
    "Objective",
    "Outcome",
    "combined",
    "error_text",  # its home: designspace.ui.messages
    "free_cuda",
    "is_device_fault",
    "is_oom",
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


def is_oom(e: BaseException) -> bool:
    """Out of memory on the device (torch's CUDA OOM, or a RuntimeError saying so)."""
    try:
        import torch

        if isinstance(e, torch.cuda.OutOfMemoryError):
            return True
    except (ImportError, AttributeError):
        pass
    return isinstance(e, RuntimeError) and "out of memory" in str(e).lower()


def is_device_fault(e: BaseException) -> bool:
    """A CUDA error other than out-of-memory: it poisons the process's CUDA context."""
    try:
        import torch

        accelerator_error = getattr(torch, "AcceleratorError", None)  # torch >= 2.8
        if accelerator_error is not None and isinstance(e, accelerator_error):
            return True
    except ImportError:
        pass
    return isinstance(e, RuntimeError) and "CUDA error" in str(e)


def free_cuda() -> None:
    """Give the CUDA cache back after an out-of-memory trial (nothing without CUDA)."""
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001
        pass
