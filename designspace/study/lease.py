"""A running trial's lease: the heartbeat its worker writes, and when its silence makes it lost."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from designspace.study.outage import is_unreachable
from designspace.study.slots import HEARTBEAT, last_sign_of_life

if TYPE_CHECKING:
    from optuna.storages import BaseStorage
    from optuna.trial import FrozenTrial

__all__ = ["Heartbeat", "silence"]

log = logging.getLogger("designspace.study")


def silence(trial: FrozenTrial, now: float | None = None) -> float:
    """Seconds since a running trial's last heartbeat (its start when it has none yet)."""
    return (time.time() if now is None else now) - last_sign_of_life(trial)


class Heartbeat:
    """A thread writing ``designspace:heartbeat`` = now into a running trial every ``interval`` s.

    The claim itself stamps the trial's start, which counts as its first sign of life, so the
    first beat is written one ``interval`` after the claim (a trial shorter than that writes none).
    """

    def __init__(self, storage: BaseStorage, trial_id: int, interval: float, *, beat_now: bool = False) -> None:
        self.storage, self.trial_id, self.interval = storage, trial_id, interval
        self.beat_now = beat_now
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{trial_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        if self.beat_now:
            self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def beat(self) -> bool:
        from optuna.exceptions import UpdateFinishedTrialError

        try:
            self.storage.set_trial_system_attr(self.trial_id, HEARTBEAT, time.time())
        except UpdateFinishedTrialError:
            return False  # finished (possibly marked lost by another worker): nothing to keep alive
        except Exception as e:  # noqa: BLE001 - a storage hiccup; the next beat may get through
            (log.debug if is_unreachable(e) else log.warning)("heartbeat of trial id %s failed: %s", self.trial_id, e)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if not self.beat():
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()
