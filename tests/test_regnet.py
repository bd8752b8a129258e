"""RegNet: the generator against the reference (pycls) and torchvision, and fit_regnet."""

from __future__ import annotations

import random

import pytest
import torch
from torchvision.models import regnet as tv_regnet

import designspace as ds
from designspace.models.regnet import adjust_compatibility, block_widths, per_block_widths, stage_widths_depths
from designspace.models.zoo import REGNETX, REGNETY

pytestmark = pytest.mark.usefixtures("one_thread")

# pycls MODEL_ZOO.md (the reference implementation's published table): flops (B), params (M), acts (M).
PYCLS_TABLE = {
    "regnetx_200mf": (0.2, 2.7, 2.2),
    "regnetx_400mf": (0.4, 5.2, 3.1),
    "regnetx_600mf": (0.6, 6.2, 4.0),
    "regnetx_800mf": (0.8, 7.3, 5.1),
    "regnetx_1.6gf": (1.6, 9.2, 7.9),
    "regnetx_3.2gf": (3.2, 15.3, 11.4),
    "regnetx_4.0gf": (4.0, 22.1, 12.2),
    "regnetx_6.4gf": (6.5, 26.2, 16.4),
    "regnetx_8.0gf": (8.0, 39.6, 14.1),
    "regnetx_12gf": (12.1, 46.1, 21.4),
    "regnetx_16gf": (15.9, 54.3, 25.5),
    "regnetx_32gf": (31.7, 107.8, 36.3),
    "regnety_200mf": (0.2, 3.2, 2.2),
    "regnety_400mf": (0.4, 4.3, 3.9),
    "regnety_600mf": (0.6, 6.1, 4.3),
    "regnety_800mf": (0.8, 6.3, 5.2),
    "regnety_1.6gf": (1.6, 11.2, 8.0),
    "regnety_3.2gf": (3.2, 19.4, 11.3),
    "regnety_4.0gf": (4.0, 20.6, 12.3),
    "regnety_6.4gf": (6.4, 30.6, 16.4),
    "regnety_8.0gf": (8.0, 39.2, 18.0),
    "regnety_12gf": (12.1, 51.8, 21.4),
    "regnety_16gf": (15.9, 83.6, 23.0),
    "regnety_32gf": (32.3, 145.0, 30.3),
}

# torchvision's constructor -> our zoo name (torchvision has no 200MF/600MF/4.0GF/6.4GF/12GF).
TORCHVISION = {
    **{f"regnet_x_{s}": f"regnetx_{o}" for s, o in (("400mf", "400mf"), ("800mf", "800mf"), ("1_6gf", "1.6gf"))},
    **{f"regnet_x_{s}": f"regnetx_{o}" for s, o in (("3_2gf", "3.2gf"), ("8gf", "8.0gf"), ("16gf", "16gf"))},
    "regnet_x_32gf": "regnetx_32gf",
    **{f"regnet_y_{s}": f"regnety_{o}" for s, o in (("400mf", "400mf"), ("800mf", "800mf"), ("1_6gf", "1.6gf"))},
    **{f"regnet_y_{s}": f"regnety_{o}" for s, o in (("3_2gf", "3.2gf"), ("8gf", "8.0gf"), ("16gf", "16gf"))},
    "regnet_y_32gf": "regnety_32gf",
}


def _params(name: str) -> tuple[int, float, float, int, int]:
    family, size = name[len("regnet")], name.split("_", 1)[1]
    return (REGNETX if family == "x" else REGNETY)[size]


@pytest.fixture
def torchvision_block_params(monkeypatch):
    """torchvision's own BlockParams for a constructor name (captured, no model is built)."""
    monkeypatch.setattr(tv_regnet, "_regnet", lambda block_params, weights, progress, **kwargs: block_params)
    return lambda tv_name: getattr(tv_regnet, tv_name)()


def test_regnetx_200mf_stages() -> None:
    """The paper's RegNetX-200MF: widths 24/56/152/368, depths 1/1/4/7, group width 8."""
    spec = ds.zoo.get("regnetx_200mf")
    assert spec.widths == (24, 56, 152, 368) and spec.depths == (1, 1, 4, 7)
    assert {s.group_width for s in spec.stages} == {8} and [s.stride for s in spec.stages] == [2, 2, 2, 2]
    assert (spec.stem.kind, spec.stem.width, spec.head.num_classes) == ("simple", 32, 1000)
    assert spec == ds.regnet(24, 36.44, 2.49, 13, 8)


@pytest.mark.parametrize("name", sorted(PYCLS_TABLE))
def test_matches_pycls_published_complexity(name: str) -> None:
    c = ds.complexity(name)
    got = (round(c["flops"] / 1e9, 1), round(c["params"] / 1e6, 1), round(c["acts"] / 1e6, 1))
    assert got == PYCLS_TABLE[name]


@pytest.mark.parametrize("tv_name", sorted(TORCHVISION))
def test_stage_widths_vs_torchvision(tv_name: str, torchvision_block_params, measure) -> None:
    """Same generator as torchvision; the only difference is the compatibility rounding.

    The reference rounds bottleneck width / group width with Python's round (half to even);
    torchvision's _make_divisible rounds halves up and adds a group when rounding down would
    lose more than 10% of the width.
    """
    name = TORCHVISION[tv_name]
    theirs = torchvision_block_params(tv_name)
    ours = ds.zoo.get(name)
    d, w0, wa, wm, g = _params(name)
    pre_widths, depths = stage_widths_depths(w0, wa, wm, d)
    assert ours.depths == tuple(theirs.depths) == tuple(depths)
    assert [s.group_width for s in ours.stages] == list(theirs.group_widths)  # g, capped at the width
    # torchvision's own compatibility step on our generated widths gives its widths: same generator
    tv_adjusted, _ = tv_regnet.BlockParams._adjust_widths_groups_compatibilty(pre_widths, [1.0] * 4, [g] * 4)
    assert tv_adjusted == list(theirs.widths)
    for pre, w_ours, w_theirs in zip(pre_widths, ours.widths, theirs.widths):
        gw = min(g, pre)
        assert w_ours == max(gw, round(pre / gw) * gw)  # Python's round: half to even
        if w_ours != w_theirs:  # torchvision rounds ties up and never rounds down by more than 10%
            assert w_theirs == w_ours + gw
            assert (pre / gw) % 1 == 0.5 or w_ours < 0.9 * pre
    if ours.widths == tuple(theirs.widths):  # then the whole model is theirs: check it, built on meta
        with torch.device("meta"):
            model = tv_regnet.RegNet(theirs).eval()
            got, _ = measure(model, torch.empty(1, 3, 224, 224))
        assert got == ds.complexity(name)


def test_documented_difference_from_torchvision(torchvision_block_params) -> None:
    """RegNetX-400MF, RegNetY-800MF and RegNetY-8.0GF are the published models where they disagree."""
    differ = {
        name
        for tv_name, name in TORCHVISION.items()
        if ds.zoo.get(name).widths != tuple(torchvision_block_params(tv_name).widths)
    }
    assert differ == {"regnetx_400mf", "regnety_800mf", "regnety_8.0gf"}
    # RegNetX-400MF: stage 4 is generated at 392 = 24.5 groups of 16 -> 384 (reference) vs 400;
    # the ties 24 = 1.5 x 16 and 152 = 9.5 x 16 round up to an even count either way
    assert stage_widths_depths(24, 24.48, 2.54, 22)[0] == [24, 64, 152, 392]
    assert ds.zoo.get("regnetx_400mf").widths == (32, 64, 160, 384)
    assert torchvision_block_params("regnet_x_400mf").widths == [32, 64, 160, 400]
    # RegNetY-800MF: 136 = 8.5 x 16 -> 128 vs 144 and 776 = 48.5 x 16 -> 768 vs 784 (56 = 3.5 x 16 -> 64 in both)
    assert stage_widths_depths(56, 38.84, 2.4, 14)[0] == [56, 136, 320, 776]
    assert ds.zoo.get("regnety_800mf").widths == (64, 128, 320, 768)
    assert torchvision_block_params("regnet_y_800mf").widths == [64, 144, 320, 784]
    # RegNetY-8.0GF (g = 56): 192 = 3.43 x 56 -> 168 (reference) vs 224 (168 < 90% of 192)
    assert stage_widths_depths(192, 76.82, 2.19, 17)[0][0] == 192
    assert ds.zoo.get("regnety_8.0gf").widths[0] == 168
    assert torchvision_block_params("regnet_y_8gf").widths[0] == 224
    # so the parameter counts differ: ours are the reference's published 5.2M / 6.3M / 39.2M
    # (PYCLS_TABLE); torchvision documents 5.5M / 6.4M / 39.4M for its builds
    assert ds.complexity("regnetx_400mf")["params"] == 5_157_512
    assert tv_regnet.RegNet_X_400MF_Weights.IMAGENET1K_V1.meta["num_params"] == 5_495_976
    assert ds.complexity("regnety_800mf")["params"] == 6_263_168
    assert tv_regnet.RegNet_Y_800MF_Weights.IMAGENET1K_V1.meta["num_params"] == 6_432_512
    assert ds.complexity("regnety_8.0gf")["params"] == 39_180_068
    assert tv_regnet.RegNet_Y_8GF_Weights.IMAGENET1K_V1.meta["num_params"] == 39_381_472


def test_adjust_compatibility_rounds_half_to_even() -> None:
    assert adjust_compatibility([392], [1.0], [16]) == ([384], [16])  # 24.5 -> 24
    assert adjust_compatibility([408], [1.0], [16]) == ([416], [16])  # 25.5 -> 26
    assert adjust_compatibility([80], [1.0], [24]) == ([72], [24])  # 3.33 -> 3
    assert adjust_compatibility([24], [1.0], [64]) == ([24], [24])  # g is capped at the width
    # a bottleneck ratio b: the group width must divide w / b
    assert adjust_compatibility([392], [4.0], [16]) == ([384], [16])  # 98 -> 96 = 6 x 16, w = 4 x 96


def test_random_regnets_are_valid_and_exact(measure) -> None:
    """regnet() always gives a valid spec (groups divide) whose analytic complexity is exact."""
    rng = random.Random(0)
    for _ in range(20):
        spec = ds.regnet(
            8 * rng.randint(1, 6),
            rng.uniform(0, 48),
            rng.uniform(1.5, 3.0),
            rng.randint(1, 10),
            rng.choice((1, 2, 4, 8, 16)),
            bottleneck=rng.choice((1.0, 2.0, 4.0)),
            se=rng.choice((0.0, 0.25)),
            num_classes=10,
        )
        assert all(s.bottleneck_width % (s.group_width or 1) == 0 for s in spec.stages)
        got, out = measure(ds.build_model(spec).eval(), torch.randn(1, 3, 64, 64))
        assert got == ds.complexity(spec, 64) and out.shape == (1, 10)


def test_block_widths() -> None:
    ws, u = block_widths(24, 36.44, 2.49, 13)
    assert ws == [24, 56, 152, 152, 152, 152, 368, 368, 368, 368, 368, 368, 368]
    assert u == pytest.approx([24 + 36.44 * j for j in range(13)])
    assert all(w % 8 == 0 for w in block_widths(20, 13.3, 1.7, 30)[0])
    for bad in ((24, -1.0, 2.0, 4), (0, 10.0, 2.0, 4), (24, 10.0, 1.0, 4), (24, 10.0, 2.0, 0)):
        with pytest.raises(ValueError, match="regnet"):
            block_widths(*bad)


@pytest.mark.parametrize("name", sorted(PYCLS_TABLE))
def test_fit_recovers_published_regnets(name: str) -> None:
    d, w0, wa, wm, _ = _params(name)
    widths = block_widths(w0, wa, wm, d)[0]
    fit = ds.fit_regnet(widths)
    assert fit.e_fit < 1e-9
    assert fit.widths == tuple(widths) and fit.depth == d
    assert block_widths(fit.w0, fit.wa, fit.wm, d)[0] == widths


def test_fit_recovers_random_regnets() -> None:
    """Random members of the paper's RegNet space (w0, wa < 256; 1.5 <= wm <= 3; d <= 64)."""
    rng = random.Random(0)
    for _ in range(300):
        widths = block_widths(8 * rng.randint(1, 31), rng.uniform(0, 256), rng.uniform(1.5, 3.0), rng.randint(1, 64))[0]
        fit = ds.fit_regnet(widths)
        assert fit.e_fit < 1e-9 and fit.widths == tuple(widths), widths


def test_fit_of_zoo_specs() -> None:
    """Specs whose widths the compatibility step left alone fit exactly; the adjusted ones nearly."""
    assert ds.fit_regnet(per_block_widths(ds.zoo.get("regnetx_200mf"))).e_fit < 1e-9
    assert 0 < ds.fit_regnet(per_block_widths(ds.zoo.get("regnetx_400mf"))).e_fit < 0.05


@pytest.mark.parametrize(
    "widths",
    [
        [16, 64, 24, 128, 32, 256],  # not monotone
        [64, 64, 64, 32, 32, 32, 128, 128, 128],
        [48, 48, 56, 200, 200, 200, 600],
        [8, 800, 8, 800],
    ],
)
def test_non_regnet_widths_fit_worse(widths: list[int]) -> None:
    fit = ds.fit_regnet(widths)
    assert fit.e_fit > 0.1
    assert fit.widths != tuple(widths) and len(fit.widths) == len(widths)


@pytest.mark.parametrize("widths", [[], [0, 8], [-8], [[8, 16]]])
def test_fit_rejects_bad_widths(widths) -> None:
    with pytest.raises(ValueError, match="widths"):
        ds.fit_regnet(widths)
