"""The progress bar of one training run (tqdm on stderr): steps or seconds, epoch, loss, images/s."""

from __future__ import annotations

import math
import sys
from collections import deque

from tqdm import tqdm

from designspace.train.config import Budget

__all__ = ["TrainBar"]


class TrainBar:
    """tqdm on stderr: steps for an epoch budget, seconds for a time budget; epoch, loss, img/s."""

    def __init__(self, budget: Budget, total_steps: int | None, enabled: bool) -> None:
        self.by_time = total_steps is None
        self.bar = (
            tqdm(
                total=float(budget.seconds) if self.by_time else total_steps,
                unit="s" if self.by_time else "step",
                file=sys.stderr,
                dynamic_ncols=True,
                leave=False,
                bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}{postfix}]" if self.by_time else None,
            )
            if enabled
            else None
        )
        self.last = 0.0

    def update(self, step: int, elapsed: float, epoch: int, recent: deque[float], images: int) -> None:
        if self.bar is None or (elapsed - self.last < 0.5 and step > 1):
            return
        self.last = elapsed
        if self.by_time:
            self.bar.n = min(elapsed, self.bar.total)
        else:
            self.bar.n = step
        loss = recent[-1] if recent else math.nan
        self.bar.set_description(f"epoch {epoch}", refresh=False)
        self.bar.set_postfix_str(f"loss {loss:.3f}, {images / max(elapsed, 1e-9):.0f} img/s", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
