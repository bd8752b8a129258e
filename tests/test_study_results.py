"""What a study stores and reports: failures with reasons, status, export, search mode, resuming rules."""

from __future__ import annotations

import json

import pytest
from optuna.trial import FixedTrial

import designspace as ds
from designspace import spaces
from designspace.cli import main
from designspace.study.config import StudyConfig
from designspace.study.export import COLUMNS, trials_frame
from designspace.study.join import open_existing
from designspace.study.population import population_params

CONFIG = """
[study]
name = "{name}"
trials = {trials}
mode = "{mode}"
heartbeat_interval = 1
grace_period = 3

[space]
name = "anynetx_a"
flops = "1M:3M"

[data]
name = "synthetic:train=256,test=128"

[budget]
epochs = 1

[train]
batch_size = 64
lr = {lr}
{train_extra}"""


def config_file(
    tmp_path, name: str, *, trials: int = 3, mode: str = "population", lr: float = 0.4, train_extra: str = ""
):
    path = tmp_path / f"{name}.toml"
    path.write_text(CONFIG.format(name=name, trials=trials, mode=mode, lr=lr, train_extra=train_extra))
    return path


def worker(config, url: str) -> int:
    return main(["study", "worker", str(config), "--storage", url, "--threads", "1", "--quiet"])


@pytest.mark.slow
def test_diverging_trials_fail_with_a_reason_and_the_study_goes_on(tmp_path, capsys):
    # Every model diverges: lr 1e30 from the first step (no warm-up) makes every weight with a
    # gradient ~1e27, so the next loss is inf/nan or, if finite, far above the trainer's
    # "exploded" limit (an lr of 1e6 with warm-up let one model's loss stay finite on a CPU without bf16).
    config = config_file(tmp_path, "diverge", lr=1e30, train_extra='warmup = 0\nschedule = "constant"\n')
    url = f"sqlite:///{tmp_path / 'study.db'}"
    args = ["--storage", url, "--workers", "1", "--threads", "1", "--results", str(tmp_path), "--no-progress"]
    assert main(["study", "run", str(config), *args]) == 0
    trials = open_existing(url, "diverge").trials()
    assert len(trials) == 3 and all(t.state.name == "FAIL" for t in trials)
    assert all(t.user_attrs["reason"].startswith("diverged") for t in trials)
    assert all("spec" in t.user_attrs and "flops" in t.user_attrs for t in trials)
    capsys.readouterr()
    assert main(["study", "status", "diverge", "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "3 with a result (done)" in out and "FAIL 3" in out and "diverged 3" in out
    assert main(["study", "status", "diverge", "--storage", url, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["failed_results"] == 3 and summary["states"] == {"FAIL": 3}
    frame = trials_frame(url, ["diverge"])
    assert frame["reason"].str.startswith("diverged").all() and frame["test_error"].isna().all()


@pytest.mark.slow
def test_export_status_and_resume_rules(tmp_path, capsys):
    config = config_file(tmp_path, "pop", trials=2)
    url = f"journal:{tmp_path / 'study.log'}"
    assert worker(config, url) == 0
    frame = trials_frame(url, ["pop"])
    names = ["d1", "d2", "d3", "d4", "w1", "w2", "w3", "w4", "b1", "b2", "b3", "b4", "g1", "g2", "g3", "g4"]
    columns = list(frame.columns)
    assert columns[: len(COLUMNS) + len(names)] == [*COLUMNS, *names]
    assert {"attr_commit", "attr_slot", "attr_version"} <= set(columns[len(COLUMNS) + len(names) :])
    assert all(c.startswith("attr_") for c in columns[len(COLUMNS) + len(names) :])
    assert str(frame["seed"].dtype) in ("int64", "Int64")
    assert frame["trial"].tolist() == [0, 1] and (frame["state"] == "COMPLETE").all()
    assert frame["test_error"].between(0, 100).all() and frame["flops"].between(1e6, 3e6).all()
    assert frame[["train_loss", "seconds", "images_per_second", "params", "acts"]].notna().all().all()
    assert (frame["space"] == "anynetx_a").all() and (frame["reason"] == "").all()
    # the budget can grow: the new slot continues the same seeded population
    config3 = config_file(tmp_path, "pop", trials=3)
    assert worker(config3, url) == 0
    assert [t.state.name for t in open_existing(url, "pop").trials()] == ["COMPLETE"] * 3
    # CSV export; Parquet without pyarrow is one line naming it
    capsys.readouterr()
    out = tmp_path / "pop.csv"
    assert main(["study", "export", "pop", "--storage", url, "--out", str(out)]) == 0
    assert out.read_text().splitlines()[0].startswith(",".join(COLUMNS))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        capsys.readouterr()
        assert main(["study", "export", "pop", "--storage", url, "--out", str(tmp_path / "x.parquet")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "pyarrow" in err[0]
    # unknown study: ValueError for the analysis, exit 2 for the command
    with pytest.raises(ValueError, match="no study 'nope'"):
        trials_frame(url, ["nope"])
    assert main(["study", "export", "nope", "--storage", url, "--out", str(out)]) == 2
    # another config under the same study name: refused, naming the key that differs
    changed = config_file(tmp_path, "pop", trials=3, lr=0.1)
    capsys.readouterr()
    assert worker(changed, url) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.lr" in err[0] and "already exists" in err[0]
    # status lists the storage's studies
    assert main(["study", "status", "--storage", url]) == 0
    assert "pop" in capsys.readouterr().out


@pytest.mark.slow
def test_search_mode_proposes_inside_the_regime(tmp_path):
    config = config_file(tmp_path, "search", trials=5, mode="search")
    url = f"sqlite:///{tmp_path / 'study.db'}"
    assert worker(config, url) == 0
    trials = open_existing(url, "search").trials()
    assert [t.state.name for t in trials] == ["COMPLETE"] * 5
    assert all(1e6 <= t.user_attrs["flops"] <= 3e6 for t in trials)
    proposals = [t.user_attrs["proposal"] for t in trials]
    assert proposals[:2] == ["uniform", "uniform"]  # the start-up trials
    assert "tpe" in proposals[2:]  # then TPE, inside the regime
    assert len({t.user_attrs["spec"] for t in trials}) == 5


def test_qmc_population_in_the_regime_or_a_pointer_to_uniform():
    def config(space: str, flops: str) -> StudyConfig:
        study, budget = {"name": "q", "trials": 4, "sampler": "qmc"}, {"epochs": 1}
        return StudyConfig.from_dict({"study": study, "space": {"name": space, "flops": flops}, "budget": budget})

    qmc = population_params(config("regnetx", "20M:40M"), 4)
    assert len({tuple(sorted(p.items())) for p in qmc}) == 4
    for p in qmc:
        assert 20e6 <= ds.complexity(spaces.get("regnetx").suggest(FixedTrial(p), 32), 32)["flops"] <= 40e6
    with pytest.raises(ValueError, match="sampler = 'uniform'"):
        population_params(config("anynetx_a", "1M:3M"), 4)


@pytest.mark.slow
def test_a_list_of_training_seeds_trains_each_model_once_per_seed_and_reports_the_mean(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    for name, seeds in (("pair", "[5, 900]"), ("five", "5"), ("nine", "900")):
        path = config_file(tmp_path, name, trials=2)
        path.write_text(path.read_text().replace("heartbeat_interval", f"train_seed = {seeds}\nheartbeat_interval"))
        assert worker(path, url) == 0
    pair, five, nine = (open_existing(url, n).trials() for n in ("pair", "five", "nine"))
    for slot in range(2):
        u = pair[slot].user_attrs
        assert u["seeds"] == [5 + slot, 900 + slot] and u["seed"] == 5 + slot
        # each training is the one a single-seed study runs (training is deterministic), and the
        # trial's error is their mean; the time is their sum
        assert u["test_errors"] == [five[slot].value, nine[slot].value]
        assert pair[slot].value == pytest.approx((five[slot].value + nine[slot].value) / 2)
        singles = five[slot].user_attrs["seconds"] + nine[slot].user_attrs["seconds"]
        assert u["seconds"] == pytest.approx(singles, rel=0.8)
        assert "seeds" not in five[slot].user_attrs and "test_errors" not in five[slot].user_attrs


def test_models_outside_the_space_constraint_are_never_trained_or_proposed():
    """RegNet's 4-stage rule holds in every path: population draws, search proposals, the objective."""
    import optuna

    from designspace.spaces.trials import to_optuna
    from designspace.study.objective import TrainObjective, rejects
    from designspace.study.proposal import propose, uniform_draw

    space = spaces.get("regnetx")
    config = StudyConfig.from_dict(
        {
            "study": {"name": "r", "trials": 12, "mode": "search", "sampler": "tpe"},
            "space": {"name": "regnetx", "flops": "4M:8M"},
            "data": {"name": "synthetic:train=64,test=32"},
            "budget": {"epochs": 1},
        }
    )
    # the objective refuses a 6-stage model before training it (an enqueued trial, say)
    six = {"d": 30, "w0": 8, "wa": 30.0, "wm": 1.6, "g": 8}
    assert "the generator gives" in space.violation(six, 32)
    outcome = TrainObjective(config)(FixedTrial(six), 0)
    assert outcome.state == "FAIL" and outcome.reason.startswith("outside regnetx: the generator gives")
    # uniform draws and TPE's proposals (after the start-up trials) are all 4-stage models in the regime
    dists = {k: to_optuna(v) for k, v in space.distributions(32).items()}  # RegNet has no box to cut
    drawn = [uniform_draw(space, config, seed) for seed in range(10)]
    done = [optuna.trial.create_trial(params=p, distributions=dists, value=60.0 + i) for i, p in enumerate(drawn)]
    for seed in range(3):
        params, _, how = propose(config, space, done, seed, optuna.samplers.TPESampler(seed=seed))
        assert how == "tpe"
        spec = space.suggest(FixedTrial(params), 32)
        assert rejects(config, space, params, ds.complexity(spec, 32)) == "" and len(spec.stages) == 4
