"""Short, reproducible training runs: ``train(spec, data, Budget(...), seed) -> TrainResult``.

The recipe is a frozen :class:`TrainConfig` (defaults: see :mod:`designspace.train.config`);
the budget an epoch count or a time limit (:class:`Budget`); device, precision (bf16/fp16 AMP),
channels_last and threads are chosen per machine (:mod:`designspace.train.device`).
"""

from designspace.train.config import Budget, TrainConfig
from designspace.train.device import cpu_has_native_bf16, select_device, select_precision
from designspace.train.evaluate import evaluate
from designspace.train.result import TrainResult
from designspace.train.schedules import SCHEDULES
from designspace.train.trainer import retarget, train

__all__ = [
    "SCHEDULES",
    "Budget",
    "TrainConfig",
    "TrainResult",
    "cpu_has_native_bf16",
    "evaluate",
    "retarget",
    "select_device",
    "select_precision",
    "train",
]
