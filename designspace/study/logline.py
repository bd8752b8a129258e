"""Lines for logs: a local timestamp in front, so a log file says when each thing happened."""

from __future__ import annotations

import re
import time

#: what a worker says when a trial has its result (the runner's own per-trial line replaces it in logs)
RESULT_EVENT = re.compile(r"^trial \d+ \(slot \d+\) (COMPLETE|FAIL)\b")


def stamped(text: str, now: float | None = None) -> str:
    """``2026-12-02 07:31:05 text`` (local time)."""
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(now))} {text}"


def duration(seconds: float) -> str:
    """``47s``, ``3m05s``, ``2h07m``."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"
