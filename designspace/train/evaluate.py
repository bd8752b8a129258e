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


def evaluate_scores(model: nn.Module, batches: Batches, dtype: torch.dtype | None, *, flip: bool) -> dict[str, float]:
    """``error`` (%), ``loss`` (mean cross-entropy, no label smoothing) and, with ``flip``,
    ``flip_error``: the error of the summed logits of each image and its mirror image."""
    model.eval()
    wrong = wrong_flip = loss = None
    total = 0
    with torch.inference_mode():
        for xb, yb in batches:
            with torch.autocast(xb.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                logits = model(xb).float()
                mirrored = model(torch.flip(xb, dims=(3,))).float() if flip else None
            batch_loss = nn.functional.cross_entropy(logits, yb, reduction="sum")
            miss = (logits.argmax(dim=1) != yb).sum()
            loss = batch_loss if loss is None else loss + batch_loss
            wrong = miss if wrong is None else wrong + miss
            if mirrored is not None:
                miss_flip = ((logits + mirrored).argmax(dim=1) != yb).sum()
                wrong_flip = miss_flip if wrong_flip is None else wrong_flip + miss_flip
            total += int(yb.shape[0])
    if wrong is None or loss is None or total == 0:
        raise ValueError("evaluate: the split is empty")
    out = {"error": 100.0 * int(wrong) / total, "loss": float(loss) / total}
    if wrong_flip is not None:
        out["flip_error"] = 100.0 * int(wrong_flip) / total
    return out
