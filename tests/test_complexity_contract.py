"""The analytic complexity contract: ``ds.complexity`` == what torch measures on the built model.

For every registered block, stem and head (blocks added later are covered automatically), random
valid specs are drawn; each is built and run on a batch, and its analytic flops/params/acts must
equal torch's own counts exactly (see ``conftest.measure_complexity``). A spec whose feature map
vanishes must raise ``ValueError`` from ``ds.complexity`` exactly when the forward pass fails.
"""

from __future__ import annotations

import json
import random
import zlib

import pytest
import torch
from torch import nn

import designspace as ds
from designspace.models.network import complexity_table
from designspace.models.registries import BLOCKS, HEADS, STEMS
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec

pytestmark = pytest.mark.usefixtures("one_thread")

BATCH = 2
SPECS_PER_BLOCK = 150
SPECS_PER_PART = 25  # per stem / per head, blocks drawn at random
BOTTLENECKS = (0.25, 0.5, 1.0, 2.0, 4.0)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def random_stage(rng: random.Random, block: str) -> StageSpec:
    b = rng.choice(BOTTLENECKS)
    step = int(b) if b >= 1 else 1  # w / b must be an integer
    width = step * rng.randint(1, 32 // step)
    bottleneck_width = round(width / b)
    group_width = 0 if rng.random() < 0.4 else rng.choice(_divisors(bottleneck_width))
    return StageSpec(
        block,
        depth=rng.randint(1, 3),
        width=width,
        stride=rng.choice((1, 2)),
        bottleneck=b,
        group_width=group_width,
        se=rng.choice((0.0, 0.25)),
        bn=rng.random() < 0.5,
    )


def random_spec(rng: random.Random, block: str | None = None, stem: str | None = None, head: str | None = None):
    """A random valid spec; ``None`` parts are drawn from their registries."""
    stem_kind = stem or rng.choice(STEMS.names())
    in_channels = rng.randint(1, 4)
    width = in_channels if stem_kind == "none" else rng.randint(1, 24)
    stages = tuple(random_stage(rng, block or rng.choice(BLOCKS.names())) for _ in range(rng.randint(1, 4)))
    head_spec = HeadSpec(
        head or rng.choice(HEADS.names()),
        num_classes=rng.randint(1, 12),
        hidden=tuple(rng.randint(1, 16) for _ in range(rng.randint(0, 2))),
        dropout=rng.choice((0.0, 0.2)),
    )
    return NetSpec(StemSpec(stem_kind, width, in_channels), stages, head_spec), rng.randint(16, 48)


def check_contract(spec: NetSpec, resolution: int, measure) -> bool:
    """Asserts the contract for one spec; False when its feature map vanishes (checked too)."""
    assert NetSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    model = ds.build_model(spec).eval()
    x = torch.randn(BATCH, spec.stem.in_channels, resolution, resolution)
    try:
        want = ds.complexity(spec, resolution)
    except ValueError as e:
        assert "vanishes" in str(e), e
        with pytest.raises(RuntimeError):  # torch agrees: the input is too small for this network
            model(x)
        return False
    got, out = measure(model, x)
    assert got == want, f"{spec.to_json()} at {resolution}px: measured {got}, analytic {want}"
    assert out.shape == (BATCH, spec.head.num_classes)
    assert torch.isfinite(out).all()
    rows = complexity_table(spec, resolution)  # the per-part table adds up to the total
    assert {k: sum(getattr(r, k) for r in rows) for k in want} == want
    return True


def run_contract(rng: random.Random, n: int, measure, **parts: str) -> None:
    checked = vanished = 0
    while checked < n:
        spec, resolution = random_spec(rng, **parts)
        if check_contract(spec, resolution, measure):
            checked += 1
        else:
            vanished += 1
            assert vanished <= n, "most random specs vanish: the generator is broken"


def _rng(kind: str, name: str) -> random.Random:
    torch.manual_seed(0)
    return random.Random(zlib.crc32(f"{kind}:{name}".encode()))


@pytest.mark.parametrize("block", BLOCKS.names())
def test_block_contract(block: str, measure) -> None:
    run_contract(_rng("block", block), SPECS_PER_BLOCK, measure, block=block)


@pytest.mark.parametrize("stem", STEMS.names())
def test_stem_contract(stem: str, measure) -> None:
    run_contract(_rng("stem", stem), SPECS_PER_PART, measure, stem=stem)


@pytest.mark.parametrize("head", HEADS.names())
def test_head_contract(head: str, measure) -> None:
    run_contract(_rng("head", head), SPECS_PER_PART, measure, head=head)


def test_deep_uniform_stages(measure) -> None:
    """Depth > 3 exercises the count-one-and-multiply path of uniform blocks further."""
    rng = _rng("deep", "")
    for block in BLOCKS.names():
        stages = (StageSpec(block, 5, 8, 1), StageSpec(block, 4, 16, 2, bottleneck=2.0, group_width=4, se=0.25))
        spec = NetSpec(StemSpec("cifar", 8), stages, HeadSpec("linear", 3))
        assert check_contract(spec, rng.randint(16, 32), measure)


def test_complexity_builds_no_torch_module(monkeypatch) -> None:
    rng = _rng("nomodule", "")
    specs = [random_spec(rng) for _ in range(50)]

    def no_modules(self, *args, **kwargs):
        raise AssertionError("ds.complexity built a torch module")

    monkeypatch.setattr(nn.Module, "__init__", no_modules)
    for spec, resolution in specs:
        try:
            ds.complexity(spec, resolution)
        except ValueError as e:
            assert "vanishes" in str(e)
    for name in ds.zoo.names():
        ds.complexity(name, ds.zoo.resolution(name))
    with pytest.raises(AssertionError):
        ds.build_model("resnet20_cifar")  # the patch is effective


@pytest.mark.parametrize(
    "spec, resolution",
    [
        # four 2x2 pools then the VGG head's own 2x2 max-pool: 16 px -> 0
        (NetSpec(StemSpec("none", 3), tuple(StageSpec("vgg", 1, 8, 2) for _ in range(4)), HeadSpec("vgg", 10)), 16),
        # the VGG head alone on a 1x1 map
        (NetSpec(StemSpec("none", 3), (StageSpec("vgg", 1, 8, 2),), HeadSpec("vgg", 10)), 3),
        # DenseNet transitions pool 2x2
        (ds.zoo.get("densenet121"), 16),
        (ds.zoo.get("vgg16_bn"), 31),
    ],
)
def test_vanishing_feature_map_raises_value_error(spec: NetSpec, resolution: int) -> None:
    with pytest.raises(ValueError, match="vanishes"):
        ds.complexity(spec, resolution)
    with pytest.raises(ValueError, match="vanishes"):
        complexity_table(spec, resolution)
    with torch.device("meta"), pytest.raises(RuntimeError):  # and the model really cannot run at that size
        ds.build_model(spec).eval()(torch.empty(1, 3, resolution, resolution))


def test_smallest_resolution_that_runs(measure) -> None:
    """The boundary: VGG-16 needs 32 px (five 2x2 max-pools), and runs there."""
    spec = ds.zoo.get("vgg16_bn")
    with torch.device("meta"):
        got, _ = measure(ds.build_model(spec).eval(), torch.empty(1, 3, 32, 32))
    assert got == ds.complexity(spec, 32)


@pytest.mark.parametrize("resolution", [0, -3, 2.5, True, "224"])
def test_bad_resolution(resolution) -> None:
    with pytest.raises(ValueError, match="resolution"):
        ds.complexity("resnet20_cifar", resolution)


def test_none_stem_needs_width_equal_in_channels() -> None:
    spec = NetSpec(StemSpec("none", 8, 3), (StageSpec("vgg", 1, 8),), HeadSpec())
    with pytest.raises(ValueError, match="stem.width=8"):
        ds.complexity(spec, 32)
    with pytest.raises(ValueError, match="stem.width=8"):
        ds.build_model(spec)
