"""One worker: claim a WAITING trial, run it with a heartbeat, store its outcome; until the budget is met.

Any number of workers on any number of machines run this loop against one storage and cooperate
without a coordinator (see :mod:`designspace.study.slots` for the bookkeeping):

* claiming is the storage's atomic WAITING -> RUNNING transition, so no two workers run one trial,
  and no worker ever asks the sampler for a trial outside the budget;
* a running trial's worker writes a heartbeat (trial system attribute, unix time) every
  ``heartbeat_interval`` seconds; a RUNNING trial silent for ``grace_period`` seconds is marked
  FAIL (outcome ``lost``) by whichever worker notices first, and that worker re-queues its slot
  (population mode: same parameters). Optuna 5's own heartbeat covers only RDB storages and never
  fails a trial that died before its first beat, so one mechanism serves SQLite, servers and
  journal files alike (clocks of the machines must agree to well within the grace period);
* a worker that finds nothing to claim waits while other trials run (one of them may be lost and
  come back), and stops when every slot has its result.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from designspace.study.config import StudyConfig
from designspace.study.join import StudyHandle, join_study, open_existing
from designspace.study.objective import DeviceFault, Objective, Outcome, make_objective, slot_params
from designspace.study.slots import (
    DUPLICATE,
    FIXED,
    HEARTBEAT,
    INTERRUPTED,
    LOST,
    MAX_LOST,
    OUTCOME,
    RESULT,
    SILENT,
    Ledger,
    last_sign_of_life,
    outcome_of,
    slot_of,
)
from designspace.study.storage import StorageURL

if TYPE_CHECKING:
    from optuna.storages import BaseStorage
    from optuna.trial import FrozenTrial

__all__ = ["WorkerReport", "run_worker", "stop_on_signals"]

log = logging.getLogger("designspace.study")


@dataclass
class WorkerReport:
    """What one worker did."""

    ran: int = 0  # trials it claimed and ran to an outcome
    results: int = 0  # of which settled their slot (COMPLETE or a FAIL result)
    lost_marked: int = 0  # other workers' trials it found lost and re-queued
    interrupted: bool = False


class Heartbeat:
    """A thread writing ``designspace:heartbeat`` = now into a running trial every ``interval`` s."""

    def __init__(self, storage: BaseStorage, trial_id: int, interval: float) -> None:
        self.storage, self.trial_id, self.interval = storage, trial_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{trial_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
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
            log.warning("heartbeat of trial id %s failed: %s", self.trial_id, e)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if not self.beat():
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()


def stop_on_signals() -> Callable[[], None]:
    """SIGINT/SIGTERM raise ``KeyboardInterrupt`` once; later ones are ignored during clean-up.

    Returns a function restoring the previous handlers (main thread only).
    """
    # Plain attributes, not a threading.Event: a handler runs between two bytecodes of the main
    # thread, possibly inside another run of itself (SIGINT, then the parent's SIGTERM), and
    # Event.set() takes a non-reentrant lock -- the second run would wait forever on the first.
    _deferral.signalled = None
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: object) -> None:
        if _deferral.signalled:
            return
        name = _deferral.signalled = signal.Signals(signum).name
        if _deferral.depth:  # inside _signals_deferred: raised when the block ends
            return
        raise KeyboardInterrupt(name)

    for s in previous:
        signal.signal(s, handler)
    # Raised inside a finalizer or weakref callback (SQLAlchemy's registry cleans up in one), the
    # interrupt cannot propagate: Python prints it as "Exception ignored in ..." with a traceback
    # and drops it. The worker still stops (_stop_if_signalled raises it again), so say nothing.
    previous_hook = sys.unraisablehook

    def unraisable(args: Any) -> None:
        if not (_deferral.signalled and isinstance(args.exc_value, KeyboardInterrupt)):
            previous_hook(args)

    sys.unraisablehook = unraisable

    def restore() -> None:
        for s, h in previous.items():
            signal.signal(s, h)
        sys.unraisablehook = previous_hook
        _deferral.signalled = None  # the handler's state goes with it

    return restore


class _Deferral:
    """What :func:`_signals_deferred` tells the handler of :func:`stop_on_signals`, and whether it
    ran (one per process, as signal handlers are)."""

    depth = 0
    #: the signal that asked this process to stop (None: none yet)
    signalled: str | None = None


def _stop_if_signalled() -> None:
    """Raise the KeyboardInterrupt a signal asked for, if code in between lost it.

    A KeyboardInterrupt raised at an arbitrary bytecode can be turned into another exception by
    library code it lands in: Optuna's journal lock, interrupted right after unlinking its lock
    file, unlinks it again in ``except BaseException`` and raises FileNotFoundError instead. The
    worker would record that as the trial's error and go on running. After any failure, and
    before each new trial, the worker asks here whether it was told to stop.
    """
    if _deferral.signalled and not _deferral.depth:
        raise KeyboardInterrupt(_deferral.signalled)


_deferral = _Deferral()


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT/SIGTERM wait until the block ends (main thread; elsewhere a no-op).

    Claiming writes RUNNING to the storage and then returns the trial; a KeyboardInterrupt in
    between would leave a RUNNING trial that no worker knows it owns (it only comes back once its
    grace period has passed). Blocking the signals is not enough: one received just before the
    block still runs its Python handler at the next bytecode, inside the block. So the handler of
    :func:`stop_on_signals` defers to the block's end too; POSIX also holds new ones back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = {signal.SIGINT, signal.SIGTERM}
    mask = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals) if mask else None
    _deferral.depth += 1
    try:
        yield
    finally:
        if mask:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        _deferral.depth -= 1
    _stop_if_signalled()  # a signal that came inside the block


def make_sampler(config: StudyConfig, seed: int) -> Any:
    """The search sampler for one proposal (seeded per slot and attempt: workers never share a stream)."""
    import warnings

    import optuna

    from designspace.study.proposal import startup_trials

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if config.sampler == "tpe":
        return optuna.samplers.TPESampler(
            seed=seed, constant_liar=True, multivariate=True, n_startup_trials=startup_trials(config)
        )
    if config.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    return optuna.samplers.RandomSampler(seed=seed)


class Worker:
    def __init__(
        self,
        handle: StudyHandle,
        objective: Objective,
        *,
        poll: float = 1.0,
        max_trials: int | None = None,
        on_event: Callable[[str], None] | None = None,
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
        self._missing_since: dict[int, float] = {}
        self._current: FrozenTrial | None = None  # the claimed trial

    # -- the loop -----------------------------------------------------------------------
    def run(self) -> WorkerReport:
        try:
            while self.max_trials is None or self.report.ran < self.max_trials:
                _stop_if_signalled()
                ledger = self.handle.ledger()
                if ledger.done:
                    self._drop_orphans(ledger)
                    break
                if self._fail_stale(ledger):
                    continue
                self._drop_orphans(ledger)
                with _signals_deferred():  # a Ctrl-C mid-claim must find the claimed trial in _current
                    self._current = self._claim(ledger)
                if self._current is None:
                    self._repair(ledger)
                    time.sleep(self.poll)
                    continue
                self._run_claimed(self._current)
                self._current = None
        except KeyboardInterrupt as e:
            self._abandon(f"interrupted ({e.args[0]})" if e.args else "interrupted")
            raise
        except DeviceFault as e:
            self._device_fault(str(e))
            raise
        except Exception as e:
            if not _deferral.signalled:
                raise
            self._abandon(f"interrupted ({_deferral.signalled})")  # the interrupt, under another name
            raise KeyboardInterrupt(_deferral.signalled) from e
        return self.report

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
        final = _last_loss(self.handle.ledger(), slot)  # type: ignore[arg-type]
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

    def _claim(self, ledger: Ledger) -> FrozenTrial | None:
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        for t in ledger.claimable():
            try:
                if self.storage.set_trial_state_values(t._trial_id, state=TrialState.RUNNING):
                    return t
            except UpdateFinishedTrialError:
                continue
        return None

    def _run_claimed(self, claimed: FrozenTrial) -> None:
        slot = slot_of(claimed)
        assert slot is not None
        heartbeat = Heartbeat(self.storage, claimed._trial_id, self.config.heartbeat_interval)
        with heartbeat:  # a KeyboardInterrupt stops it on the way out to run()
            outcome = self._execute(claimed, slot)
            heartbeat.stop()
            if outcome is None:  # a duplicate claim of its slot: given way
                self._end(claimed, Outcome("FAIL", reason=f"duplicate: slot {slot} has a trial already"), DUPLICATE)
                return
            kept = self._end(claimed, outcome, RESULT, slot=slot)
        self.report.ran += 1
        if not kept:
            self.on_event(f"trial {claimed.number} was taken from this worker (marked lost); its result is dropped")
            return
        self.report.results += 1
        err = f" error {outcome.value:.2f}%" if outcome.value is not None else ""
        self.on_event(f"trial {claimed.number} (slot {slot}) {outcome.state}{err} {outcome.reason}".rstrip())

    def _execute(self, claimed: FrozenTrial, slot: int) -> Outcome | None:
        """Run the objective on a claimed trial (None: the trial is a duplicate and must give way)."""
        import optuna

        ledger = self.handle.ledger()
        mine = next((t for t in ledger.history.get(slot, []) if t._trial_id == claimed._trial_id), None)
        if mine is None or not ledger.keeps(mine):
            return None
        attempt = len(ledger.history[slot]) - 1
        tid = claimed._trial_id
        self.storage.set_trial_user_attr(tid, "worker", self.name)  # who runs it (dashboard)
        seed = _mix(self.config.seed, slot, attempt)
        if self.config.mode == "search" and not mine.system_attrs.get(FIXED):
            self._propose(tid, ledger, seed)
        # Every parameter is fixed by now: the real trial's sampler is never asked.
        self.handle.study.sampler = optuna.samplers.RandomSampler(seed=seed)
        trial = optuna.Trial(self.handle.study, tid)
        try:
            outcome = self.objective(trial, slot)
        except DeviceFault:
            raise  # not the model's result: run() re-queues the trial and this worker stops
        except Exception as e:  # noqa: BLE001 - an objective that raises is a failed trial
            _stop_if_signalled()  # ... unless it failed because a stop signal landed in it
            text = str(e).strip().splitlines()
            return Outcome("FAIL", reason=f"error: {type(e).__name__}: {text[0] if text else ''}")
        if outcome.state != "COMPLETE":  # the objective caught the error itself
            _stop_if_signalled()
        if outcome.state == "COMPLETE" and (outcome.value is None or not math.isfinite(outcome.value)):
            return Outcome("FAIL", reason=f"non-finite test error {outcome.value}", attrs=outcome.attrs)
        return outcome

    def _propose(self, trial_id: int, ledger: Ledger, seed: int) -> None:
        """Search mode: fix the sampler's proposal (inside the regime) into the claimed trial."""
        from designspace.study.proposal import propose

        trials = [t for ts in ledger.history.values() for t in ts] + ledger.others
        params, kept, how = propose(
            self.config, self.config.design_space(), trials, seed, make_sampler(self.config, seed)
        )
        self.storage.set_trial_system_attr(trial_id, FIXED, params)
        for key, value in kept.items():
            self.storage.set_trial_system_attr(trial_id, key, value)
        self.storage.set_trial_user_attr(trial_id, "proposal", how)

    def _end(self, trial: FrozenTrial, outcome: Outcome, kind: str, *, slot: int | None = None) -> bool:
        """Store attributes, the outcome and the state; False if the trial was finished meanwhile."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        from designspace.study.version import code_version

        attrs = {**outcome.attrs, **code_version(), "worker": self.name}
        if slot is not None:
            attrs["slot"] = slot
        if outcome.reason:
            attrs["reason"] = outcome.reason
        state = TrialState[outcome.state]
        tid = trial._trial_id
        try:
            for key, value in attrs.items():
                self.storage.set_trial_user_attr(tid, key, value)
            self.storage.set_trial_system_attr(tid, OUTCOME, kind)
            values = [float(outcome.value)] if state == TrialState.COMPLETE else None
            return bool(self.storage.set_trial_state_values(tid, state, values))
        except UpdateFinishedTrialError:
            return False

    # -- repair -------------------------------------------------------------------------
    def _fail_stale(self, ledger: Ledger) -> bool:
        """Mark RUNNING trials without a recent heartbeat lost and re-queue their slots."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        now, grace = time.time(), self.config.grace_period
        marked = False
        for t in ledger.running():
            silent = now - last_sign_of_life(t)
            if silent <= grace:
                continue
            slot = slot_of(t)
            # A model whose worker dies every time (the kernel's OOM killer...) is a result: FAIL.
            final = _last_loss(ledger, slot)  # type: ignore[arg-type]
            try:
                if final:
                    why = f"worker lost {MAX_LOST} times running this model (killed: out of host memory?)"
                    self.storage.set_trial_user_attr(t._trial_id, "reason", why)
                self.storage.set_trial_system_attr(t._trial_id, OUTCOME, RESULT if final else LOST)
                self.storage.set_trial_system_attr(t._trial_id, SILENT, round(silent))
                if not self.storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL):
                    continue
            except UpdateFinishedTrialError:
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
        params = self.handle.ledger().params_for(slot) if fixed else {}
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
            self.handle.enqueue(slot, params or {}, **{"designspace:repaired": True})
            self._missing_since.pop(slot, None)
        self.on_event(f"re-queued slot(s) {due} that had no trial")


def _last_loss(ledger: Ledger, slot: int) -> bool:
    """True when one more loss of ``slot``'s trial makes ``MAX_LOST``: the model's result is FAIL."""
    return sum(1 for o in ledger.history.get(slot, []) if outcome_of(o) == LOST) + 1 >= MAX_LOST


def _mix(*values: int) -> int:
    h = 1469598103934665603
    for v in values:
        h = ((h ^ (int(v) & 0xFFFFFFFFFFFFFFFF)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h % (2**32)


def run_worker(
    config: StudyConfig,
    url: str | StorageURL,
    *,
    objective: Objective | None = None,
    device: str = "auto",
    threads: int | None = None,
    poll: float = 1.0,
    max_trials: int | None = None,
    on_event: Callable[[str], None] | None = None,
) -> WorkerReport:
    """Join (or create) the study and run trials until its budget is met.

    ``objective`` defaults to :func:`make_objective`'s (the study's space, data and recipe; a paired
    study's pairs).
    ``KeyboardInterrupt`` (Ctrl-C; SIGTERM with :func:`stop_on_signals`) marks the running trial
    FAIL, re-queues it and propagates.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    handle = join_study(config, url, lambda n: slot_params(config, n))
    if objective is None:
        train_objective = make_objective(handle.config, device=device, threads=threads)
        train_objective.pin_precision(handle)
        train_objective.prepare()
        objective = train_objective
    return Worker(handle, objective, poll=poll, max_trials=max_trials, on_event=on_event).run()
