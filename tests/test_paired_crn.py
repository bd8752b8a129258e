"""Common random numbers for paired studies: identical batches, and identical initial weights of
every module two networks share (same name and shape) when trained with one seed."""

from __future__ import annotations

import torch

from designspace.data import load_dataset
from designspace.data.loader import TrainBatches
from designspace.models.network import Network
from designspace.spaces import get
from designspace.train import Budget, TrainConfig, train
from designspace.train.crn import init_by_module

PARENT = dict(d1=3, d2=1, d3=2, d4=1, w1=16, w2=32, w3=48, w4=64, b=1, g=4)  # AnyNetX-D
CHILD = dict(PARENT, d1=1, d2=1, d3=2, d4=3)  # its depths sorted: another network, same widths


def _nets(seed: int, by_module: bool) -> tuple[dict, dict]:
    out = []
    for space, values in ((get("anynetx_d"), PARENT), (get("anynetx_e"), CHILD)):
        torch.manual_seed(seed)  # what train() does before it builds the network
        net = Network(space.build(values, 32))
        if by_module:
            init_by_module(net, seed)
        out.append(net.state_dict())
    return out[0], out[1]


def test_shared_modules_start_equal_with_init_by_module() -> None:
    a, b = _nets(5, by_module=True)
    shared = [k for k in a if k in b and a[k].shape == b[k].shape and a[k].is_floating_point()]
    later = [k for k in shared if k.startswith(("stages.1", "stages.2", "stages.3", "head"))]
    assert len(later) > 10  # stages after the first difference (stage 1's depth) still share modules
    for k in shared:
        assert torch.equal(a[k], b[k]), k
    # without it, one RNG stream: every module after the first difference starts different
    a0, b0 = _nets(5, by_module=False)
    assert any(not torch.equal(a0[k], b0[k]) for k in later if k.endswith("weight") and a0[k].numel() > 1)
    # and another seed gives other weights
    c, _ = _nets(6, by_module=True)
    assert not torch.equal(a["stem.conv.0.weight"], c["stem.conv.0.weight"])


def test_init_by_module_leaves_the_callers_rng_alone() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    init_by_module(Network(get("anynetx_d").build(PARENT, 32)), 1)
    torch.manual_seed(0)
    assert torch.equal(torch.rand(3), expected)


def test_one_seed_gives_identical_batches_whatever_the_model() -> None:
    data = load_dataset("synthetic:train=200,test=50")

    def batches(seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        tb = TrainBatches(
            data.train_x, data.train_y, batch_size=64, mean=data.mean, std=data.std,
            generator=torch.Generator().manual_seed(seed), padding=4, flip=True,
        )  # fmt: skip
        return [(x.clone(), y.clone()) for x, y in tb]

    one, two = batches(3), batches(3)
    assert all(torch.equal(x1, x2) and torch.equal(y1, y2) for (x1, y1), (x2, y2) in zip(one, two))
    assert not torch.equal(one[0][0], batches(4)[0][0])


def test_train_with_init_by_module_is_reproducible_and_recorded() -> None:
    data = load_dataset("synthetic:train=128,test=64")
    cfg = TrainConfig(precision="fp32", batch_size=64, init_by_module=True)
    spec = get("anynetx_e").build(CHILD, 32)
    r1 = train(spec, data, Budget(epochs=1), 2, config=cfg, threads=1)
    r2 = train(spec, data, Budget(epochs=1), 2, config=cfg, threads=1)
    assert r1.status == "ok" and r1.test_error == r2.test_error and r1.train_loss == r2.train_loss
    assert TrainConfig.from_dict(cfg.to_dict()).init_by_module is True
