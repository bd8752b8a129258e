"""The trainer: learning, reproducibility, divergence, budgets, recipe objects, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from designspace import HeadSpec, NetSpec, StageSpec, StemSpec
from designspace.cli import main
from designspace.data import load_dataset
from designspace.train import SCHEDULES, Budget, TrainConfig, TrainResult, cpu_has_native_bf16, train
from designspace.train.device import select_device, select_precision
from designspace.train.optim import param_groups
from designspace.train.schedules import lr_at

TINY = NetSpec(StemSpec("cifar", 8), (StageSpec("res_basic", 1, 16, 2),), HeadSpec("linear", 10))
SYNTH = "synthetic:size=16,train=1000,test=500"


@pytest.fixture(scope="module")
def data():
    return load_dataset(SYNTH)


def test_tiny_model_learns_synthetic(data) -> None:
    r = train(TINY, data, Budget(epochs=16), seed=0, threads=1)
    assert r.status == "ok" and r.reason is None
    assert r.test_error < 30, f"chance is 90%, got {r.test_error}"
    assert r.train_loss < 1.2
    assert r.epochs == 16 and r.steps == 16 * (1000 // 128) and r.images == r.steps * 128
    on_cpu = select_device("auto").type == "cpu"  # the default device: a GPU where there is one
    assert r.device == str(select_device("auto")) and r.threads == (1 if on_cpu else None)
    assert r.params > 0 and r.flops > 0
    assert r.images_per_second > 0 and r.seconds <= r.total_seconds


@pytest.mark.parametrize("precision, threads", [("auto", 1), ("fp32", 1)])
def test_same_seed_same_error(data, precision: str, threads: int) -> None:
    # bit-for-bit on the CPU; cuDNN's kernels need not be
    cfg = TrainConfig(precision=precision)
    a = train(TINY, data, Budget(epochs=1), seed=5, config=cfg, threads=threads, device="cpu")
    b = train(TINY, data, Budget(epochs=1), seed=5, config=cfg, threads=threads, device="cpu")
    assert (a.test_error, a.train_loss) == (b.test_error, b.train_loss)
    c = train(TINY, data, Budget(epochs=1), seed=6, config=cfg, threads=threads, device="cpu")
    assert c.train_loss != a.train_loss


def test_nan_learning_rate_is_reported_not_raised(data) -> None:
    r = train(TINY, data, Budget(epochs=3), seed=0, config=TrainConfig(lr=1e6), threads=1)
    assert r.status == "diverged" and not r.ok
    assert "exploded" in r.reason or ("loss became" in r.reason and ("nan" in r.reason or "inf" in r.reason))
    assert r.steps < 3 * (1000 // 128), "stops at once"
    assert math.isnan(r.test_error)
    record = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert record["test_error"] is None and record["status"] == "diverged"
    assert math.isnan(TrainResult.from_dict(record).test_error)


def test_time_budget(data) -> None:
    r = train(TINY, data, Budget(seconds=1.0), seed=0, threads=1)
    assert r.status == "ok" and r.steps > 0
    assert 1.0 <= r.seconds < 2.0
    assert r.epochs == pytest.approx(r.steps / (1000 // 128))


def test_on_epoch_hook_and_fractional_budget(data) -> None:
    seen: list[tuple[int, dict]] = []
    cfg = TrainConfig(eval_each_epoch=True)
    r = train(TINY, data, Budget(epochs=2.5), seed=0, config=cfg, threads=1, on_epoch=lambda e, i: seen.append((e, i)))
    assert [e for e, _ in seen] == [1, 2, 3]
    assert r.steps == math.ceil(2.5 * 7)
    assert {"epochs", "steps", "train_loss", "lr", "seconds", "images_per_second", "test_error"} <= set(seen[0][1])
    assert seen[-1][1]["test_error"] == pytest.approx(r.test_error)


def test_one_channel_data_retargets_the_model() -> None:
    gray = load_dataset("synthetic:channels=1,size=12,classes=4,train=256,test=64")
    r = train(TINY, gray, Budget(epochs=1), seed=0, threads=1)
    assert r.status == "ok" and r.params < 4082  # 1 input channel, 4 classes


def test_train_leaves_rng_and_threads_alone(data) -> None:
    torch.manual_seed(123)
    state, threads = torch.get_rng_state(), torch.get_num_threads()
    train(TINY, data, Budget(epochs=0.2), seed=1, threads=1)
    assert torch.equal(torch.get_rng_state(), state) and torch.get_num_threads() == threads


def test_weight_decay_only_on_weights() -> None:
    from designspace.models.network import Network

    decay, no_decay = param_groups(Network(TINY), 5e-4)
    assert all(p.ndim > 1 for p in decay["params"]) and decay["weight_decay"] == 5e-4
    assert all(p.ndim == 1 for p in no_decay["params"]) and no_decay["weight_decay"] == 0
    assert len(no_decay["params"]) > 0  # BN weights/biases and the linear bias


def test_config_and_budget_objects() -> None:
    cfg = TrainConfig(lr=0.2, schedule="cosine")
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert hash(cfg) == hash(TrainConfig(lr=0.2, schedule="cosine"))
    with pytest.raises(ValueError, match="unknown key 'lr_max'"):
        TrainConfig.from_dict({"lr_max": 1})
    for bad in ({"lr": 0}, {"schedule": "step"}, {"precision": "int8"}, {"batch_size": 0}, {"warmup": 2}):
        with pytest.raises(ValueError):
            TrainConfig(**bad)
    assert Budget(epochs=10) == Budget.from_dict({"epochs": 10.0}) and str(Budget(seconds=30)) == "30 s"
    for bad in ({}, {"epochs": 1, "seconds": 1}, {"epochs": 0}, {"seconds": -1}):
        with pytest.raises(ValueError):
            Budget(**bad)


def test_schedules() -> None:
    assert set(SCHEDULES.names()) == {"onecycle", "cosine", "constant"}
    for name in ("onecycle", "cosine"):
        assert lr_at(name, 0.0, 0.4, 0.2) == pytest.approx(0.016)
        assert lr_at(name, 0.2, 0.4, 0.2) == pytest.approx(0.4)
        assert lr_at(name, 1.0, 0.4, 0.2) == pytest.approx(0.0)
        values = [lr_at(name, p / 100, 0.4, 0.2) for p in range(20, 101)]
        assert all(a >= b for a, b in zip(values, values[1:]))
    assert lr_at("constant", 0.9, 0.4, 0.2) == 0.4
    assert lr_at("cosine", 0.6, 1.0, 0.2) == pytest.approx(0.5)


def test_device_and_precision_selection() -> None:
    cpu = torch.device("cpu")
    assert select_precision("auto", cpu) == ("bf16" if cpu_has_native_bf16() else "fp32")
    assert select_precision("fp32", cpu) == "fp32"
    with pytest.raises(ValueError, match="CUDA"):
        select_precision("fp16", cpu)
    with pytest.raises(ValueError, match="device"):
        select_device("tpu")
    if not torch.cuda.is_available():
        assert select_device("auto") == cpu
        with pytest.raises(ValueError, match="not available"):
            select_device("cuda")


# -- CLI ---------------------------------------------------------------------------------------
def test_cli_train_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = tmp_path / "tiny.json"
    spec.write_text(TINY.to_json())
    argv = ["train", str(spec), "--dataset", SYNTH, "--epochs", "1", "--threads", "1", "--json", "--no-progress"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("test_error", "train_loss", "epochs", "seconds", "images_per_second", "device", "precision"):
        assert key in out
    assert out["status"] == "ok" and out["reason"] is None and out["flops"] > 0 and out["params"] > 0
    assert main([*argv, "--lr", "1e6", "--epochs", "3"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "diverged" and "diverged" in captured.err


def test_cli_bad_model_and_config(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["train", "resnet21_cifar", "--dataset", SYNTH]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert main(["train", "resnet20_cifar", "--dataset", SYNTH, "--config", '{"lr": -1}']) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "lr" in err


def test_scores_measure_without_changing_the_training(data) -> None:
    plain = train(TINY, data, Budget(epochs=3), seed=2, threads=1, device="cpu", config=TrainConfig(precision="fp32"))
    cfg = TrainConfig(precision="fp32", scores=True, ema=0.9, eval_last=3)
    scored = train(TINY, data, Budget(epochs=3), seed=2, threads=1, device="cpu", config=cfg)
    assert plain.scores is None and plain.device_name
    assert (scored.test_error, scored.train_loss) == (plain.test_error, plain.train_loss)
    s = scored.scores
    assert set(s) == {
        "error",
        "loss",
        "flip_error",
        "ema_error",
        "ema_loss",
        "last_error",
        "eval_seconds",
        "eval_cpu_seconds",
    }
    assert s["error"] == scored.test_error and s["loss"] > 0 and s["eval_seconds"] > 0
    assert 0 <= s["flip_error"] <= 100 and 0 <= s["ema_error"] <= 100
    assert s["last_error"] != s["error"] or s["ema_error"] != s["error"]  # three evaluations, not one
    assert json.loads(json.dumps(scored.to_dict()))["scores"]["error"] == s["error"]


def test_common_seed_replaces_the_run_seed(data) -> None:
    cfg = TrainConfig(precision="fp32", common_seed=11)
    a = train(TINY, data, Budget(epochs=1), seed=1, threads=1, device="cpu", config=cfg)
    b = train(TINY, data, Budget(epochs=1), seed=2, threads=1, device="cpu", config=cfg)
    assert a.train_loss == b.train_loss and (a.seed, b.seed) == (1, 2)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"ema": 0.9}, "scores=true"), ({"ema": 1.0, "scores": True}, "decay"), ({"common_seed": -1}, "common_seed")],
)
def test_calibration_knobs_are_checked(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_pinned_bf16_on_a_cpu_without_it_stops_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    import designspace.train.device as device
    from designspace.study.objective import ALLOW_EMULATED, check_precision

    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    monkeypatch.delenv(ALLOW_EMULATED, raising=False)
    with pytest.raises(ValueError, match="no native bf16") as e:
        check_precision("bf16", "cpu")
    assert "\n" not in str(e.value)
    check_precision("fp32", "cpu")  # fp32 and auto are always native
    check_precision("auto", "cpu")
    monkeypatch.setenv(ALLOW_EMULATED, "1")
    check_precision("bf16", "cpu")
