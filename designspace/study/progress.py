"""A running study's progress, read from its storage: a bar on a terminal, timestamped lines in a log file.

``study run`` (:mod:`designspace.study.runner`) shows one of them while its workers train: trials with
a result / budget, done, failed, running, best error, time left.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from designspace.study.join import StudyHandle
from designspace.study.logline import RESULT_EVENT, duration, stamped
from designspace.study.view import Watch

__all__ = ["Bar", "Lines", "progress_display"]


class Bar:
    """The study's progress on a terminal: a tqdm bar fed from the storage."""

    def __init__(self, handle: StudyHandle, enabled: bool) -> None:
        from tqdm import tqdm

        self.look = Watch(handle, self.write)
        ledger = self.look.ledger()
        self.handle = handle
        self.bar = tqdm(
            total=ledger.budget,
            initial=len(ledger.settled),
            desc=handle.name,
            unit="trial",
            file=sys.stderr,
            disable=not enabled,
            dynamic_ncols=True,
            smoothing=0,
            bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| [{elapsed}<{remaining}{postfix}]",
        )

    def update(self) -> Any:
        ledger = self.look.ledger()
        self.bar.total = ledger.budget
        self.bar.n = len(ledger.settled)
        self.bar.set_postfix_str(_counts(ledger), refresh=False)
        self.bar.refresh()
        return ledger

    def write(self, text: str) -> None:
        self.bar.write(stamped(text), file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


class Lines:
    """The study's progress in a log file (stderr not a terminal): one timestamped line per
    finished trial, with its result, the counts and the time left; no carriage returns."""

    def __init__(self, handle: StudyHandle) -> None:
        self.look = Watch(handle, self.write_raw)
        ledger = self.look.ledger()
        self.handle = handle
        self.seen = set(ledger.settled)  # results from before this run are not repeated
        self.start = time.monotonic()
        self.start_settled = len(ledger.settled)

    def update(self) -> Any:
        ledger = self.look.ledger()
        new = sorted((t.number, slot) for slot, t in ledger.settled.items() if slot not in self.seen)
        for number, slot in new:
            self.seen.add(slot)
            t = ledger.settled[slot]
            self.write_raw(
                f"{self.handle.name} {len(self.seen)}/{ledger.budget}: {_trial_line(t, number, slot)}"
                f" | {_counts(ledger)} | {self._eta(ledger)}"
            )
        return ledger

    def _eta(self, ledger: Any) -> str:
        ran = len(ledger.settled) - self.start_settled
        left = ledger.budget - len(ledger.settled)
        if left <= 0:
            return f"finished in {duration(time.monotonic() - self.start)}"
        if ran <= 0:
            return "eta -"
        return f"eta {duration((time.monotonic() - self.start) / ran * left)}"

    def write(self, text: str) -> None:
        if not RESULT_EVENT.match(text.partition(": ")[2]):  # the per-trial line says it
            self.write_raw(text)

    @staticmethod
    def write_raw(text: str) -> None:
        print(stamped(text), file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def _counts(ledger: Any) -> str:
    from optuna.trial import TrialState

    settled = list(ledger.settled.values())
    errors = [t.value for t in settled if t.state == TrialState.COMPLETE]
    failed = sum(1 for t in settled if t.state == TrialState.FAIL)
    best = f"{min(errors):.2f}%" if errors else "-"
    return f"done {len(errors)} failed {failed} running {len(ledger.running())} best {best}"


def _trial_line(t: Any, number: int, slot: int) -> str:
    took = ""
    if t.datetime_start is not None and t.datetime_complete is not None:
        took = f" in {duration((t.datetime_complete - t.datetime_start).total_seconds())}"
    if t.state.name == "COMPLETE":
        return f"trial {number} (slot {slot}) COMPLETE error {t.value:.2f}%{took}"
    reason = t.user_attrs.get("reason", "")
    return f"trial {number} (slot {slot}) {t.state.name}{took}" + (f": {reason}" if reason else "")


def progress_display(handle: StudyHandle, enabled: bool) -> Bar | Lines:
    """A bar on a terminal; timestamped lines in a log file; only worker messages when disabled."""
    return Lines(handle) if enabled and not sys.stderr.isatty() else Bar(handle, enabled)
