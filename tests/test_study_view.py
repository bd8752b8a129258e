"""A worker's first look at a study reads each trial's bookkeeping, not the whole trial, and no
read takes SQLite's write lock (a worker joining a 10,000-trial study held it ~20 s before)."""

from __future__ import annotations

import collections
import sqlite3

import optuna
from optuna.trial import TrialState
from sqlalchemy import event

from designspace.study.claims import finish, rdb_of
from designspace.study.config import StudyConfig
from designspace.study.join import join_study
from designspace.study.slots import LOST, OUTCOME, Ledger
from designspace.study.storage import READ_ONLY
from designspace.study.view import TrialView

CONFIG = {
    "study": {"name": "v", "trials": 6, "heartbeat_interval": 5, "grace_period": 30},
    "space": {"name": "anynetx_a", "flops": "1M:3M"},
    "data": {"name": "synthetic"},
    "budget": {"epochs": 1},
}


def finished_study(tmp_path):
    """Six slots: 0-3 COMPLETE with parameters, user attributes and a value; slot 4's first
    trial lost and re-queued; slot 5 WAITING."""
    handle = join_study(StudyConfig.from_dict(CONFIG), f"sqlite:///{tmp_path / 'v.db'}", lambda n: [{}] * n)
    storage = handle.storage
    waiting = sorted(storage.get_all_trials(handle.study_id, deepcopy=False), key=lambda t: t.number)
    dist = optuna.distributions.IntDistribution(1, 16)
    for t in waiting[:4]:
        storage.set_trial_state_values(t._trial_id, TrialState.RUNNING)
        storage.set_trial_param(t._trial_id, "d1", float(t.number + 1), dist)
        assert finish(
            storage, t._trial_id, TrialState.COMPLETE, 40.0 + t.number, {"spec": "x" * 50}, {OUTCOME: "result"}
        )
    storage.set_trial_state_values(waiting[4]._trial_id, TrialState.RUNNING)
    assert finish(storage, waiting[4]._trial_id, TrialState.FAIL, None, {}, {OUTCOME: LOST})
    handle.enqueue(4, {}, **{"designspace:retry_of": waiting[4].number})
    return handle


def tables_read(handle) -> tuple[collections.Counter, list]:
    """SELECTs per table named after FROM, and every statement, as the engine sends them."""
    tables: collections.Counter = collections.Counter()
    sent: list = []

    def count(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        sent.append(statement)
        if statement.startswith("SELECT"):
            for word in ("trial_params", "trial_user_attributes", "trial_values", "trial_intermediate_values"):
                tables[word] += f" {word}" in statement

    event.listen(rdb_of(handle.storage).engine, "before_cursor_execute", count)
    return tables, sent


def test_the_first_look_reads_bookkeeping_only_and_agrees_with_the_whole_read(tmp_path):
    handle = finished_study(tmp_path)
    whole = Ledger.of(handle.trials(), 6)
    tables, sent = tables_read(handle)
    view = TrialView(handle)
    ledger = view.ledger()
    assert sum(tables.values()) == 0, sent  # no parameters, user attributes or values read
    assert {k: t.number for k, t in ledger.settled.items()} == {k: t.number for k, t in whole.settled.items()}
    assert [t.number for t in ledger.claimable()] == [t.number for t in whole.claimable()]
    assert [len(ledger.history[k]) for k in range(6)] == [1, 1, 1, 1, 2, 1]
    assert ledger.counts() == whole.counts() and not ledger.done
    # asked for whole trials (a search's sampler), the view reads them: the same as Optuna's
    full = view.ledger(full=True)
    assert tables["trial_params"] >= 1
    by_number = {t.number: t for ts in full.history.values() for t in ts}
    for t in handle.trials():
        assert by_number[t.number] == t, t.number


def test_a_read_takes_no_sqlite_write_lock(tmp_path):
    handle = finished_study(tmp_path)
    engine = rdb_of(handle.storage).engine
    other = sqlite3.connect(tmp_path / "v.db", timeout=0.2, isolation_level=None)
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM trials").all()  # inside its transaction now
        other.execute("BEGIN IMMEDIATE")  # another worker may begin a write meanwhile
        other.execute("ROLLBACK")
    with engine.connect() as conn:  # a connection that may write locks at once, as before
        conn.exec_driver_sql("SELECT count(*) FROM trials").all()
        try:
            other.execute("BEGIN IMMEDIATE")
            locked = False
        except sqlite3.OperationalError as e:
            locked = "locked" in str(e)
    other.close()
    assert locked
    sent = tables_read(handle)[1]
    view = TrialView(handle)
    assert view.ledger().budget == 6 and view.ledger(budget=True).budget == 6
    begins = [s for s in sent if s.startswith("BEGIN")]
    assert begins and set(begins) == {"BEGIN"}, sent  # its looks: deferred (read-only) transactions
