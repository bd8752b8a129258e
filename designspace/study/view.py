"""A worker's view of its study's trials, kept up to date by reading only what changed.

Re-reading every trial of a study each time (Optuna's ``get_all_trials`` of pre-queued trials:
six queries over every row) made bookkeeping grow with the study. On an SQL storage the view
keeps its trials and asks each time for one narrow row per *live* trial (WAITING/RUNNING) and per
trial new since the last look: id, state, start, heartbeat, outcome. It updates its copies from
those rows, loads in full only trials it has never seen (and, on request, finished ones whose
values it has not read), and rebuilds the :class:`Ledger` only when a state changed. A finished
trial never changes again, so an idle worker's look costs one small query, whatever the study's
size. Other storages (a journal file, a gRPC proxy) are read whole, as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from designspace.study.claims import rdb_of
from designspace.study.slots import HEARTBEAT, OUTCOME, Ledger

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
        self._partial: set[int] = set()  # finished since loaded: values/attributes not read
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
        self._max_id = max(self._max_id, trial._trial_id)
        self._ledger = None

    def _read_budget(self, now: bool) -> int:
        if now or self._budget is None or time.monotonic() - self._budget_at > BUDGET_EVERY:
            self._budget, self._budget_at = self.handle.budget(), time.monotonic()
        return self._budget

    # -- SQL storages ---------------------------------------------------------------------
    def _refresh(self, full: bool) -> bool:
        """Read what changed; True when a trial's state, outcome or existence did."""
        if not self._trials:
            self._load_all()
            return True
        live = {tid for tid, t in self._trials.items() if not t.state.is_finished()}
        with self._rdb.engine.connect() as conn:  # type: ignore[union-attr]
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
        wanted = new + (sorted(self._partial) if full else [])
        if wanted:
            self._load(wanted)
            changed = True
        return changed or bool(new)

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

    def _load_all(self) -> None:
        self._trials = {t._trial_id: t for t in self._get(None)}
        self._partial.clear()
        self._max_id = max(self._trials, default=-1)

    def _load(self, ids: list[int]) -> None:
        if len(ids) > _BY_ID:
            self._load_all()
            return
        for t in self._get(ids):
            self._trials[t._trial_id] = t
            self._partial.discard(t._trial_id)
            self._max_id = max(self._max_id, t._trial_id)

    def _get(self, ids: list[int] | None) -> list[FrozenTrial]:
        """Whole trials (Optuna's reader: parameters, values, attributes): all, or ``ids``."""
        rdb = self._rdb
        assert rdb is not None
        if ids is None:
            return rdb._get_trials(self.handle.study_id, None, set(), -1)
        # Optuna's filter: id in ids (those <= the bound) or id > the bound
        return rdb._get_trials(self.handle.study_id, None, set(ids), max(ids))


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
