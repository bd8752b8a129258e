"""A worker's bookkeeping does not grow with the study: a constant, small number of SQL statements
per trial (counted on the engine), an idle look that reads only what changed; a trial taken from
its worker is dropped and the worker goes on; a storage outage is waited out, exactly once."""

from __future__ import annotations

import collections

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy import event, exc

from designspace.study import claims
from designspace.study import worker as worker_module
from designspace.study.claims import finish, rdb_of
from designspace.study.config import StudyConfig
from designspace.study.join import join_study
from designspace.study.objective import Outcome
from designspace.study.slots import LOST, OUTCOME, SLOT, Ledger
from designspace.study.storage import StorageError
from designspace.study.view import TrialView
from designspace.study.worker import Worker

CONFIG = {
    "study": {"name": "s", "trials": 3, "heartbeat_interval": 5, "grace_period": 30},
    "space": {"name": "anynetx_a", "flops": "1M:3M"},
    "data": {"name": "synthetic"},
    "budget": {"epochs": 1},
}


def noop(trial: optuna.Trial, slot: int) -> Outcome:
    return Outcome("COMPLETE", value=float(slot), attrs={"seconds": 0.0})


def study(tmp_path, trials: int, name: str = "s"):
    config = StudyConfig.from_dict({**CONFIG, "study": {**CONFIG["study"], "name": name, "trials": trials}})
    # no models drawn (the stand-in objective trains none): the study is made in no time
    handle = join_study(config, f"sqlite:///{tmp_path / f'{name}.db'}", lambda n: [{}] * n)
    return handle


class Statements:
    """SQL statements the engine sends, by first word (SQLite's BEGIN IMMEDIATE included)."""

    def __init__(self, handle) -> None:
        self.counts: collections.Counter = collections.Counter()
        self.engine = rdb_of(handle.storage).engine
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        self.counts[statement.split()[0].upper()] += 1

    def stop(self) -> collections.Counter:
        event.remove(self.engine, "before_cursor_execute", self._count)
        return self.counts

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def results(handle) -> list:
    return [t for t in handle.trials() if t.state == TrialState.COMPLETE]


@pytest.mark.parametrize("trials", [8, 40])
def test_a_near_zero_cost_trial_takes_at_most_15_statements_however_large_the_study(tmp_path, trials):
    handle = study(tmp_path, trials)
    worker = Worker(handle, noop, poll=0.01)
    worker.view.ledger()  # the first look reads the study whole, once: not the per-trial cost
    sql = Statements(handle)
    report = worker.run()
    counts = dict(sql.stop())
    assert report.results == trials and len(results(handle)) == trials
    assert sum(counts.values()) / trials <= 15, counts
    assert counts["SELECT"] <= 2 * trials, counts  # no re-read of all trials per trial


def test_an_idle_look_reads_only_what_changed(tmp_path):
    handle = study(tmp_path, 20)
    Worker(handle, noop, poll=0.01).run()
    view = TrialView(handle)
    assert view.ledger().done
    sql = Statements(handle)
    for _ in range(5):
        ledger = view.ledger()
    assert ledger.done and sql.total <= 5 * 2, dict(sql.counts)  # BEGIN + one narrow SELECT per look
    full = Ledger.of(handle.trials(), 20)
    assert {k: t.number for k, t in ledger.settled.items()} == {k: t.number for k, t in full.settled.items()}


def test_a_trial_taken_from_its_worker_is_dropped_and_the_worker_goes_on(tmp_path):
    handle = study(tmp_path, 3)
    taken: list[int] = []

    def objective(trial: optuna.Trial, slot: int) -> Outcome:
        if not taken:  # another worker marks this trial lost before its first write (a paused worker)
            taken.append(trial.number)
            assert finish(handle.storage, trial._trial_id, TrialState.FAIL, None, {}, {OUTCOME: LOST})
            handle.enqueue(slot, trial.system_attrs.get("fixed_params", {}))
        trial.suggest_int("w1", 8, 1024, step=8)  # the first write: UpdateFinishedTrialError
        return noop(trial, slot)

    events: list[str] = []
    report = Worker(handle, objective, poll=0.01, on_event=events.append).run()
    assert report.dropped == 1 and report.results == 3
    assert any("taken from this worker" in e for e in events)
    done = results(handle)
    assert len(done) == 3 and sorted(t.system_attrs[SLOT] for t in done) == [0, 1, 2]


def _flaky(real, failures: list[str]):
    """``finish`` that fails as a closed connection would, per ``failures``: 'before' (nothing
    stored) or 'after' (stored, the answer lost)."""

    def flaky(*args, **kwargs):  # noqa: ANN002, ANN003
        if failures:
            when = failures.pop(0)
            if when == "after":
                real(*args, **kwargs)
            raise exc.OperationalError("UPDATE trials", {}, Exception("server closed the connection unexpectedly"))
        return real(*args, **kwargs)

    return flaky


@pytest.mark.parametrize("failures", [["before", "before"], ["after"]])
def test_a_storage_outage_at_a_trials_end_is_waited_out_and_its_result_told_once(tmp_path, monkeypatch, failures):
    handle = study(tmp_path, 3)
    monkeypatch.setattr(worker_module, "finish", _flaky(claims.finish, list(failures)))
    events: list[str] = []
    worker = Worker(handle, noop, poll=0.01, on_event=events.append, patience=30)
    worker.outage.sleep = lambda s: None
    report = worker.run()
    assert report.results == 3 and report.dropped == 0
    done = results(handle)
    assert len(done) == 3 and len(handle.trials()) == 3  # none lost, none twice
    assert sum("storage unreachable" in e for e in events) == 1  # one line per outage
    assert sum("reachable again" in e for e in events) == 1


def test_a_worker_gives_up_on_a_storage_that_stays_away(tmp_path, monkeypatch):
    handle = study(tmp_path, 2)
    monkeypatch.setattr(worker_module, "finish", _flaky(claims.finish, ["before"] * 1000))
    worker = Worker(handle, noop, poll=0.01, on_event=lambda m: None, patience=0.2)
    with pytest.raises(StorageError, match="giving up"):
        worker.run()


def test_a_claim_whose_answer_an_outage_swallowed_is_adopted(tmp_path, monkeypatch):
    handle = study(tmp_path, 3)
    monkeypatch.setattr(worker_module, "claim", _flaky(claims.claim, ["after"]))
    events: list[str] = []
    worker = Worker(handle, noop, poll=0.01, on_event=events.append, patience=30)
    worker.outage.sleep = lambda s: None
    report = worker.run()
    assert report.results == 3 and len(results(handle)) == 3 and len(handle.trials()) == 3
    assert any("its claim was stored before the outage" in e for e in events)
