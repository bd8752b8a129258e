"""A GPU that fails under a trial (a CUDA error) is not the model's result.

Seen on an H200: after one "illegal memory access" the worker's CUDA context was unusable, and
the worker failed every later trial in a tenth of a second each -- 30 of 32 trials recorded as
the models' errors, the study "done". Now the worker re-queues the trial and exits, the runner
starts a new worker in its place, and a model that faults the device every time ends FAIL after
``MAX_LOST`` tries.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from designspace.study.config import StudyConfig
from designspace.study.join import join_study, open_existing
from designspace.study.objective import DeviceFault, Outcome, TrainObjective, slot_params
from designspace.study.outcome import is_device_fault
from designspace.study.slots import MAX_LOST, reason_of
from designspace.study.worker import run_worker

ILLEGAL = "CUDA error: an illegal memory access was encountered"


def config(name: str, trials: int = 3) -> StudyConfig:
    return StudyConfig(name=name, space="anynetx_a", trials=trials, flops=(1e6, 3e6), epochs=1)


def by_slot(url: str, name: str) -> dict[int, list]:
    out: dict[int, list] = {}
    for t in sorted(open_existing(url, name).trials(), key=lambda t: t.number):
        out.setdefault(t.system_attrs["designspace:slot"], []).append(t)
    return out


class FaultOnce:
    """Picklable objective (it runs in spawned workers): slot 1's first attempt faults the device."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __call__(self, trial, slot: int) -> Outcome:  # noqa: ANN001
        if slot == 1 and not Path(self.marker).exists():
            Path(self.marker).touch()
            raise DeviceFault(f"AcceleratorError: {ILLEGAL}")
        return Outcome("COMPLETE", value=50.0 + slot)


def test_a_device_fault_requeues_the_trial_and_stops_the_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    objective = FaultOnce(str(tmp_path / "faulted"))
    with pytest.raises(DeviceFault, match="illegal memory access"):
        run_worker(config("fault"), url, objective=objective)
    slots = by_slot(url, "fault")
    first = slots[1][0]
    assert first.state.name == "FAIL" and first.system_attrs["designspace:outcome"] == "lost"
    assert first.user_attrs["reason"] == f"device fault: AcceleratorError: {ILLEGAL}"
    assert reason_of(first) == first.user_attrs["reason"]  # what status and the export show, not "worker lost"
    assert slots[1][1].state.name == "WAITING"  # re-queued, same model
    assert slots[1][1].params == first.params
    assert 2 not in slots or slots[2][0].state.name == "WAITING"  # the worker ran nothing after the fault
    assert run_worker(config("fault"), url, objective=objective).results == 2  # a new worker finishes
    assert [t[-1].value for t in by_slot(url, "fault").values()] == [50.0, 51.0, 52.0]


def test_a_model_that_faults_the_device_every_time_ends_failed(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"

    def always(trial, slot):  # noqa: ANN001, ANN202
        if slot == 0:
            raise DeviceFault(f"AcceleratorError: {ILLEGAL}")
        return Outcome("COMPLETE", value=1.0)

    for _ in range(MAX_LOST):
        with pytest.raises(DeviceFault):
            run_worker(config("always", trials=2), url, objective=always)
    assert run_worker(config("always", trials=2), url, objective=always).results == 1  # slot 1 only
    tries = by_slot(url, "always")[0]
    assert len(tries) == MAX_LOST and all(t.state.name == "FAIL" for t in tries)
    assert tries[-1].system_attrs["designspace:outcome"] == "result"
    assert tries[-1].user_attrs["reason"].endswith(f"({MAX_LOST} times running this model)")


def test_the_runner_starts_a_new_worker_in_place_of_one_whose_device_faulted(tmp_path, capsys):
    from designspace.study.runner import RunPlan, run_study

    url = f"sqlite:///{tmp_path / 'study.db'}"
    cfg = config("runner", trials=4)
    handle = join_study(cfg, url, lambda n: slot_params(cfg, n))
    said: list[str] = []
    code = run_study(
        cfg, url, RunPlan(1, "cpu", 1), handle, progress=False, poll=0.2, say=said.append,
        objective=FaultOnce(str(tmp_path / "faulted")),
    )  # fmt: skip
    assert code == 0 and said == []
    err = capsys.readouterr().err
    assert f"device fault: AcceleratorError: {ILLEGAL}" in err
    assert "starting a new worker in place of worker" in err
    slots = by_slot(url, "runner")
    assert [t[-1].value for t in slots.values()] == [50.0, 51.0, 52.0, 53.0]
    assert [t.state.name for t in slots[1]] == ["FAIL", "COMPLETE"]


def test_study_worker_says_how_to_go_on_after_a_device_fault(tmp_path, monkeypatch, capsys):
    from designspace.cli import main

    toml = tmp_path / "w.toml"
    toml.write_text(
        '[study]\nname = "w"\nmode = "population"\ntrials = 2\n[space]\nname = "anynetx_a"\nflops = "1M:3M"\n'
        '[data]\nname = "synthetic:train=64,test=32"\n[budget]\nepochs = 1\n'
    )

    def crash(self, trial, slot):  # noqa: ANN001, ANN202
        raise DeviceFault(f"AcceleratorError: {ILLEGAL}")

    monkeypatch.setattr(TrainObjective, "__call__", crash)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    assert main(["study", "worker", str(toml), "--storage", url, "--device", "cpu"]) == 3
    err = capsys.readouterr().err
    assert f"device fault: AcceleratorError: {ILLEGAL}; the trial is re-queued; start the worker again" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "error, fault",
    [
        (RuntimeError(ILLEGAL), True),
        (RuntimeError("CUDA error: device-side assert triggered"), True),
        (RuntimeError("Given groups=4, expected weight to be divisible by 4"), False),  # the model's own
        (ValueError("CUDA error in a message about something else"), False),
    ],
)
def test_which_errors_are_device_faults(error, fault):
    assert is_device_fault(error) is fault


def test_the_train_objective_raises_a_cuda_error_as_a_device_fault_not_a_trial_result(tmp_path, monkeypatch):
    obj = TrainObjective(config("objective"), device="cpu")

    def crash(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise torch.AcceleratorError(ILLEGAL) if hasattr(torch, "AcceleratorError") else RuntimeError(ILLEGAL)

    monkeypatch.setattr(obj, "_train", crash)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    with pytest.raises(DeviceFault, match="illegal memory access"):
        run_worker(config("objective"), url, objective=obj)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_real_cuda_fault_is_sticky_and_classified_as_a_device_fault():
    # In a child process: the fault poisons the CUDA context of the process it happens in.
    code = textwrap.dedent("""
        import torch
        from designspace.study.outcome import is_device_fault
        x = torch.zeros(4, device="cuda")
        try:
            x[torch.tensor([1 << 40], device="cuda")] = 1.0  # out of bounds: a device-side assert
            torch.cuda.synchronize()
            raise SystemExit("no fault")
        except Exception as e:
            assert is_device_fault(e), repr(e)
        try:
            torch.ones(2, device="cuda").sum().item()
            print("not sticky")
        except Exception as e:
            assert is_device_fault(e), repr(e)
            print("sticky")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() in ("sticky", "not sticky")
