"""What any worker repairs in passing: trials whose worker went silent (lost, re-queued), slots
left without a trial, and WAITING trials of slots that already have a result."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from designspace.study.claims import finish
from designspace.study.lease import silence
from designspace.study.objective import Outcome, slot_params
from designspace.study.slots import (
    DUPLICATE,
    FIXED,
    LOST,
    MAX_LOST,
    OUTCOME,
    RESULT,
    SILENT,
    Ledger,
    outcome_of,
    slot_of,
)

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

__all__ = ["Repairs", "last_loss"]


def last_loss(ledger: Ledger, slot: int) -> bool:
    """True when one more loss of ``slot``'s trial makes ``MAX_LOST``: the model's result is FAIL."""
    return sum(1 for o in ledger.history.get(slot, []) if outcome_of(o) == LOST) + 1 >= MAX_LOST


class Repairs:
    """The repairs of :class:`designspace.study.worker.Worker` (a mix-in: it uses the worker's
    ``handle``, ``config``, ``storage``, ``report``, ``on_event``, ``poll``, ``_end`` and ``_ledger``)."""

    handle: Any
    config: Any
    storage: Any
    report: Any
    poll: float
    #: monotonic time before which silence is not held against anyone (just back from an outage)
    _quiet_until: float = 0.0
    _missing_since: dict[int, float]

    on_event: Callable[[str], None]
    _ledger: Callable[..., Ledger]
    _end: Callable[..., bool]

    def _fail_stale(self, ledger: Ledger) -> bool:
        """Mark RUNNING trials without a recent heartbeat lost and re-queue their slots.

        A worker just back from a storage outage waits one grace period first: the others could
        not beat while the storage was away either.
        """
        from optuna.trial import TrialState

        if time.monotonic() < self._quiet_until:
            return False
        now, grace = time.time(), self.config.grace_period
        marked = False
        for t in ledger.running():
            silent = silence(t, now)
            if silent <= grace:
                continue
            slot = slot_of(t)
            # A model whose worker dies every time (the kernel's OOM killer...) is a result: FAIL.
            final = last_loss(ledger, slot)  # type: ignore[arg-type]
            why = {"reason": f"worker lost {MAX_LOST} times running this model (killed: out of host memory?)"}
            system = {OUTCOME: RESULT if final else LOST, SILENT: round(silent)}
            if not finish(self.storage, t._trial_id, TrialState.FAIL, None, why if final else {}, system):
                continue  # it finished, or another worker marked it first
            marked = True
            self.report.lost_marked += 1
            others = [o for o in ledger.live.get(slot, []) if o.number != t.number]  # type: ignore[arg-type]
            requeue = not final and slot not in ledger.settled and not others
            then = "re-queued" if requeue else "not re-queued" + (" (failed)" if final else "")
            self.on_event(f"trial {t.number} (slot {slot}) lost: no heartbeat for {silent:.0f}s; {then}")
            if requeue:
                self._requeue(slot, t)  # type: ignore[arg-type]
        return marked

    def _requeue(self, slot: int, previous: FrozenTrial) -> None:
        fixed = self.config.mode in ("population", "paired")  # a paired slot keeps its pair
        params = previous.system_attrs.get(FIXED) if fixed else {}
        if fixed and not isinstance(params, dict):
            params = self._ledger().params_for(slot)
        self.handle.enqueue(slot, params or {}, **{"designspace:retry_of": previous.number})

    def _drop_orphans(self, ledger: Ledger) -> None:
        for t in ledger.orphans():
            self._end(t, Outcome("FAIL", reason=f"duplicate: slot {slot_of(t)} has a result"), DUPLICATE)

    def _repair(self, ledger: Ledger) -> None:
        """Give slots that have no trial at all a new one, once they stayed so for a while.

        This only happens after a crash between marking a trial lost and re-queueing it, or
        while the study's creator died enqueueing. Two workers repairing at once may enqueue a
        slot twice; the second claim of it then gives way (:meth:`Ledger.keeps`).
        """
        now = time.monotonic()
        missing = set(ledger.missing)
        self._missing_since = {k: self._missing_since.get(k, now) for k in missing}
        if not missing or self.handle.queued() < ledger.budget:
            return
        settle = max(2.0, 2 * self.poll)
        due = sorted(k for k, since in self._missing_since.items() if now - since >= settle)
        if not due:
            return
        fresh = None
        for slot in due:
            params = ledger.params_for(slot)
            if params is None and self.config.mode in ("population", "paired"):
                fresh = fresh if fresh is not None else slot_params(self.config, ledger.budget)
                params = fresh[slot]
            self.handle.enqueue(slot, params or {}, **{REPAIRED: True})
            self._missing_since.pop(slot, None)
        self.on_event(f"re-queued slot(s) {due} that had no trial")


#: system attribute of a trial a repair enqueued (its claim is checked again after claiming)
REPAIRED = "designspace:repaired"
