"""The bookkeeping under races, in one process with a stand-in objective (the processes are in
test_study_workers.py): duplicate trials of a slot give way, a creator that died while queueing
is repaired, a lost trial is re-queued with its parameters."""

from __future__ import annotations

import time

import optuna
from optuna.trial import TrialState

from designspace.study.config import StudyConfig
from designspace.study.join import join_study
from designspace.study.objective import Outcome, slot_params
from designspace.study.slots import FIXED, HEARTBEAT, OUTCOME, SLOT, STUDY_CREATED, Ledger
from designspace.study.worker import Worker

CONFIG = {
    "study": {"name": "s", "trials": 3, "heartbeat_interval": 1, "grace_period": 2},
    "space": {"name": "anynetx_a", "flops": "1M:3M"},
    "data": {"name": "synthetic"},
    "budget": {"epochs": 1},
}


def objective(trial: optuna.Trial, slot: int) -> Outcome:
    """Stands in for training: the error is a function of the model's sampled widths."""
    widths = [trial.suggest_int(f"w{i}", 8, 1024, step=8) for i in range(1, 5)]
    return Outcome("COMPLETE", value=float(sum(widths) % 97), attrs={"slot_seen": slot})


def make(tmp_path, **study):
    config = StudyConfig.from_dict({**CONFIG, "study": {**CONFIG["study"], **study}})
    url = f"sqlite:///{tmp_path / 'study.db'}"
    return config, url


def results(handle) -> list:
    return sorted((t for t in handle.trials() if t.state == TrialState.COMPLETE), key=lambda t: t.number)


def test_a_second_trial_for_a_slot_gives_way(tmp_path):
    config, url = make(tmp_path)
    handle = join_study(config, url, lambda n: slot_params(config, n))
    params = Ledger.of(handle.trials(), 3).params_for(1)
    handle.enqueue(1, params)  # what two workers repairing the same slot at once leave behind
    report = Worker(handle, objective, poll=0.05).run()
    done = results(handle)
    assert report.results == 3 and len(done) == 3
    assert sorted(t.system_attrs[SLOT] for t in done) == [0, 1, 2]
    dup = [t for t in handle.trials() if t.system_attrs.get(OUTCOME) == "duplicate"]
    assert len(dup) == 1 and dup[0].state == TrialState.FAIL and dup[0].system_attrs[SLOT] == 1
    assert [t.user_attrs["slot_seen"] for t in done] == [t.system_attrs[SLOT] for t in done]


def test_of_two_claims_of_a_slot_the_lower_number_keeps_it(tmp_path):
    config, url = make(tmp_path)
    handle = join_study(config, url, lambda n: slot_params(config, n))
    handle.enqueue(1, Ledger.of(handle.trials(), 3).params_for(1))
    first, second = (t for t in Ledger.of(handle.trials(), 3).claimable() if t.system_attrs[SLOT] == 1)
    assert handle.storage.set_trial_state_values(second._trial_id, TrialState.RUNNING)
    ledger = Ledger.of(handle.trials(), 3)
    mine = next(t for t in ledger.history[1] if t.number == second.number)
    assert not ledger.keeps(mine)  # the lower-numbered trial of its slot is still live (WAITING)
    assert handle.storage.set_trial_state_values(first._trial_id, TrialState.RUNNING)
    ledger = Ledger.of(handle.trials(), 3)
    assert ledger.keeps(next(t for t in ledger.history[1] if t.number == first.number))
    assert not ledger.keeps(next(t for t in ledger.history[1] if t.number == second.number))


def test_a_creator_that_died_while_queueing_is_repaired(tmp_path):
    config, url = make(tmp_path)
    # The creator stored the config and queued slot 0 only, then died.
    storage = optuna.storages.get_storage(optuna.storages.RDBStorage(url))
    sid = storage.create_new_study([optuna.study.StudyDirection.MINIMIZE], "s")
    storage.set_study_user_attr(sid, "config", config.to_dict())
    storage.set_study_user_attr(sid, "trials", 3)
    storage.set_study_system_attr(sid, STUDY_CREATED, time.time() - 3600)
    population = slot_params(config, 3)
    storage.create_new_trial(
        sid,
        template_trial=optuna.trial.create_trial(
            state=TrialState.WAITING, system_attrs={FIXED: population[0], SLOT: 0}
        ),
    )
    handle = join_study(config, url, lambda n: slot_params(config, n), wait_for_queue=0.5)
    assert not handle.created
    Worker(handle, objective, poll=0.05).run()
    done = results(handle)
    assert len(done) == 3 and len(handle.trials()) == 3
    assert [t.system_attrs[FIXED] for t in sorted(done, key=lambda t: t.system_attrs[SLOT])] == population


def test_a_silent_running_trial_is_lost_and_rerun_with_its_parameters(tmp_path):
    config, url = make(tmp_path)
    handle = join_study(config, url, lambda n: slot_params(config, n))
    # A worker claimed slot 0 and vanished: RUNNING, last heartbeat long ago.
    first = Ledger.of(handle.trials(), 3).claimable()[0]
    assert handle.storage.set_trial_state_values(first._trial_id, TrialState.RUNNING)
    handle.storage.set_trial_system_attr(first._trial_id, HEARTBEAT, time.time() - 10)
    Worker(handle, objective, poll=0.05).run()
    trials = handle.trials()
    lost = next(t for t in trials if t.number == first.number)
    assert lost.state == TrialState.FAIL and lost.system_attrs[OUTCOME] == "lost"
    rerun = next(t for t in results(handle) if t.system_attrs[SLOT] == 0)
    fixed = first.system_attrs[FIXED]
    assert rerun.system_attrs[FIXED] == fixed and rerun.params == {f"w{i}": fixed[f"w{i}"] for i in range(1, 5)}
    assert len(results(handle)) == 3 and len(trials) == 4


def test_a_model_that_kills_its_worker_every_time_ends_failed(tmp_path):
    config, url = make(tmp_path)
    handle = join_study(config, url, lambda n: slot_params(config, n))
    worker = Worker(handle, objective, poll=0.05)
    for _ in range(3):  # slot 0's worker dies three times (e.g. the kernel's OOM killer)
        claimed = next(t for t in Ledger.of(handle.trials(), 3).claimable() if t.system_attrs[SLOT] == 0)
        assert handle.storage.set_trial_state_values(claimed._trial_id, TrialState.RUNNING)
        handle.storage.set_trial_system_attr(claimed._trial_id, HEARTBEAT, time.time() - 10)
        assert worker._fail_stale(handle.ledger())
    slot0 = [t for t in handle.trials() if t.system_attrs[SLOT] == 0]
    assert [t.system_attrs[OUTCOME] for t in slot0] == ["lost", "lost", "result"]
    assert "lost 3 times" in slot0[-1].user_attrs["reason"]
    worker.run()
    ledger = handle.ledger()
    assert ledger.done and len(handle.trials()) == 5 and len(results(handle)) == 2
