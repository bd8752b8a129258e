"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def measure_complexity(model: nn.Module, x: torch.Tensor) -> tuple[dict[str, int], torch.Tensor]:
    """What torch itself measures for one forward pass of ``x``, per sample, and the output.

    flops = FlopCounterMode's count / 2 (it counts a multiply-add as 2) + the bias adds of conv and
    linear layers (FlopCounterMode leaves them out); params = numel of the parameters; acts =
    output elements of conv, linear and (max/average, not adaptive) pooling layers, pycls's
    convention (forward hooks). Works on the meta device too.
    """
    n = x.shape[0]
    acts, bias_adds = 0, 0

    def hook(module: nn.Module, _inputs: object, out: torch.Tensor) -> None:
        nonlocal acts, bias_adds
        acts += out.numel() // n
        if getattr(module, "bias", None) is not None:
            bias_adds += out.numel() // n

    counted = (nn.Conv2d, nn.Linear, nn.MaxPool2d, nn.AvgPool2d)
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, counted)]
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    total = counter.get_total_flops()
    assert total % (2 * n) == 0
    measured = {
        "flops": total // (2 * n) + bias_adds,
        "params": sum(p.numel() for p in model.parameters()),
        "acts": acts,
    }
    return measured, out


@pytest.fixture
def measure() -> Callable[[nn.Module, torch.Tensor], tuple[dict[str, int], torch.Tensor]]:
    """:func:`measure_complexity`: torch's own flops/params/acts of a model on an input."""
    return measure_complexity


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tiny models on one torch thread (faster than two on a shared CI CPU)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def cifar_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One decode-cache folder for every test that reads the real CIFAR-10 (decoded once per run)."""
    return tmp_path_factory.mktemp("cifar-cache")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (the real CIFAR-10); the test is skipped without it."""
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (path / "cifar10" / "train").is_dir():
        pytest.skip(f"CIFAR-10 not found at {path / 'cifar10'}")
    return path
