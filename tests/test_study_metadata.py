"""What a study records agrees with itself: code version, study name, budget, exported types."""

from __future__ import annotations

import subprocess
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState, create_trial

from designspace.study.config import StudyConfig
from designspace.study.export import trials_frame, write_frame
from designspace.study.join import join_study, open_existing
from designspace.study.slots import STUDY_QUEUED
from designspace.study.version import git_commit

STUDIES_DB = Path(__file__).resolve().parents[1] / "results" / "anynet_cifar" / "studies.db"


def config(name: str, trials: int) -> StudyConfig:
    return StudyConfig(name=name, space="anynetx_a", trials=trials, flops=(1e6, 3e6), epochs=1)


def empty_slots(n: int) -> list[dict]:
    return [{} for _ in range(n)]


def test_dirty_means_the_code_changed_not_a_tracked_result(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "designspace").mkdir()
    (tmp_path / "results").mkdir()
    for path in ("designspace/x.py", "pyproject.toml", "results/study.db"):
        (tmp_path / path).write_text("1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    sha = git_commit(tmp_path)
    assert sha is not None and len(sha) == 40
    (tmp_path / "results" / "study.db").write_text("2\n")  # a running study writes its storage
    (tmp_path / "notes.txt").write_text("untracked\n")
    assert git_commit(tmp_path) == sha
    (tmp_path / "designspace" / "x.py").write_text("2\n")
    assert git_commit(tmp_path) == sha + "+dirty"


def test_raising_the_budget_updates_the_stored_config(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    join_study(config("grow", 2), url, empty_slots)
    handle = join_study(config("grow", 3), url, empty_slots)
    attrs = handle.storage.get_study_user_attrs(handle.study_id)
    system = handle.storage.get_study_system_attrs(handle.study_id)
    assert attrs["trials"] == attrs["config"]["study"]["trials"] == system[STUDY_QUEUED] == 3
    assert open_existing(url, "grow").config.trials == 3


def test_a_copied_study_is_reported_under_its_own_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    join_study(config("first", 2), url, empty_slots)
    optuna.copy_study(from_study_name="first", from_storage=url, to_storage=url, to_study_name="renamed")
    handle = open_existing(url, "renamed")
    assert handle.name == "renamed" and handle.config.space == "anynetx_a"


def test_export_keeps_whole_numbers_whole_and_rounds_the_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    handle = join_study(config("types", 2), url, lambda n: [])
    attrs = {"seed": 3, "flops": 2_000_000, "params": 1000, "acts": 500, "seeds": [3, 1003], "future_field": "x"}
    handle.study.add_trial(create_trial(state=TrialState.COMPLETE, value=58.699999999999996, user_attrs=attrs))
    handle.study.add_trial(create_trial(state=TrialState.FAIL, user_attrs={"reason": "diverged: loss nan"}))
    frame = trials_frame(url, ["types"])
    assert str(frame["seed"].dtype) == "Int64" and frame["seed"].tolist()[0] == 3
    assert frame["test_error"].tolist()[0] == 58.7
    # attributes without a fixed column are kept, prefixed (and never taken for sampled parameters)
    assert frame["attr_future_field"].tolist()[0] == "x" and frame["attr_seeds"].tolist()[0] == "[3, 1003]"
    rows = write_frame(frame, tmp_path / "t.csv").read_text().splitlines()
    header = rows[0].split(",")
    first = dict(zip(header, rows[1].split(","), strict=False))
    assert first["seed"] == "3" and first["test_error"] == "58.7" and first["flops"] == "2000000"


@pytest.mark.skipif(not STUDIES_DB.is_file(), reason=f"{STUDIES_DB} is not there")
def test_the_committed_populations_records_as_docs_studies_md_explains_them() -> None:
    """docs/studies.md, "What a study records": the budget is the ``trials`` attribute; the stored
    config of a study raised before the fix kept its creation-time budget; regnetx_any_stages was
    drawn from the ``regnetx`` space as it was before the 4-stage rule, and its trials say so."""
    url = f"sqlite:///{STUDIES_DB}"
    storage = optuna.storages.get_storage(url)
    for summary in storage.get_all_studies():
        handle = open_existing(url, summary.study_name)
        ledger = handle.ledger()
        system = storage.get_study_system_attrs(handle.study_id)
        assert handle.name == summary.study_name
        assert handle.budget() == int(system[STUDY_QUEUED]) == len(ledger.settled) == handle.config.trials
    handle = open_existing(url, "regnetx_any_stages")
    attrs = storage.get_study_user_attrs(handle.study_id)
    assert attrs["trials"] == 50 and "4-stage" in attrs["note"]
    assert {t.user_attrs["space"] for t in handle.trials()} == {"regnetx"}
    assert attrs["config"]["study"]["name"] == "regnetx"  # the name it was created under
