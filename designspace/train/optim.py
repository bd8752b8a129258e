"""The optimizer: SGD with momentum, weight decay on weights only (not on BN parameters or biases)."""

from __future__ import annotations

import torch
from torch import nn

from designspace.train.config import TrainConfig


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, object]]:
    """Conv/linear weights (ndim > 1) decay; BN scales/shifts and biases (ndim <= 1) do not."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.SGD:
    return torch.optim.SGD(
        param_groups(model, config.weight_decay),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
    )


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
