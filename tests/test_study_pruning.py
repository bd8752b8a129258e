"""Multi-fidelity search: the [pruner] config, sub-epoch reports, and pruned trials ending PRUNED once."""

from __future__ import annotations

import copy

import optuna
import pytest
from optuna.trial import TrialState

from designspace import HeadSpec, NetSpec, StageSpec, StemSpec
from designspace.data import load_dataset
from designspace.study.config import StudyConfig
from designspace.study.join import open_existing
from designspace.study.objective import TrainObjective
from designspace.study.pruners import make_pruner, report_count
from designspace.study.slots import OUTCOME, RESULT
from designspace.study.worker import run_worker
from designspace.train import Budget, TrainConfig, train

SEARCH = {
    "study": {"name": "p", "trials": 3, "mode": "search", "sampler": "random", "pruner": "hyperband"},
    "space": {"name": "anynetx_a", "flops": "1M:3M"},
    "data": {"name": "synthetic:train=64,test=32"},
    "budget": {"epochs": 1},
    "train": {"batch_size": 16},
    "pruner": {"reports_per_epoch": 4, "reduction_factor": 2},
}


TINY = NetSpec(StemSpec("cifar", 8), (StageSpec("res_basic", 1, 16, 2),), HeadSpec("linear", 10))


def config(**changes: dict) -> StudyConfig:
    data = copy.deepcopy(SEARCH)
    for section, values in changes.items():
        if values is None:
            data.pop(section, None)
        else:
            data.setdefault(section, {}).update(values)
    return StudyConfig.from_dict(data, source="p.toml")


def test_a_pruned_search_config_reads_back_and_is_part_of_the_identity():
    c = config()
    assert (c.pruner, dict(c.pruning)) == ("hyperband", {"reports_per_epoch": 4, "reduction_factor": 2})
    again = StudyConfig.from_dict(c.to_dict())
    assert again == c and again.identity() == c.identity()
    assert c.identity() != config(pruner={"reduction_factor": 3}).identity()  # workers must agree on it
    plain = config(study={"pruner": "none"}, pruner=None)
    assert "pruner" not in plain.to_dict()["study"] and "pruner" not in plain.to_dict()  # as stored before pruners
    hb = make_pruner(c.pruner, c.pruning, c.epochs)
    assert isinstance(hb, optuna.pruners.HyperbandPruner) and hb._max_resource == 4 == report_count(1, 4)
    for name, cls in (("median", "MedianPruner"), ("successive_halving", "SuccessiveHalvingPruner")):
        assert type(make_pruner(name, (("reports_per_epoch", 2),), 1.0)).__name__ == cls


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"study": {"pruner": "hyperbnd"}}, "study.pruner='hyperbnd': must be one of hyperband, median, none,"),
        ({"study": {"mode": "population", "sampler": "uniform"}}, "only search studies are pruned (population"),
        ({"study": {"mode": "population", "sampler": "uniform", "pruner": "none"}}, "[pruner]: only search"),
        ({"pruner": {"n_startup_trials": 2}}, "unknown key 'pruner.n_startup_trials' for study.pruner='hyperband'"),
        ({"pruner": {"reduction_factor": 1}}, "pruner.reduction_factor=1: must be an integer >= 2"),
        ({"pruner": {"reports_per_epoch": 1.5}}, "pruner.reports_per_epoch=1.5: must be an integer >= 1"),
        ({"pruner": {"reports_per_epoch": 1}}, "gives 1 report; raise pruner.reports_per_epoch"),
        ({"pruner": {"min_resource": 4}}, "pruner.min_resource=4: must be below the 4 reports"),
        ({"budget": None}, "needs budget.epochs"),  # a time budget instead
        ({"study": {"train_seed": [0, 1]}}, "needs one study.train_seed"),
    ],
)
def test_bad_pruner_settings_get_one_line_naming_the_key(changes, message):
    if "budget" in changes:
        changes = {"budget": {"seconds": 5}}
        data = {**copy.deepcopy(SEARCH), "budget": {"seconds": 5}}
        with pytest.raises(ValueError) as e:
            StudyConfig.from_dict(data, source="p.toml")
    else:
        with pytest.raises(ValueError) as e:
            config(**changes)
    assert str(e.value).startswith("p.toml: ") and message in str(e.value) and "\n" not in str(e.value)


def test_the_trainer_reports_at_sub_epoch_steps_and_a_raising_hook_ends_the_run(one_thread):
    data = load_dataset("synthetic:train=64,test=32")
    seen: list[tuple[int, dict]] = []
    result = train(
        TINY,
        data,
        Budget(epochs=2),
        config=TrainConfig(batch_size=8),  # 8 steps per epoch, 16 in all
        on_report=lambda i, info: seen.append((i, info)),
        reports=8,
    )
    assert result.status == "ok" and result.steps == 16
    assert [i for i, _ in seen] == list(range(1, 8))  # the 8th is the result itself
    assert [info["steps"] for _, info in seen] == [2, 4, 6, 8, 10, 12, 14]
    assert [info["epochs"] for _, info in seen] == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
    assert all(0 <= info["test_error"] <= 100 for _, info in seen)

    class Stop(Exception):
        pass

    def stop(i: int, info: dict) -> None:
        if i == 2:
            raise Stop(info["steps"])

    with pytest.raises(Stop) as e:
        train(TINY, data, Budget(epochs=2), config=TrainConfig(batch_size=8), on_report=stop, reports=8)
    assert e.value.args == (4,)
    with pytest.raises(ValueError, match="epoch budget"):
        train(TINY, data, Budget(seconds=1), on_report=stop, reports=4)


class PruneAt(optuna.pruners.BasePruner):
    """Prunes every trial at its ``step``-th report."""

    def __init__(self, step: int) -> None:
        self.step = step

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.last_step == self.step


def test_a_pruned_trial_ends_pruned_once_with_its_curve_and_settles_its_slot(tmp_path, monkeypatch, one_thread):
    c = config(study={"trials": 2})
    objective = TrainObjective(c, device="cpu", threads=1)
    objective.__dict__["pruner"] = PruneAt(2)  # the cached pruner: a sure verdict at report 2 of 4
    url = f"sqlite:///{tmp_path / 'study.db'}"
    report = run_worker(c, url, objective=objective, poll=0.05, on_event=lambda m: None)
    trials = open_existing(url, "p").trials()
    assert report.ran == 2 and len(trials) == 2  # ended once each: nothing re-queued or re-run
    for t in trials:
        assert t.state == TrialState.PRUNED and t.value is None
        assert sorted(t.intermediate_values) == [1, 2]
        assert t.system_attrs[OUTCOME] == RESULT
        assert t.user_attrs["reason"].startswith("pruned at report 2/4 (epoch 0.50): test error ")
        assert t.user_attrs["epochs"] == 0.5 and t.user_attrs["cpu_seconds"] > 0
    assert open_existing(url, "p").ledger().done


def test_a_hyperband_search_ends_every_slot_once_complete_or_pruned(tmp_path, one_thread):
    c = config(study={"trials": 4})
    url = f"sqlite:///{tmp_path / 'study.db'}"
    report = run_worker(c, url, device="cpu", threads=1, poll=0.05, on_event=lambda m: None)
    handle = open_existing(url, "p")
    trials = handle.trials()
    assert report.ran == 4 and len(trials) == 4 and handle.ledger().done
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    for t in trials:
        if t.state == TrialState.COMPLETE:  # the whole curve, the last report being the result
            assert sorted(t.intermediate_values) == [1, 2, 3, 4]
            assert t.intermediate_values[4] == t.value
        else:
            assert 1 <= len(t.intermediate_values) < 4
