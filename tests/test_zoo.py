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
    "resnet152",
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


# pycls's published complexity, exact: dev/model_complexity.json of facebookresearch/pycls (the
# figures its MODEL_ZOO.md rounds), 224 px / 1000 classes and CIFAR 32 px / 10 classes. Pool
# outputs count as activations there (pycls's pool2d_cx), e.g. ResNet-50's stem max-pool.
PYCLS_EXACT = {
    "resnet50": (4_089_185_256, 25_557_032, 11_315_688),  # R-50-1x64d
    "resnet101": (7_801_406_440, 44_549_160, 16_433_640),  # R-101-1x64d
    "resnet152": (11_513_627_624, 60_192_808, 22_755_816),  # R-152-1x64d
    "resnext50_32x4d": (4_230_480_872, 25_028_904, 14_602_216),  # X-50-32x4d
    "resnext101_32x4d": (7_969_997_800, 44_177_704, 21_426_152),  # X-101-32x4d
    "resnext152_32x4d": (11_709_514_728, 59_951_400, 29_855_720),  # X-152-32x4d
    "resnet56_cifar": (125_747_850, 855_770, 544_778),  # cifar R-56_nds
    "resnet110_cifar": (253_149_834, 1_730_714, 1_060_874),  # cifar R-110_nds
    "vanilla56_cifar": (125_485_706, 853_018, 532_490),  # cifar V-56_nds
    "regnetx_200mf": (199_040_872, 2_684_792, 2_164_056),
    "regnetx_400mf": (397_678_568, 5_157_512, 3_143_272),
    "regnetx_600mf": (600_891_112, 6_196_040, 3_975_096),
    "regnetx_800mf": (799_700_712, 7_259_656, 5_148_744),
    "regnetx_1.6gf": (1_602_850_792, 9_190_136, 7_933_512),
    "regnetx_3.2gf": (3_176_622_952, 15_296_552, 11_367_432),
    "regnetx_4.0gf": (3_964_499_816, 22_118_248, 12_201_608),
    "regnetx_6.4gf": (6_460_292_264, 26_209_256, 16_369_744),
    "regnetx_8.0gf": (7_995_133_416, 39_572_648, 14_059_688),
    "regnetx_12gf": (12_086_679_016, 46_106_056, 21_366_568),
    "regnetx_16gf": (15_940_756_456, 54_278_536, 25_515_496),
    "regnetx_32gf": (31_735_930_792, 107_811_560, 36_302_160),
    "regnety_200mf": (199_519_076, 3_162_996, 2_168_052),
    "regnety_400mf": (401_849_056, 4_344_144, 3_892_496),
    "regnety_600mf": (601_227_608, 6_055_160, 4_334_296),
    "regnety_800mf": (797_183_328, 6_263_168, 5_249_888),
    "regnety_1.6gf": (1_612_087_326, 11_202_430, 8_044_814),
    "regnety_3.2gf": (3_176_496_162, 19_436_338, 11_263_418),
    "regnety_4.0gf": (3_973_301_344, 20_646_656, 12_287_200),
    "regnety_6.4gf": (6_355_221_876, 30_583_252, 16_407_188),
    "regnety_8.0gf": (7_963_074_196, 39_180_068, 17_968_916),
    "regnety_12gf": (12_092_395_504, 51_822_544, 21_384_496),
    "regnety_16gf": (15_911_534_044, 83_590_140, 23_041_228),
    "regnety_32gf": (32_279_583_362, 145_046_770, 30_261_570),
}


@pytest.mark.parametrize("name", sorted(PYCLS_EXACT))
def test_matches_pycls_published_complexity_exactly(name: str) -> None:
    flops, params, acts = PYCLS_EXACT[name]
    assert ds.complexity(name, ds.zoo.resolution(name)) == {"flops": flops, "params": params, "acts": acts}


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
