"""The classic CNNs (LeNet -> AlexNet -> VGG -> NiN -> GoogLeNet) built from specs.

Parameter counts (and flops/acts) equal torchvision's, analytic complexity equals the built
module at the usual and at a smaller resolution, forward shapes, and the blocks, heads and spec
fields they need (``conv``/``maxpool``/``avgpool``/``nin``/``inception`` blocks, ``flatten``/``nin``
heads, ``kernel``/``padding``/``activation``/``branches`` and ``pool_size``/head ``activation``/``bn``).
"""

from __future__ import annotations

import json
import random

import pytest
import torch
import torchvision
from torch import nn

import designspace as ds
from designspace.data import load_dataset
from designspace.models.blocks.inception import branch_widths
from designspace.models.network import Network, complexity_table
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec

CLASSIC = ("lenet5", "lenet5_bn", "alexnet", "nin", "googlenet", "googlenet_3x3", "vgg11", "vgg16")
TORCHVISION = {
    "alexnet": lambda: torchvision.models.alexnet(),
    "vgg11": lambda: torchvision.models.vgg11(),
    "vgg16": lambda: torchvision.models.vgg16(),
    "googlenet_3x3": lambda: torchvision.models.googlenet(aux_logits=False, init_weights=False),
}
# A smaller input every classic net still runs on, to check exactness away from the design size.
SMALL = {"lenet5": 20, "lenet5_bn": 36}
ORIGINAL_STAGE_KEYS = {"block", "depth", "width", "stride", "bottleneck", "group_width", "se", "bn"}


def numel(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_same_counts_as_torchvision(name: str, measure) -> None:
    with torch.device("meta"):
        theirs = TORCHVISION[name]().eval()
        ours = ds.build_model(name).eval()
        theirs_cx, _ = measure(theirs, torch.empty(1, 3, 224, 224))
    assert numel(ours) == numel(theirs) == ds.complexity(name)["params"]
    assert ds.complexity(name) == theirs_cx  # same flops and acts as well


def test_published_parameter_counts() -> None:
    assert ds.complexity("alexnet")["params"] == 61_100_840
    assert ds.complexity("lenet5", 28)["params"] == 61_706
    with torch.device("meta"):
        assert numel(ds.build_model("lenet5")) == 61_706


def test_googlenet_5x5_branch_is_the_only_difference() -> None:
    """The paper's 5x5 branch adds (25 - 9) * reduce * width weights per module over torchvision's 3x3."""
    paper, tv = ds.zoo.get("googlenet"), ds.zoo.get("googlenet_3x3")
    extra = sum(16 * s.branches[3] * s.branches[4] for s in paper.stages if s.block == "inception")
    assert ds.complexity(paper)["params"] - ds.complexity(tv)["params"] == extra
    with torch.device("meta"):
        model = ds.build_model(paper)
    kernels = {m.kernel_size for m in model.modules() if isinstance(m, nn.Conv2d)}
    assert (5, 5) in kernels and (7, 7) in kernels
    assert [s.width for s in paper.stages[2:]] == [256, 480, 512, 512, 512, 528, 832, 832, 1024]


@pytest.mark.parametrize("name", CLASSIC)
def test_classic_complexity_is_exact(name: str, measure) -> None:
    """At the design resolution (meta device: shapes only) and, run for real, at a smaller one."""
    spec, res = ds.zoo.get(name), ds.zoo.resolution(name)
    c = spec.stem.in_channels
    with torch.device("meta"):
        got, out = measure(ds.build_model(name).eval(), torch.empty(1, c, res, res))
    assert got == ds.complexity(name, res)
    assert out.shape == (1, spec.head.num_classes)
    small = SMALL.get(name, 64 if name.startswith("vgg") else 96)
    torch.manual_seed(0)
    got, out = measure(ds.build_model(name).eval(), torch.randn(1, c, small, small))
    assert got == ds.complexity(name, small)
    assert out.shape == (1, spec.head.num_classes) and torch.isfinite(out).all()


def test_lenet5_layout() -> None:
    spec = ds.zoo.get("lenet5")
    rows = complexity_table(spec, 28)
    assert [(r.out_width, r.out_size) for r in rows[1:-1]] == [
        (6, (28, 28)),
        (6, (14, 14)),
        (16, (10, 10)),
        (16, (5, 5)),
    ]
    model = ds.build_model("lenet5")
    assert sum(isinstance(m, nn.Sigmoid) for m in model.modules()) == 4
    assert not any(isinstance(m, (nn.ReLU, nn.BatchNorm2d, nn.BatchNorm1d)) for m in model.modules())
    assert [m.in_features for m in model.modules() if isinstance(m, nn.Linear)] == [400, 120, 84]
    assert [m.padding for m in model.modules() if isinstance(m, nn.Conv2d)] == [(2, 2), (0, 0)]
    bn = ds.build_model("lenet5_bn")
    assert sum(isinstance(m, nn.BatchNorm2d) for m in bn.modules()) == 2
    assert sum(isinstance(m, nn.BatchNorm1d) for m in bn.modules()) == 2
    assert not any(isinstance(m, nn.Sigmoid) for m in bn.modules())


def test_overrides_for_other_data() -> None:
    with torch.device("meta"):
        assert ds.build_model("nin", num_classes=10)(torch.empty(2, 3, 224, 224)).shape == (2, 10)
        assert ds.build_model("alexnet", num_classes=10, in_channels=1)(torch.empty(2, 1, 224, 224)).shape == (2, 10)
        assert ds.build_model("googlenet", num_classes=10, in_channels=1)(torch.empty(2, 1, 96, 96)).shape == (2, 10)


def test_inception_branch_rule() -> None:
    # 3a's split of the output; the reduces shrink their branch by the bottleneck ratio
    assert branch_widths(StageSpec("inception", 1, 256, bottleneck=2.0)) == (64, 64, 128, 16, 32, 32)
    assert branch_widths(StageSpec("inception", 1, 256)) == (64, 128, 128, 32, 32, 32)
    assert branch_widths(StageSpec("inception", 1, 12, bottleneck=4.0)) == (3, 2, 6, 1, 1, 2)
    assert branch_widths(StageSpec("inception", 1, 3)) == (0, 1, 1, 0, 0, 2)  # empty branches are left out
    paper = (64, 96, 128, 16, 32, 32)
    assert branch_widths(StageSpec("inception", 1, 256, branches=paper)) == paper
    for w in (1, 3, 7, 8, 37):
        block = Network(NetSpec(StemSpec("cifar", 5), (StageSpec("inception", 2, w, 2),), HeadSpec())).stages[0]
        assert block(torch.randn(1, 5, 9, 9)).shape == (1, w, 5, 5)


@pytest.mark.parametrize("block", ["conv", "nin", "inception", "maxpool", "avgpool"])
def test_new_block_fields_exact(block: str, measure) -> None:
    """The shared contract test draws no kernel/padding/activation: draw them here."""
    rng = random.Random(block)
    torch.manual_seed(0)
    checked = 0
    while checked < 12:
        kw = {"kernel": rng.choice((None, 1, 3, 5)), "activation": rng.choice(("relu", "sigmoid", "tanh", "gelu"))}
        if block != "inception":
            kw["kernel"] = rng.choice((None, 1, 2, 3, 5))
            kw["padding"] = rng.choice((None, 0, 1))
        stage = StageSpec(
            block, rng.randint(1, 3), rng.choice((4, 8, 12)), rng.choice((1, 2)), bn=rng.random() < 0.5, **kw
        )
        spec = NetSpec(StemSpec("cifar", 6), (stage, StageSpec(block, 1, 8, 2)), HeadSpec("flatten", 3, pool_size=2))
        res = rng.randint(12, 24)
        try:
            want = ds.complexity(spec, res)
        except ValueError as e:
            assert "vanishes" in str(e) or "pool allows at most" in str(e), e
            continue
        got, out = measure(ds.build_model(spec).eval(), torch.randn(2, 3, res, res))
        assert got == want, spec.to_json()
        assert out.shape == (2, 3)
        checked += 1


def test_pool_blocks_keep_width_and_default_window() -> None:
    spec = NetSpec(StemSpec("none", 3), (StageSpec("conv", 1, 8), StageSpec("maxpool", 1, 99, 2)), HeadSpec())
    row = complexity_table(spec, 32)[2]
    assert (row.out_width, row.out_size) == (8, (16, 16))  # window = stride: 2x2, no padding
    with pytest.raises(ValueError, match="padding=2: a 3x3 pool allows at most 1"):
        ds.complexity(NetSpec(StemSpec("none", 3), (StageSpec("avgpool", 1, 3, 2, kernel=3, padding=2),)), 32)
    with pytest.raises(ValueError, match="kernel=4: an inception module needs an odd kernel"):
        ds.complexity(NetSpec(StemSpec("cifar", 8), (StageSpec("inception", 1, 16, kernel=4),)), 32)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: StageSpec("conv", 1, 8, kernel=0), "kernel=0"),
        (lambda: StageSpec("conv", 1, 8, kernel=3.0), "kernel=3.0"),
        (lambda: StageSpec("conv", 1, 8, padding=-1), "padding=-1"),
        (lambda: StageSpec("conv", 1, 8, activation="relu7"), r"activation='relu7'.*relu"),
        (lambda: StageSpec("inception", 1, 8, branches=(1, 1, 1, 1, 1, 1)), "branches=.*add up to width 8"),
        (lambda: StageSpec("inception", 1, 4, branches=(1, 0, 1, 1, 1, 1)), "branches=.*positive"),
        (lambda: HeadSpec("flatten", pool_size=0), "pool_size=0"),
        (lambda: HeadSpec(activation="sigmoidd"), r"activation='sigmoidd'.*did you mean: sigmoid"),
        (lambda: HeadSpec(bn=1), "bn=1"),
        (lambda: HeadSpec("flaten"), r"kind='flaten'.*flatten"),
        (
            lambda: NetSpec.from_dict({"stem": {}, "stages": [{"block": "nin", "depth": 1, "width": 8, "kernel": -3}]}),
            r"stages\[0\]\.kernel=-3",
        ),
    ],
)
def test_new_fields_are_validated(make, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_new_fields_leave_existing_json_unchanged() -> None:
    old = ds.zoo.get("resnet20_cifar").to_dict()
    assert all(set(s) == ORIGINAL_STAGE_KEYS for s in old["stages"])
    assert set(old["head"]) == {"kind", "num_classes", "hidden", "dropout"}
    d = ds.zoo.get("googlenet").to_dict()
    assert d["stages"][2]["branches"] == [64, 96, 128, 16, 32, 32] and d["stages"][2]["kernel"] == 5
    assert "padding" not in d["stages"][2] and "activation" not in d["stages"][2]
    for name in CLASSIC:
        spec = ds.zoo.get(name)
        text = spec.to_json()
        assert NetSpec.from_json(text) == spec and NetSpec.from_json(text).to_json() == text
        assert hash(spec) == hash(NetSpec.from_dict(json.loads(text)))


def test_head_dropout_without_hidden_layers() -> None:
    """With no hidden layer, dropout applies to the classifier input (GoogLeNet); weights keep their keys."""
    spec = NetSpec(StemSpec("cifar", 8), (StageSpec("res_basic", 1, 8),), HeadSpec("linear", 10, dropout=0.5))
    model = ds.build_model(spec)
    assert any(isinstance(m, nn.Dropout) for m in model.head.modules())
    assert "head.fc.0.weight" in model.state_dict()
    model.train()
    x = torch.randn(4, 3, 8, 8)
    torch.manual_seed(0)
    a = model(x)
    torch.manual_seed(1)
    assert not torch.equal(a, model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


@pytest.mark.parametrize(
    "spec, data_opts",
    [
        (
            NetSpec(
                StemSpec("cifar", 16),
                tuple(StageSpec("nin", 1, w, s, kernel=3) for w, s in ((32, 1), (64, 2))),
                HeadSpec("linear", 4),
            ),
            "size=16",
        ),
        (
            NetSpec(
                StemSpec("cifar", 16),
                (StageSpec("inception", 1, 32, 1, bottleneck=2.0), StageSpec("inception", 1, 64, 2, bottleneck=2.0)),
                HeadSpec("linear", 4),
            ),
            "size=16",
        ),
        (ds.zoo.get("lenet5_bn").with_num_classes(4), "size=28,channels=1"),
    ],
    ids=["nin", "inception", "lenet5_bn"],
)
def test_classic_blocks_learn(spec: NetSpec, data_opts: str) -> None:
    """A few SGD steps on a small learnable synthetic set lower the training loss clearly."""
    data = load_dataset(f"synthetic:classes=4,train=64,test=8,noise=0.1,{data_opts}")
    x = (data.train_x.float() / 255 - 0.5) / 0.25
    y = data.train_y
    torch.manual_seed(0)
    model = ds.build_model(spec)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(25):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


@pytest.mark.parametrize("name", ["nin", "inception"])
@pytest.mark.parametrize("resolution", [32, 224])
def test_classic_spaces_count_exactly(name: str, resolution: int) -> None:
    """The spaces' vectorized counts equal ``ds.complexity`` of the specs they build."""
    from designspace import spaces

    records = spaces.get(name).sample(150, seed=3, resolution=resolution)
    for r in records:
        spec = NetSpec.from_dict(r["spec"])
        assert spec.stages[0].block == name and len(spec.stages) == 4
        assert ds.complexity(spec, resolution) == {k: r[k] for k in ("flops", "params", "acts")}


@pytest.mark.parametrize("name", ["nin", "inception"])
def test_classic_spaces_narrowing_is_exact(name: str) -> None:
    """Every spec plain rejection accepts lies inside the narrowed draw (no spec is excluded)."""
    from designspace import spaces

    space = spaces.get(name)
    narrowed = space.sample_result(50, seed=0, resolution=32, flops="100M:1G")
    assert narrowed.narrowing.kept < 0.2 and len(narrowed.records) == 50
    plain = space.sample_result(200, seed=1, resolution=32, flops="100M:1G", narrow=False)
    allowed = {names: set(map(tuple, table.tolist())) for names, table in narrowed.narrowing.restrict.items()}
    assert allowed
    for r in plain.records + narrowed.records:
        assert 100e6 <= r["flops"] <= 1e9
        for names, kept in allowed.items():
            assert tuple(r[n] for n in names) in kept, (names, r)
