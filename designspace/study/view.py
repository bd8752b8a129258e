"""A worker's view of its study's trials, kept up to date by reading only what changed.

Re-reading every trial of a study each time (Optuna's ``get_all_trials`` of pre-queued trials:
six queries over every row) made bookkeeping grow with the study. On an SQL storage the view
reads, when it first looks, each trial's *bookkeeping* only -- number, state, times and system
attributes (slot, outcome, heartbeat, fixed parameters), two queries, not Optuna's whole trials
(their parameters, values and user attributes: ~20 CPU-s for 10,000 trials). After that it asks
each time for one narrow row per *live* trial (WAITING/RUNNING) and per trial new since the last
look: id, state, start, heartbeat, outcome. It updates its copies from those rows, reads new
trials' bookkeeping, and rebuilds the :class:`Ledger` only when a state changed. Whole trials
are read only on request (``full``: a search's sampler, the progress bar). A finished trial never
changes again, so an idle worker's look costs one small query, whatever the study's size. Every
read is a read-only transaction (on SQLite, no write lock: :data:`~designspace.study.storage.READ_ONLY`).
Other storages (a journal file, a gRPC proxy) are read whole, as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from designspace.study.claims import rdb_of
from designspace.study.slots import HEARTBEAT, OUTCOME, Ledger
from designspace.study.storage import READ_ONLY

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

    from designspace.study.join import StudyHandle

__all__ = ["TrialView", "Watch"]

#: seconds between re-reads of the study's budget (raised only by a new ``study run --trials``)
BUDGET_EVERY = 30.0
#: trials loaded by id in one query at most (beyond: the whole study is read)
_BY_ID = 500


class TrialView:
    """The trials of ``handle``'s study, refreshed incrementally; :meth:`ledger` is the entry point."""

    def __init__(self, handle: StudyHandle) -> None:
        self.handle = handle
        self._rdb = rdb_of(handle.storage)
        self._trials: dict[int, FrozenTrial] = {}  # by trial id
        self._partial: set[int] = set()  # not read whole (bookkeeping only), or finished since
        self._max_id = -1
        self._budget: int | None = None
        self._budget_at = 0.0
        self._ledger: Ledger | None = None

    def ledger(self, *, full: bool = False, budget: bool = False) -> Ledger:
        """The slots as of now; ``full``: every finished trial with its values and attributes
        (the sampler, the progress bar); ``budget``: re-read the budget now."""
        if self._rdb is None:
            self._ledger = Ledger.of(self.handle.trials(), self._read_budget(budget))
            return self._ledger
        changed = self._refresh(full)
        old = self._budget
        size = self._read_budget(budget)
        if changed or self._ledger is None or size != old:
            self._ledger = Ledger.of(list(self._trials.values()), size)
        return self._ledger

    def known(self, trial: FrozenTrial, *, partial: bool = False) -> None:
        """Take ``trial`` (this worker's own write: a claim, an end) as the storage now holds it;
        ``partial``: its state and outcome are, its parameters may not be (read again if asked)."""
        if self._rdb is None:
            return
        self._trials[trial._trial_id] = trial
        if partial:
            self._partial.add(trial._trial_id)
        else:
            self._partial.discard(trial._trial_id)
        self._max_id = max(self._max_id, trial._trial_id)
        self._ledger = None

    def _read_budget(self, now: bool) -> int:
        if now or self._budget is None or time.monotonic() - self._budget_at > BUDGET_EVERY:
            self._budget, self._budget_at = self._stored_budget(), time.monotonic()
        return self._budget

    def _stored_budget(self) -> int:
        """:meth:`StudyHandle.budget`, read in a read-only transaction on an SQL storage."""
        if self._rdb is None:
            return self.handle.budget()
        from optuna.storages._rdb import models
        from sqlalchemy import select

        attrs = models.StudyUserAttributeModel.__table__
        which = (attrs.c.study_id == self.handle.study_id) & (attrs.c.key == "trials")
        with self._reading() as conn:
            value = conn.execute(select(attrs.c.value_json).where(which)).scalar()
        return max(int(json.loads(value)) if value is not None else self.handle.config.trials, 1)

    # -- SQL storages ---------------------------------------------------------------------
    def _refresh(self, full: bool) -> bool:
        """Read what changed; True when a trial's state, outcome or existence did."""
        if not self._trials:
            self._load_all(full)
            return True
        live = {tid for tid, t in self._trials.items() if not t.state.is_finished()}
        with self._reading() as conn:
            rows = {r[0]: r for r in conn.execute(self._rows_query(None))}
            gone = sorted(live - set(rows))  # live when last read, finished since
            for i in range(0, len(gone), _BY_ID):
                rows.update((r[0], r) for r in conn.execute(self._rows_query(gone[i : i + _BY_ID])))
        changed, new = False, []
        for tid, state, start, beat, outcome in rows.values():
            t = self._trials.get(tid)
            if t is None:
                new.append(tid)
                continue
            if beat is not None:
                t.system_attrs[HEARTBEAT] = json.loads(beat)
            outcome = json.loads(outcome) if outcome is not None else None
            if t.state != state or t.system_attrs.get(OUTCOME) != outcome:
                changed = True
                t.state, t.datetime_start = state, start
                if outcome is not None:
                    t.system_attrs[OUTCOME] = outcome
                if state.is_finished():
                    self._partial.add(tid)
        wanted = sorted(set(new) | self._partial) if full else new
        if wanted:
            self._load(wanted, full)
            changed = True
        return changed or bool(new)

    def _reading(self) -> Any:
        """A connection for reads only (SQLite: a deferred transaction, which takes no write lock)."""
        return self._rdb.engine.execution_options(**{READ_ONLY: True}).connect()  # type: ignore[union-attr]

    def _rows_query(self, ids: list[int] | None) -> Any:
        """id, state, start, heartbeat, outcome of the live and new trials (or of ``ids``)."""
        from optuna.storages._rdb import models
        from optuna.trial import TrialState
        from sqlalchemy import and_, or_, select

        trials = models.TrialModel.__table__
        attrs = models.TrialSystemAttributeModel.__table__
        beat, outcome = attrs.alias("beat"), attrs.alias("outcome")
        query = (
            select(trials.c.trial_id, trials.c.state, trials.c.datetime_start, beat.c.value_json, outcome.c.value_json)
            .select_from(
                trials.outerjoin(beat, and_(beat.c.trial_id == trials.c.trial_id, beat.c.key == HEARTBEAT)).outerjoin(
                    outcome, and_(outcome.c.trial_id == trials.c.trial_id, outcome.c.key == OUTCOME)
                )
            )
            .where(trials.c.study_id == self.handle.study_id)
        )
        if ids is not None:
            return query.where(trials.c.trial_id.in_(ids))
        live = trials.c.state.in_([TrialState.WAITING, TrialState.RUNNING])
        return query.where(or_(live, trials.c.trial_id > self._max_id))

    def _load_all(self, full: bool) -> None:
        """Every trial: whole (``full``) or its bookkeeping only."""
        trials = self._get(None) if full else self._bookkeeping(None)
        self._trials = {t._trial_id: t for t in trials}
        self._partial = set() if full else set(self._trials)
        self._max_id = max(self._trials, default=-1)

    def _load(self, ids: list[int], full: bool) -> None:
        if full and len(ids) > _BY_ID:
            self._load_all(full)
            return
        chunks = [ids[i : i + _BY_ID] for i in range(0, len(ids), _BY_ID)]
        for t in (t for chunk in chunks for t in (self._get(chunk) if full else self._bookkeeping(chunk))):
            self._trials[t._trial_id] = t
            (self._partial.discard if full else self._partial.add)(t._trial_id)
            self._max_id = max(self._max_id, t._trial_id)

    def _get(self, ids: list[int] | None) -> list[FrozenTrial]:
        """Whole trials (parameters, values, attributes: Optuna's query and its reader), all or
        ``ids``, in a read-only transaction (Optuna's own takes SQLite's write lock)."""
        from optuna.storages._rdb import models
        from sqlalchemy import select
        from sqlalchemy.orm import Session, selectinload

        rdb = self._rdb
        assert rdb is not None
        model = models.TrialModel
        related = (model.params, model.values, model.user_attributes, model.system_attributes)
        query = (
            select(model)
            .options(*(selectinload(r) for r in (*related, model.intermediate_values)))
            .where(model.study_id == self.handle.study_id)
        )
        if ids is not None:
            query = query.where(model.trial_id.in_(ids))
        with Session(rdb.engine.execution_options(**{READ_ONLY: True})) as session:
            found = session.scalars(query.order_by(model.trial_id))
            return [rdb._build_frozen_trial_from_trial_model(m) for m in found]

    def _bookkeeping(self, ids: list[int] | None) -> list[FrozenTrial]:
        """Trials (all, or ``ids``) with what the ledger needs: number, state, times and system
        attributes; no parameters, values, user attributes or intermediate values."""
        from optuna.storages._rdb import models
        from optuna.trial import FrozenTrial
        from sqlalchemy import select

        trials = models.TrialModel.__table__
        attrs = models.TrialSystemAttributeModel.__table__
        which = trials.c.study_id == self.handle.study_id
        if ids is not None:
            which = which & trials.c.trial_id.in_(ids)
        columns = (
            trials.c.trial_id,
            trials.c.number,
            trials.c.state,
            trials.c.datetime_start,
            trials.c.datetime_complete,
        )
        system: dict[int, dict[str, Any]] = {}
        with self._reading() as conn:
            rows = conn.execute(select(*columns).where(which)).all()
            joined = trials.join(attrs, attrs.c.trial_id == trials.c.trial_id)
            for tid, key, value in conn.execute(
                select(attrs.c.trial_id, attrs.c.key, attrs.c.value_json).select_from(joined).where(which)
            ):
                system.setdefault(tid, {})[key] = json.loads(value)
        return [
            FrozenTrial(number, state, None, start, end, {}, {}, {}, system.get(tid, {}), {}, tid)
            for tid, number, state, start, end in rows
        ]


class Watch:
    """A study's ledger for a progress display: read incrementally and, through a storage outage,
    the last one read (said once per outage through ``say``; the workers decide when to give up)."""

    def __init__(self, handle: StudyHandle, say: Callable[[str], None]) -> None:
        from designspace.study.outage import Outage

        self.view = TrialView(handle)
        self.outage = Outage(say, float("inf"), sleep=lambda s: None)
        self.last: Ledger | None = None

    def ledger(self) -> Ledger:
        from designspace.study.outage import is_unreachable

        try:
            self.last = self.view.ledger(full=True)
        except Exception as e:
            if self.last is None or not is_unreachable(e):
                raise
            self.outage.wait(e)
            return self.last
        self.outage.ok()
        return self.last
