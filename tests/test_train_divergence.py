"""What the trainer calls divergence: a non-finite or exploded loss is one; a dead network is not."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from designspace import HeadSpec, NetSpec, StageSpec, StemSpec
from designspace.data import load_dataset
from designspace.train import Budget, TrainConfig, train
from designspace.train import trainer as trainer_module
from designspace.train.trainer import EXPLODED_LOSS, divergence

TINY = NetSpec(StemSpec("cifar", 8), (StageSpec("res_basic", 1, 16, 2),), HeadSpec("linear", 10))


@pytest.fixture(scope="module")
def data():
    return load_dataset("synthetic:size=16,train=512,test=256")


def test_divergence_rule() -> None:
    chance = math.log(10)  # a uniform guess, and what a dead network's loss settles near
    assert divergence(chance, 10) is None and divergence(0.01, 10) is None
    assert divergence(EXPLODED_LOSS * chance * 0.99, 10) is None
    assert "exploded" in divergence(1e23, 10)
    assert "became nan" in divergence(math.nan, 10) and "became inf" in divergence(math.inf, 10)


def test_an_exploded_but_finite_loss_is_divergence(data) -> None:
    # fp32 at lr 1e6: losses of 1e6..1e24 that stay finite; before the rule some such runs
    # completed with chance-level error and were scored as trained models
    cfg = TrainConfig(lr=1e6, precision="fp32", batch_size=64)
    r = train(TINY, data, Budget(epochs=1), seed=0, config=cfg, threads=1, device="cpu")
    assert r.status == "diverged" and ("exploded" in r.reason or "became" in r.reason)
    assert r.steps < 512 // 64 and math.isnan(r.test_error)


class _Dead(nn.Module):
    """A network whose features are all zero (every ReLU dead): its output is the head's bias."""

    def __init__(self, spec: NetSpec) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(spec.head.num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :1] * 0 + self.bias


def test_a_dead_network_is_not_divergence(data, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trainer_module, "Network", _Dead)
    r = train(TINY, data, Budget(epochs=1), seed=0, threads=1, device="cpu")
    assert r.status == "ok" and r.reason is None
    assert r.train_loss == pytest.approx(math.log(10), abs=0.3)
    assert r.test_error > 70  # chance level: a bad model, scored as one
