"""The X block's compatibility rule against the reference implementation's own function."""

from __future__ import annotations

import math

import numpy as np
import pytest

import designspace as ds
from designspace.models.compat import GROUP_RULES, check_group_rule, compatible, compatible_arrays
from designspace.models.zoo import REGNETX, REGNETY


# -- the oracle: pycls's functions, verbatim ------------------------------------------------------
# From facebookresearch/pycls, pycls/models/blocks.py (``adjust_block_compatibility``) and
# pycls/models/regnet.py (``generate_regnet``). ``bs`` are bottleneck multipliers (1 / b).
def adjust_block_compatibility(ws, bs, gs):
    """Adjusts the compatibility of widths, bottlenecks, and groups."""
    assert len(ws) == len(bs) == len(gs)
    assert all(w > 0 and b > 0 and g > 0 for w, b, g in zip(ws, bs, gs))
    assert all(b < 1 or b % 1 == 0 for b in bs)
    vs = [int(max(1, w * b)) for w, b in zip(ws, bs)]
    gs = [int(min(g, v)) for g, v in zip(gs, vs)]
    ms = [np.lcm(g, int(b)) if b > 1 else g for g, b in zip(gs, bs)]
    vs = [max(m, int(round(v / m) * m)) for v, m in zip(vs, ms)]
    ws = [int(v / b) for v, b in zip(vs, bs)]
    assert all(w * b % g == 0 for w, b, g in zip(ws, bs, gs))
    return ws, bs, gs


def generate_regnet(w_a, w_0, w_m, d, q=8):
    """Generates per stage widths and depths from RegNet parameters."""
    assert w_a >= 0 and w_0 > 0 and w_m > 1 and w_0 % q == 0
    # Generate continuous per-block ws
    ws_cont = np.arange(d) * w_a + w_0
    # Generate quantized per-block ws
    ks = np.round(np.log(ws_cont / w_0) / np.log(w_m))
    ws_all = w_0 * np.power(w_m, ks)
    ws_all = np.round(np.divide(ws_all, q)).astype(int) * q
    # Generate per stage ws and ds (assumes ws_all are sorted)
    ws, ds = np.unique(ws_all, return_counts=True)
    # Compute number of actual stages and total possible stages
    num_stages, total_stages = len(ws), ks.max() + 1
    # Convert numpy arrays to lists and return
    ws, ds, ws_all, ws_cont = (x.tolist() for x in (ws, ds, ws_all, ws_cont))
    return ws, ds, num_stages, total_stages, ws_all, ws_cont


# -------------------------------------------------------------------------------------------------
def _random_wbg(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = np.where(rng.random(n) < 0.5, 8 * rng.integers(1, 129, n), rng.integers(1, 1100, n))
    b = rng.choice([1, 2, 4], n)
    g = np.where(rng.random(n) < 0.5, 2 ** rng.integers(0, 6, n), rng.integers(1, 70, n))
    return w, b, g


def test_default_rule_is_pycls_on_10000_random_draws() -> None:
    w, b, g = _random_wbg(12_000, seed=0)
    ws, _, gs = adjust_block_compatibility(w.tolist(), [1.0 / x for x in b.tolist()], g.tolist())
    ours = [compatible(int(x), float(y), int(z)) for x, y, z in zip(w, b, g)]
    assert [c.width for c in ours] == ws and [c.group_width for c in ours] == gs
    assert all(
        c.bottleneck_width == c.width // int(y) and c.bottleneck_width % c.group_width == 0 for c, y in zip(ours, b)
    )
    for bb in (b, b.astype(np.float64)):  # the vectorized form (integer and float paths): the same numbers
        vw, vv, vg = compatible_arrays(w, bb, g)
        assert vw.tolist() == ws and vg.tolist() == gs and vv.tolist() == [c.bottleneck_width for c in ours]


def test_the_rules_differ_as_the_issue_says() -> None:
    assert compatible(202, 1, 32) == compatible(202, 1.0, 32, "pycls")
    assert (compatible(202, 1, 32).width, compatible(202, 1, 32).group_width) == (192, 32)
    gcd = compatible(202, 1, 32, "gcd")
    assert (gcd.width, gcd.group_width, gcd.groups) == (202, 2, 101)
    assert compatible(24, 4, 4).width == 32  # pycls moves the width; gcd keeps it
    assert compatible(24, 4, 4, "gcd") == compatible(24, 4, 2, "pycls")


def test_gcd_rule_scalar_and_vectorized_agree() -> None:
    w, b, g = _random_wbg(5_000, seed=1)
    w = w - w % 4 + 4  # the gcd rule needs w / b to be an integer
    vw, vv, vg = compatible_arrays(w, b, g, "gcd")
    for x, y, z, cw, cv, cg in zip(w, b, g, vw, vv, vg):
        c = compatible(int(x), float(y), int(z), "gcd")
        assert (c.width, c.bottleneck_width, c.group_width) == (x, x // y, math.gcd(int(z), int(x // y)))
        assert (cw, cv, cg) == (c.width, c.bottleneck_width, c.group_width)


@pytest.mark.parametrize("family", ["x", "y"])
def test_published_regnets_match_pycls_generator_and_rule(family: str) -> None:
    """Every published RegNetX/Y (200MF...32GF): stage widths, depths and group widths as pycls makes them."""
    for size, (d, w0, wa, wm, gw) in (REGNETX if family == "x" else REGNETY).items():
        ws, ds_, *_ = generate_regnet(wa, w0, wm, d)
        n = len(ws)
        ws, _, gws = adjust_block_compatibility(ws, [1.0] * n, [gw] * n)
        spec = ds.zoo.get(f"regnet{family}_{size}")
        assert list(spec.widths) == ws and list(spec.depths) == ds_, size
        assert [s.group_width for s in spec.stages] == gws, size
        vw, _, vg = compatible_arrays(np.asarray(generate_regnet(wa, w0, wm, d)[0]), 1, gw)
        assert vw.tolist() == ws and vg.tolist() == gws


def test_bad_rule_is_one_line() -> None:
    assert check_group_rule("gcd") == "gcd" and GROUP_RULES[0] == "pycls"
    with pytest.raises(ValueError, match=r"^group_rule='lcm': must be one of pycls, gcd$"):
        compatible(8, 1, 1, "lcm")
    with pytest.raises(ValueError, match="group_rule="):
        compatible_arrays([8], [1], [1], "lcm")
