"""Top-1 error of a model on a split served by :class:`designspace.data.EvalBatches`."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def evaluate(model: nn.Module, batches: Batches, dtype: torch.dtype | None) -> float:
    """Top-1 error in percent (the model is put in eval mode and left in it)."""
    model.eval()
    wrong = None
    total = 0
    with torch.inference_mode():
        for xb, yb in batches:
            with torch.autocast(xb.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                pred = model(xb).argmax(dim=1)
            miss = (pred != yb).sum()
            wrong = miss if wrong is None else wrong + miss
            total += int(yb.shape[0])
    if wrong is None or total == 0:
        raise ValueError("evaluate: the split is empty")
    return 100.0 * int(wrong) / total
