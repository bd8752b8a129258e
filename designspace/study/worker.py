"""One worker: claim a WAITING trial, run it with a heartbeat, store its outcome; until the budget is met.

Any number of workers on any number of machines run this loop against one storage and cooperate
without a coordinator (see :mod:`designspace.study.slots` for the bookkeeping):

* claiming is the storage's atomic WAITING -> RUNNING transition, so no two workers run one trial,
  and no worker ever asks the sampler for a trial outside the budget;
* a running trial's worker writes a heartbeat (:mod:`designspace.study.lease`); a RUNNING trial
  silent for ``grace_period`` seconds is marked FAIL (outcome ``lost``) by whichever worker notices
  first, and that worker re-queues its slot (:mod:`designspace.study.repair`);
* a worker that finds nothing to claim waits (with back-off) while other trials run (one of them
  may be lost and come back), and stops when every slot has its result;
* a storage outage is waited out (:mod:`designspace.study.outage`): a result reached meanwhile is
  stored once the storage is back, exactly once.

The worker reads only what changed since its last look (:mod:`designspace.study.view`) and
writes a claim and an end in one transaction each (:mod:`designspace.study.claims`).
"""

from __future__ import annotations

import copy
import logging
import math
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from designspace.study.claims import claim, claim_order, ended, finish, primed_trial
from designspace.study.config import StudyConfig
from designspace.study.join import StudyHandle, join_study, open_existing
from designspace.study.lease import Heartbeat
from designspace.study.objective import make_objective, slot_params
from designspace.study.outage import Outage, cause_of, is_unreachable
from designspace.study.outcome import DeviceFault, Objective, Outcome, error_text
from designspace.study.proposal import propose
from designspace.study.repair import REPAIRED, Repairs, last_loss
from designspace.study.sampling import make_sampler, mix_seed
from designspace.study.signals import signals_deferred, stop_if_signalled, stop_on_signals, stop_requested
from designspace.study.slots import DUPLICATE, FIXED, INTERRUPTED, LOST, MAX_LOST, OUTCOME, RESULT, Ledger, slot_of
from designspace.study.storage import StorageURL
from designspace.study.version import code_version
from designspace.study.view import TrialView

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

__all__ = ["Worker", "WorkerReport", "make_sampler", "open_study", "run_worker", "stop_on_signals"]

log = logging.getLogger("designspace.study")

#: system attribute: the worker that ended a trial (tells its own lost commit from another's mark)
ENDED_BY = "designspace:ended_by"


@dataclass
class WorkerReport:
    """What one worker did."""

    ran: int = 0  # trials it claimed and ran to an outcome
    results: int = 0  # of which settled their slot (COMPLETE or a FAIL result)
    lost_marked: int = 0  # other workers' trials it found lost and re-queued
    interrupted: bool = False
    dropped: int = 0  # trials taken from it (marked lost) while it ran them


class _Taken(Exception):
    """The claimed trial was finished by another worker (marked lost) while this one ran it."""


class _StorageLost(Exception):
    """The storage went away under the objective (not the model's fault)."""


class Worker(Repairs):
    def __init__(
        self,
        handle: StudyHandle,
        objective: Objective,
        *,
        poll: float = 1.0,
        max_trials: int | None = None,
        on_event: Callable[[str], None] | None = None,
        patience: float | None = None,
    ) -> None:
        self.handle = handle
        self.config = handle.config
        self.storage = handle.storage
        self.objective = objective
        self.poll = poll
        self.max_trials = max_trials
        self.on_event = on_event or (lambda msg: log.info(msg))
        self.report = WorkerReport()
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.view = TrialView(handle)
        self.outage = Outage(self.on_event, patience)
        self._missing_since: dict[int, float] = {}
        self._current: FrozenTrial | None = None  # the claimed trial
        self._unsure: FrozenTrial | None = None  # a claim whose commit an outage cut off
        self._wait = poll
        self._distributions: dict[str, Any] = {}  # of the study's parameters, as trials suggest them
        self._max_wait = max(poll, min(8 * poll, self.config.grace_period / 4, 10.0))

    def _ledger(self, **kw: Any) -> Ledger:
        return self.view.ledger(**kw)

    # -- the loop -----------------------------------------------------------------------
    def run(self) -> WorkerReport:
        try:
            while self.max_trials is None or self.report.ran < self.max_trials:
                stop_if_signalled()
                try:
                    if not self._step():
                        break
                except Exception as e:
                    if stop_requested() or not is_unreachable(e):
                        raise
                    self.outage.wait(e)  # gives up (StorageError) after its patience
                    continue
                self._back()
        except KeyboardInterrupt as e:
            self._abandon(f"interrupted ({e.args[0]})" if e.args else "interrupted")
            raise
        except DeviceFault as e:
            self._device_fault(str(e))
            raise
        except Exception as e:
            if not stop_requested():
                raise
            self._abandon(f"interrupted ({stop_requested()})")  # the interrupt, under another name
            raise KeyboardInterrupt(stop_requested()) from e
        return self.report

    def _step(self) -> bool:
        """One look at the study: repair, claim and run a trial, or wait; False when it is done."""
        ledger = self.view.ledger()
        if ledger.done:
            ledger = self.view.ledger(budget=True)  # the budget may have been raised
            if ledger.done:
                self._drop_orphans(ledger)
                return False
        if self._fail_stale(ledger):
            return True
        self._drop_orphans(ledger)
        with signals_deferred():  # a Ctrl-C mid-claim must find the claimed trial in _current
            self._current = self._adopt() or self._claim(ledger)
        if self._current is None:
            self._repair(ledger)
            time.sleep(self._wait)
            self._wait = min(2 * self._wait, self._max_wait)
            return True
        self._wait = self.poll
        self._run_claimed(self._current, ledger)
        self._current = None
        return True

    def _back(self) -> None:
        """The storage answered: an outage (if any) is over; silence is not held against anyone
        for one grace period (no worker could write its heartbeat meanwhile)."""
        if self.outage.ok():
            self._quiet_until = time.monotonic() + self.config.grace_period

    def _claim(self, ledger: Ledger) -> FrozenTrial | None:
        for t in claim_order(ledger.claimable(), self.name):
            self._unsure = t
            if claim(self.storage, t._trial_id, self.name):
                self._unsure = None
                return self._mine(t)
        self._unsure = None
        return None

    def _mine(self, t: FrozenTrial) -> FrozenTrial:
        """This worker's copy of the trial it claimed (RUNNING since now), known to its view."""
        from optuna.trial import TrialState

        mine = copy.deepcopy(t)
        mine.state, mine.datetime_start = TrialState.RUNNING, datetime.now()
        mine.user_attrs["worker"] = self.name
        self.view.known(mine)
        return mine

    def _adopt(self) -> FrozenTrial | None:
        """A claim cut off by an outage may have been stored: then the trial is this worker's."""
        from optuna.trial import TrialState

        unsure = self._unsure
        if unsure is None:
            return None
        now = self.storage.get_trial(unsure._trial_id)  # an outage here: asked again next time
        self._unsure = None
        if now.state == TrialState.RUNNING and now.user_attrs.get("worker") == self.name:
            self.on_event(f"trial {now.number}: its claim was stored before the outage; running it")
            return self._mine(unsure)
        return None

    def _run_claimed(self, claimed: FrozenTrial, ledger: Ledger) -> None:
        slot = slot_of(claimed)
        assert slot is not None
        if claimed.system_attrs.get(REPAIRED):  # a repair race may have queued its slot twice
            ledger = self.view.ledger()
        heartbeat = Heartbeat(self.storage, claimed._trial_id, self.config.heartbeat_interval)
        with heartbeat:  # a KeyboardInterrupt stops it on the way out to run()
            try:
                outcome = self._execute(claimed, slot, ledger)
            except _Taken:
                outcome = None
                kept = False
            except _StorageLost as e:  # ended interrupted once the storage is back, and re-queued
                heartbeat.stop()
                self.outage.wait(e.__cause__ or e)
                why = f"storage unreachable during the trial ({cause_of(e.__cause__ or e)})"
                if self._end(claimed, Outcome("FAIL", reason=why), INTERRUPTED):
                    self._requeue(slot, claimed)
                return
            else:
                heartbeat.stop()
                if outcome is None:  # a duplicate claim of its slot: given way
                    reason = f"duplicate: slot {slot} has a trial already"
                    self._end(claimed, Outcome("FAIL", reason=reason), DUPLICATE)
                    return
                kept = self._end(claimed, outcome, RESULT, slot=slot)
        self.report.ran += 1
        if not kept:
            self.report.dropped += 1
            self.on_event(f"trial {claimed.number} was taken from this worker (marked lost); its result is dropped")
            return
        self.report.results += 1
        err = f" error {outcome.value:.2f}%" if outcome.value is not None else ""
        self.on_event(f"trial {claimed.number} (slot {slot}) {outcome.state}{err} {outcome.reason}".rstrip())

    def _execute(self, claimed: FrozenTrial, slot: int, ledger: Ledger) -> Outcome | None:
        """Run the objective on a claimed trial (None: the trial is a duplicate and must give way;
        :class:`_Taken`: another worker marked it lost meanwhile)."""
        import optuna
        from optuna.exceptions import UpdateFinishedTrialError

        mine = next((t for t in ledger.history.get(slot, []) if t._trial_id == claimed._trial_id), None)
        if mine is None or not ledger.keeps(mine):
            return None
        attempt = len(ledger.history[slot]) - 1
        seed = mix_seed(self.config.seed, slot, attempt)
        try:
            if self.config.mode == "search" and not claimed.system_attrs.get(FIXED):
                self._propose(claimed, seed)
            # Every parameter is fixed by now: the real trial's sampler is never asked.
            self.handle.study.sampler = optuna.samplers.RandomSampler(seed=seed)
            trial = primed_trial(self.handle.study, claimed, self._distributions)
            outcome = self.objective(trial, slot)
        except DeviceFault:
            raise  # not the model's result: run() re-queues the trial and this worker stops
        except UpdateFinishedTrialError:
            raise _Taken() from None
        except Exception as e:  # noqa: BLE001 - an objective that raises is a failed trial
            stop_if_signalled()  # ... unless it failed because a stop signal landed in it
            if is_unreachable(e):  # not the model's fault: the trial runs again once the storage is back
                raise _StorageLost(e) from e
            return Outcome("FAIL", reason=f"error: {error_text(e)}")
        if outcome.state != "COMPLETE":  # the objective caught the error itself
            stop_if_signalled()
        if outcome.state == "COMPLETE" and (outcome.value is None or not math.isfinite(outcome.value)):
            return Outcome("FAIL", reason=f"non-finite test error {outcome.value}", attrs=outcome.attrs)
        return outcome

    def _propose(self, claimed: FrozenTrial, seed: int) -> None:
        """Search mode: fix the sampler's proposal (inside the regime) into the claimed trial."""
        ledger = self.view.ledger(full=True)
        trials = [t for ts in ledger.history.values() for t in ts] + ledger.others
        params, kept, how = propose(
            self.config, self.config.design_space(), trials, seed, make_sampler(self.config, seed)
        )
        tid = claimed._trial_id
        self.storage.set_trial_system_attr(tid, FIXED, params)
        for key, value in kept.items():
            self.storage.set_trial_system_attr(tid, key, value)
        self.storage.set_trial_user_attr(tid, "proposal", how)
        claimed.system_attrs.update({FIXED: params, **kept})
        claimed.user_attrs["proposal"] = how

    def _end(self, trial: FrozenTrial, outcome: Outcome, kind: str, *, slot: int | None = None) -> bool:
        """Store attributes, the outcome and the state in one go; False if the trial was finished
        meanwhile. An outage is waited out; a commit whose answer it swallowed is recognised."""
        from optuna.trial import TrialState

        attrs = {**outcome.attrs, **code_version(), "worker": self.name}
        if slot is not None:
            attrs["slot"] = slot
        if outcome.reason:
            attrs["reason"] = outcome.reason
        state = TrialState[outcome.state]
        system = {OUTCOME: kind, ENDED_BY: self.name}
        while True:
            try:
                kept = finish(self.storage, trial._trial_id, state, outcome.value, attrs, system)
                break
            except Exception as e:
                if stop_requested() or not is_unreachable(e):
                    raise
                self.outage.wait(e)
                try:
                    stored = self.storage.get_trial(trial._trial_id)
                except Exception as again:
                    if not is_unreachable(again):
                        raise
                    continue
                if stored.state.is_finished():  # our commit got through, or another worker's mark did
                    kept = stored.system_attrs.get(ENDED_BY) == self.name and stored.system_attrs.get(OUTCOME) == kind
                    break
        self._back()
        if kept:
            self.view.known(ended(trial, state, outcome.value, attrs, system), partial=True)  # params: the objective's
        return kept

    def _abandon(self, reason: str) -> None:
        """Ctrl-C/SIGTERM: the claimed trial, if still running, ends FAIL and its slot is re-queued."""
        from optuna.trial import TrialState

        claimed, self._current = self._current, None
        if claimed is None:
            return
        self._reopen()
        if self.storage.get_trial(claimed._trial_id).state != TrialState.RUNNING:
            return
        if self._end(claimed, Outcome("FAIL", reason=reason), INTERRUPTED):
            self._requeue(slot_of(claimed), claimed)  # type: ignore[arg-type]
        self.report.interrupted = True

    def _device_fault(self, error: str) -> None:
        """The GPU failed under the claimed trial: FAIL, counted as a loss of its worker, re-queued.

        A model that faults the device every time ends FAIL for good after ``MAX_LOST`` tries.
        """
        claimed, self._current = self._current, None
        if claimed is None:
            return
        slot = slot_of(claimed)
        final = last_loss(self.view.ledger(), slot)  # type: ignore[arg-type]
        reason = f"device fault: {error}" + (f" ({MAX_LOST} times running this model)" if final else "")
        if self._end(claimed, Outcome("FAIL", reason=reason), RESULT if final else LOST, slot=slot):
            self.on_event(f"trial {claimed.number} (slot {slot}) {reason}; " + ("failed" if final else "re-queued"))
            if not final:
                self._requeue(slot, claimed)  # type: ignore[arg-type]

    def _reopen(self) -> None:
        """A fresh connection to the storage: the interrupt may have hit the old one mid-operation
        (a journal replay half applied, a database session mid-transaction)."""
        try:
            handle = open_existing(self.handle.url, self.config.name)
        except Exception as e:  # noqa: BLE001 - the old connection is still worth a try
            log.warning("could not reopen the storage (%s); using the interrupted connection", e)
            return
        handle.config = self.config
        self.handle, self.storage = handle, handle.storage
        self.view = TrialView(handle)


def open_study(config: StudyConfig, url: str | StorageURL) -> StudyHandle:
    """Create or join the study, its slots holding the study mode's models (:func:`slot_params`)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return join_study(config, url, lambda n: slot_params(config, n))


def run_worker(
    config: StudyConfig,
    url: str | StorageURL,
    *,
    handle: StudyHandle | None = None,
    objective: Objective | None = None,
    device: str = "auto",
    threads: int | None = None,
    poll: float = 1.0,
    max_trials: int | None = None,
    on_event: Callable[[str], None] | None = None,
    patience: float | None = None,
) -> WorkerReport:
    """Join (or create) the study and run trials until its budget is met: the entry point of every
    worker (``study worker``, ``study run``'s processes, ``study submit``'s tasks, the library's).

    ``handle``: the study, already opened by :func:`open_study` (``study worker`` opens it first, to
    name its storage in messages). ``objective`` defaults to :func:`make_objective`'s (the study's
    space, data and recipe; a paired study's pairs), in the study's precision (its first worker's).
    ``KeyboardInterrupt`` (Ctrl-C; SIGTERM with :func:`stop_on_signals`) marks the running trial
    FAIL, re-queues it and propagates. ``patience``: seconds a storage outage is waited out
    (default ``DESIGNSPACE_STORAGE_PATIENCE`` or 300); then :class:`StorageError` (one line).
    """
    if handle is None:
        handle = open_study(config, url)
    if objective is None:
        train_objective = make_objective(handle.config, device=device, threads=threads)
        train_objective.pin_precision(handle)
        train_objective.prepare()
        objective = train_objective
    worker = Worker(handle, objective, poll=poll, max_trials=max_trials, on_event=on_event, patience=patience)
    return worker.run()
