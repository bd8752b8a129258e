"""Claiming and settling a trial, each in one database transaction.

On an SQL storage (SQLite, PostgreSQL, MySQL) a claim is one conditional ``UPDATE ... WHERE state =
'WAITING'`` plus the worker's name, and a trial's end is one conditional ``UPDATE ... WHERE state =
'RUNNING'`` plus all its attributes and its value: a handful of statements, however many attributes
it has, and all-or-nothing (a trial marked lost meanwhile keeps none of them). The rows are the ones
Optuna itself writes (same tables, keys and JSON), so old and new studies read alike. Any other
storage (a journal file, a gRPC proxy) goes through Optuna's API, one call per attribute.
"""

from __future__ import annotations

import copy
import json
import zlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage, RDBStorage
    from optuna.trial import FrozenTrial, TrialState

__all__ = ["claim", "claim_order", "ended", "finish", "primed_trial", "rdb_of"]

_UPSERT_DIALECTS = ("sqlite", "postgresql", "mysql")


def rdb_of(storage: Any) -> RDBStorage | None:
    """The SQL storage under ``storage`` (Optuna's cache unwrapped), if it is one this module writes."""
    from optuna.storages import RDBStorage

    backend = getattr(storage, "_backend", storage)
    if isinstance(backend, RDBStorage) and backend.engine.name in _UPSERT_DIALECTS:
        return backend
    return None


def claim(storage: BaseStorage, trial_id: int, worker: str) -> bool:
    """WAITING -> RUNNING (now), stamped with ``worker``'s name; False if another worker was first."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages._rdb import models
    from optuna.trial import TrialState
    from sqlalchemy import update

    rdb = rdb_of(storage)
    if rdb is None:
        try:
            if not storage.set_trial_state_values(trial_id, state=TrialState.RUNNING):
                return False
            storage.set_trial_user_attr(trial_id, "worker", worker)
        except UpdateFinishedTrialError:
            return False
        return True
    trials = models.TrialModel.__table__
    with rdb.engine.begin() as conn:
        done = conn.execute(
            update(trials)
            .where(trials.c.trial_id == trial_id, trials.c.state == TrialState.WAITING)
            .values(state=TrialState.RUNNING, datetime_start=datetime.now())
        )
        if done.rowcount != 1:
            return False
        conn.execute(_upsert(rdb, models.TrialUserAttributeModel, trial_id, {"worker": worker}))
    return True


def claim_order(claimable: list[FrozenTrial], worker: str) -> list[FrozenTrial]:
    """The order in which ``worker`` tries the ledger's claimable trials: the first, then the rest
    from a point of its own on (its name's checksum), round to the start.

    Workers that read the study at the same moment all try its first trial; the ones that lose
    that race then spread over the queue instead of racing again for the second, the third...
    (every lost race is a write transaction: 16 workers spent ~15 of their ~30 statements per
    trial on them). One worker alone still runs the trials in the ledger's order.
    """
    if len(claimable) <= 2:
        return claimable
    k = 1 + zlib.crc32(worker.encode()) % (len(claimable) - 1)
    return [claimable[0], *claimable[k:], *claimable[1:k]]


def finish(
    storage: BaseStorage,
    trial_id: int,
    state: TrialState,
    value: float | None,
    user_attrs: dict[str, Any],
    system_attrs: dict[str, Any],
) -> bool:
    """RUNNING (or WAITING) -> ``state`` with its attributes and value, all or nothing; False if it was finished
    meanwhile (marked lost by another worker: it keeps what that worker wrote)."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages._rdb import models
    from optuna.trial import TrialState
    from sqlalchemy import insert, update

    values = [float(value)] if state == TrialState.COMPLETE and value is not None else None
    rdb = rdb_of(storage)
    if rdb is None:
        try:
            for key, v in user_attrs.items():
                storage.set_trial_user_attr(trial_id, key, v)
            for key, v in system_attrs.items():
                storage.set_trial_system_attr(trial_id, key, v)
            return bool(storage.set_trial_state_values(trial_id, state, values))
        except UpdateFinishedTrialError:
            return False
    trials = models.TrialModel.__table__
    with rdb.engine.begin() as conn:
        done = conn.execute(
            update(trials)
            .where(trials.c.trial_id == trial_id, trials.c.state.in_([TrialState.RUNNING, TrialState.WAITING]))
            .values(state=state, datetime_complete=datetime.now())
        )
        if done.rowcount != 1:
            return False
        if user_attrs:
            conn.execute(_upsert(rdb, models.TrialUserAttributeModel, trial_id, user_attrs))
        if system_attrs:
            conn.execute(_upsert(rdb, models.TrialSystemAttributeModel, trial_id, system_attrs))
        for objective, v in enumerate(values or []):
            stored, kind = models.TrialValueModel.value_to_stored_repr(v)
            conn.execute(
                insert(models.TrialValueModel.__table__).values(
                    trial_id=trial_id, objective=objective, value=stored, value_type=kind
                )
            )
    return True


def _upsert(rdb: RDBStorage, model: Any, trial_id: int, attrs: dict[str, Any]) -> Any:
    """One INSERT of every ``attrs`` row, replacing a key the trial has already (as Optuna does)."""
    table = model.__table__
    rows = [{"trial_id": trial_id, "key": k, "value_json": json.dumps(v)} for k, v in attrs.items()]
    dialect = rdb.engine.name
    if dialect == "mysql":
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        stmt = mysql_insert(table).values(rows)
        return stmt.on_duplicate_key_update(value_json=stmt.inserted.value_json)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    stmt = insert(table).values(rows)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.trial_id, table.c.key], set_={"value_json": stmt.excluded.value_json}
    )


class _Primed:
    """The SQL storage for one claimed trial: ``get_trial`` answered from memory, parameters written
    with the distributions already known (Optuna's cache would need the whole study read first)."""

    def __init__(self, storage: RDBStorage, trial: FrozenTrial, known: dict[str, Any]) -> None:
        self._storage, self._trial, self._known = storage, trial, known

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._trial if trial_id == self._trial._trial_id else self._storage.get_trial(trial_id)

    def set_trial_param(self, trial_id: int, name: str, value: float, distribution: Any) -> None:
        self._storage._set_trial_param(trial_id, name, value, distribution, self._known.get(name))
        self._known.setdefault(name, distribution)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


def primed_trial(study: optuna.Study, trial: FrozenTrial, known: dict[str, Any]) -> optuna.Trial:
    """``optuna.Trial(study, id)`` for a trial just claimed, without reading it back.

    ``trial`` is the worker's copy (its fixed parameters in its system attributes); Optuna's
    constructor would otherwise read the whole trial again. ``known``: the study's parameter
    distributions seen so far (filled as the trial suggests), kept by the caller between trials.
    """
    import optuna
    from optuna.trial import TrialState

    rdb = rdb_of(study._storage)
    if rdb is None:
        return optuna.Trial(study, trial._trial_id)
    running = copy.deepcopy(trial)
    running.state = TrialState.RUNNING
    primed = _Primed(rdb, running, known)
    shadow = copy.copy(study)
    shadow._storage = primed  # type: ignore[assignment]
    out = optuna.Trial(shadow, trial._trial_id)
    out.study = study
    return out


def ended(trial: FrozenTrial, state: TrialState, value: float | None, user: dict, system: dict) -> FrozenTrial:
    """A copy of ``trial`` as :func:`finish` stored it (its parameters: as the copy had them)."""
    from optuna.trial import TrialState

    out = copy.deepcopy(trial)
    out.state = state
    out.datetime_complete = datetime.now()
    out.values = [float(value)] if state == TrialState.COMPLETE and value is not None else None
    out.user_attrs.update(user)
    out.system_attrs.update(system)
    return out
