"""A study trains in one precision: the first worker pins what it resolves, others follow or stop."""

from __future__ import annotations

from pathlib import Path

import pytest

import designspace.train.device as device
from designspace.study.config import StudyConfig, load_config
from designspace.study.join import join_study, open_existing
from designspace.study.objective import ALLOW_EMULATED, STUDY_PRECISION, TrainObjective, pin_precision


def config(**train: object) -> StudyConfig:
    return StudyConfig(name="pinned", space="anynetx_a", trials=1, epochs=1, dataset="synthetic", train=train)


@pytest.fixture
def handle(tmp_path: Path):
    return join_study(config(), f"sqlite:///{tmp_path / 's.db'}", lambda n: [{} for _ in range(n)])


def test_first_worker_pins_auto_later_workers_on_other_cpus_stop(handle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_EMULATED, raising=False)
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)
    assert pin_precision(handle, "auto", "cpu") == "bf16"
    again = open_existing(handle.url, "pinned")
    assert again.storage.get_study_system_attrs(again.study_id)[STUDY_PRECISION] == "bf16"
    assert pin_precision(again, "auto", "cpu") == "bf16"  # the same kind of CPU: goes on
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)  # an AVX2-only CPU joins
    with pytest.raises(ValueError, match="trains in bf16 but this cpu .* would use fp32") as e:
        pin_precision(again, "auto", "cpu")
    assert "\n" not in str(e.value) and ALLOW_EMULATED in str(e.value)
    monkeypatch.setenv(ALLOW_EMULATED, "1")  # told to go on: trains in the study's precision
    objective = TrainObjective(again.config, device="cpu")
    objective.pin_precision(again)
    assert objective.recipe.precision == "bf16"


def test_explicit_precision_is_pinned_as_given(handle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    assert pin_precision(handle, "fp32", "cpu") == "fp32"
    with pytest.raises(ValueError, match="trains in fp32"):
        pin_precision(handle, "bf16", "cpu")


def test_a_study_made_before_the_rule_keeps_its_trials_precision(handle, monkeypatch: pytest.MonkeyPatch) -> None:
    import optuna

    monkeypatch.delenv(ALLOW_EMULATED, raising=False)
    trial = optuna.trial.create_trial(
        state=optuna.trial.TrialState.COMPLETE, value=50.0, user_attrs={"precision": "bf16"}
    )
    handle.storage.create_new_trial(handle.study_id, template_trial=trial)
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)  # an AVX2-only CPU joins first
    with pytest.raises(ValueError, match="trains in bf16 but this cpu"):
        pin_precision(handle, "auto", "cpu")


def test_the_worker_command_follows_the_studys_precision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """``study worker`` runs the library's worker entry point, precision pinning included: on a CPU
    that would resolve another precision than the study's it stops in one line before any trial."""
    from designspace.cli import main
    from designspace.study.objective import slot_params

    toml = tmp_path / "pinned.toml"
    toml.write_text(
        '[study]\ntrials = 1\n[space]\nname = "anynetx_a"\nflops = "1M:3M"\n'
        '[data]\nname = "synthetic:train=32,test=16"\n[budget]\nepochs = 1\n'
    )
    url = f"sqlite:///{tmp_path / 's.db'}"
    made = join_study(load_config(toml), url, lambda n: slot_params(load_config(toml), n))
    made.storage.set_study_system_attr(made.study_id, STUDY_PRECISION, "bf16")  # its first worker's
    monkeypatch.delenv(ALLOW_EMULATED, raising=False)
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    assert main(["study", "worker", str(toml), "--storage", url, "--device", "cpu", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "trains in bf16 but this cpu" in err[0], err
    assert [t.state.name for t in open_existing(url, "pinned").trials()] == ["WAITING"]  # nothing ran
