"""The zoo: names, golden figures, and agreement with torchvision's own models (built on meta)."""

from __future__ import annotations

import pytest
import torch
import torchvision

import designspace as ds

pytestmark = pytest.mark.usefixtures("one_thread")

REGNET_SIZES = ("200mf", "400mf", "600mf", "800mf", "1.6gf", "3.2gf", "4.0gf", "6.4gf", "8.0gf", "12gf", "16gf", "32gf")
TORCHVISION_NAMES = (
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "densenet121",
    "densenet169",
    "densenet201",
    "vgg11_bn",
    "vgg16_bn",
)
CIFAR_NAMES = ("resnet20_cifar", "resnet56_cifar", "resnet110_cifar", "vanilla56_cifar")


def test_names_present() -> None:
    expected = {f"regnet{f}_{s}" for f in "xy" for s in REGNET_SIZES} | set(TORCHVISION_NAMES) | set(CIFAR_NAMES)
    names = ds.zoo.names()
    assert expected <= set(names)
    assert names == sorted(names)


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'regnetx_200m'; did you mean: .*regnetx_200mf"):
        ds.zoo.get("regnetx_200m")
    with pytest.raises(ValueError, match=r"did you mean: .*resnet50"):
        ds.resolve("resnet05")


def test_golden_regnetx_200mf() -> None:
    assert ds.complexity("regnetx_200mf", 224) == {"flops": 199_040_872, "params": 2_684_792, "acts": 2_164_056}


def test_golden_resnet56_cifar() -> None:
    assert ds.complexity("resnet56_cifar", 32) == {"flops": 125_747_850, "params": 855_770, "acts": 544_778}


@pytest.mark.parametrize("name", ds.zoo.names())
def test_zoo_model_matches_its_analytic_complexity(name: str, measure) -> None:
    """Every zoo model, built on the meta device (shapes only): flops/params/acts all exact."""
    resolution = ds.zoo.resolution(name)
    spec = ds.zoo.get(name)
    with torch.device("meta"):
        model = ds.build_model(name).eval()
        got, out = measure(model, torch.empty(1, spec.stem.in_channels, resolution, resolution))
    assert got == ds.complexity(name, resolution)
    assert out.shape == (1, spec.head.num_classes)


@pytest.mark.parametrize("name", TORCHVISION_NAMES)
def test_matches_torchvision(name: str, measure) -> None:
    """Same parameters as torchvision's constructor (no weights), and the same flops and acts."""
    with torch.device("meta"):
        theirs = getattr(torchvision.models, name)().eval()
        ours = ds.build_model(name).eval()
        assert next(theirs.parameters()).is_meta and next(ours.parameters()).is_meta  # meta works for both
        theirs_cx, _ = measure(theirs, torch.empty(1, 3, 224, 224))
    n_theirs = sum(p.numel() for p in theirs.parameters())
    assert sum(p.numel() for p in ours.parameters()) == n_theirs
    assert ds.complexity(name)["params"] == n_theirs
    assert ds.complexity(name) == theirs_cx


def test_build_model_overrides() -> None:
    with torch.device("meta"):
        model = ds.build_model("resnet20_cifar", num_classes=100, in_channels=1)
        assert model(torch.empty(2, 1, 32, 32)).shape == (2, 100)
    assert model.spec == ds.zoo.get("resnet20_cifar").with_num_classes(100).with_in_channels(1)


def test_zoo_resolutions() -> None:
    for name in TORCHVISION_NAMES + tuple(f"regnet{f}_{s}" for f in "xy" for s in REGNET_SIZES):
        assert ds.zoo.resolution(name) == 224
    for name in CIFAR_NAMES:
        assert ds.zoo.resolution(name) == 32
