"""Population properties of the spaces over thousands of draws, marginals, and building specs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy import stats

import designspace as ds
from designspace import spaces
from designspace.models.compat import compatible
from designspace.specs import NetSpec

REGIME = dict(resolution=224, flops="360M:400M")


@pytest.fixture(scope="module")
def anynet_populations():
    return {x: spaces.get(f"anynetx_{x}").sample(2000, seed=1, **REGIME) for x in "abcde"}


def _stages(rec):
    return rec["spec"]["stages"]


def test_anynet_constraints(anynet_populations):
    for x, recs in anynet_populations.items():
        assert len(recs) == 2000
        for rec in recs:
            st = _stages(rec)
            assert 360e6 <= rec["flops"] <= 400e6
            assert len(st) == 4 and all(s["block"] == "res_bottleneck" for s in st)
            for i, s in enumerate(st, 1):
                wb = s["width"] / s["bottleneck"]
                assert wb == int(wb) and int(wb) % s["group_width"] == 0  # group width divides w/b
                b = rec["b"] if x != "a" else rec[f"b{i}"]
                g = rec["g"] if x in "cde" else rec[f"g{i}"]
                c = compatible(rec[f"w{i}"], b, g)  # pycls's rule on the drawn values
                assert (s["width"], s["group_width"], s["depth"]) == (c.width, c.group_width, rec[f"d{i}"])
                assert s["bottleneck"] == b and s["group_width"] == min(g, rec[f"w{i}"] // b)  # g kept, capped
                # the record holds the drawn values and the network's
                assert (rec[f"width{i}"], rec[f"bottleneck_width{i}"]) == (s["width"], int(wb))
                assert (rec[f"group_width{i}"], rec[f"groups{i}"]) == (s["group_width"], int(wb) // s["group_width"])
            if x != "a":
                assert len({s["bottleneck"] for s in st}) == 1 and "b1" not in rec
            if x in "cde":
                assert "g1" not in rec and "g" in rec
            if x in "de":
                assert all(a["width"] <= b["width"] for a, b in zip(st, st[1:]))
            if x == "e":
                assert all(a["depth"] <= b["depth"] for a, b in zip(st, st[1:]))
    # the constraints do bind without them: A has decreasing widths and B has several b's
    a = anynet_populations["a"]
    assert any(r["w2"] < r["w1"] for r in a) and any(r["b1"] != r["b2"] for r in a)
    assert any(r["d2"] < r["d1"] for r in anynet_populations["d"])


def test_group_width_rule_is_pycls_with_gcd_as_a_named_option():
    # w = 24, b = 4: w/b = 6 and g = 4 does not divide 6. pycls keeps g = 4 and moves the width to 32
    # (w/b = 8); the gcd option keeps w = 24 and makes the group width gcd(4, 6) = 2.
    space = spaces.get("anynetx_c")
    values = dict(d1=1, d2=1, d3=1, d4=1, w1=24, w2=48, w3=96, w4=1024, b=4, g=4)
    spec = space.build(values, 224)
    assert [s.group_width for s in spec.stages] == [4, 4, 4, 4] and spec.widths == (32, 48, 96, 1024)
    old = space.with_group_rule("gcd").build(values, 224)
    assert [s.group_width for s in old.stages] == [2, 4, 4, 4] and old.widths == (24, 48, 96, 1024)
    assert space.group_rule == "pycls" and space.with_group_rule("gcd").group_rule == "gcd"
    assert space.with_group_rule("pycls") is space
    with pytest.raises(ValueError, match="^group_rule='gcd': space resnet has no choice"):
        spaces.get("resnet").with_group_rule("gcd")


def _chi2_uniform(values, support):
    counts = np.array([np.sum(np.asarray(values) == v) for v in support])
    return stats.chisquare(counts).pvalue


def test_anynetx_a_marginals_are_uniform():
    recs = spaces.get("anynetx_a").sample(4000, seed=0, resolution=224)
    for i in range(1, 5):
        assert _chi2_uniform([r[f"d{i}"] for r in recs], range(1, 17)) > 0.001
        assert _chi2_uniform([r[f"w{i}"] for r in recs], range(8, 1025, 8)) > 0.001
        assert _chi2_uniform([r[f"b{i}"] for r in recs], (1, 2, 4)) > 0.001
        assert _chi2_uniform([r[f"g{i}"] for r in recs], (1, 2, 4, 8, 16, 32)) > 0.001


def _chi2(observed_values, pmf: dict[int, float], n: int) -> float:
    """Chi-square p-value, bins with expected count < 5 merged into their neighbour."""
    keys = sorted(pmf)
    obs = [sum(1 for v in observed_values if v == k) for k in keys]
    exp = [pmf[k] * n for k in keys]
    mo, me, co, ce = [], [], 0.0, 0.0
    for o, e in zip(obs, exp):
        co, ce = co + o, ce + e
        if ce >= 5:
            mo.append(co), me.append(ce)
            co = ce = 0.0
    mo[-1] += co
    me[-1] += ce
    return stats.chisquare(mo, me).pvalue


def test_sorted_spaces_have_order_statistic_marginals():
    """E's d_i and D's w_i are the order statistics of four i.i.d. uniform draws (documented)."""
    n = 4000
    e = spaces.get("anynetx_e").sample(n, seed=2, resolution=224)
    cdf = lambda k, m: (k / m) ** 4  # noqa: E731  P(max <= k) of 4 uniform on 1..m
    d_max = {k: cdf(k, 16) - cdf(k - 1, 16) for k in range(1, 17)}
    d_min = {k: (1 - (k - 1) / 16) ** 4 - (1 - k / 16) ** 4 for k in range(1, 17)}
    assert _chi2([r["d4"] for r in e], d_max, n) > 0.001
    assert _chi2([r["d1"] for r in e], d_min, n) > 0.001
    d = spaces.get("anynetx_d").sample(n, seed=3, resolution=224)
    w_max = {8 * k: cdf(k, 128) - cdf(k - 1, 128) for k in range(1, 129)}
    assert _chi2([r["w4"] for r in d], w_max, n) > 0.001
    assert _chi2_uniform([r["d2"] for r in d], range(1, 17)) > 0.001  # D's depths stay uniform


def test_regnet_distributions():
    """The draw is pycls's regnet_sampler (tested without the stage constraint, which conditions it)."""
    recs = dataclasses.replace(spaces.get("regnetx"), stages=None).sample(4000, seed=0, resolution=224)
    assert _chi2_uniform([r["d"] for r in recs], range(1, 64)) > 0.001
    assert _chi2_uniform([r["g"] for r in recs], (1, 2, 4, 8, 16, 32)) > 0.001
    for k, (lo, hi) in (("wa", (8, 256)), ("wm", (1.5, 3.0))):
        u = (np.log([r[k] for r in recs]) - np.log(lo)) / (np.log(hi) - np.log(lo))
        assert stats.kstest(u, "uniform").pvalue > 0.001, k
    # w0: log-uniform on (4, 256] rounded up to a multiple of 8 (pycls)
    pmf = {8 * m: math.log(8 * m / max(8 * (m - 1), 4)) / math.log(256 / 4) for m in range(1, 33)}
    assert abs(sum(pmf.values()) - 1) < 1e-12
    assert _chi2([r["w0"] for r in recs], pmf, len(recs)) > 0.001


@pytest.mark.parametrize("name", ["regnetx", "regnety"])
def test_regnet_keeps_exactly_the_four_stage_draws(name):
    """pycls's sweep constraint: 4 stages, none skipped; the kept draws are the stream's own, in order."""
    from designspace.models.regnet import stage_counts

    space = spaces.get(name)
    free = dataclasses.replace(space, stages=None)
    kept = space.sample(60, seed=4, flops="4M:8M")
    everything = free.sample(2000, seed=4, flops="4M:8M")
    assert len({len(r["spec"]["stages"]) for r in everything}) > 3  # 1-stage to 7-stage models
    four = [r for r in everything if stage_counts(r["w0"], r["wa"], r["wm"], r["d"]) == (4, 4)]
    assert len(four) >= 60
    key = ("d", "w0", "wa", "wm", "g")
    assert [tuple(r[k] for k in key) for r in kept] == [tuple(r[k] for k in key) for r in four[:60]]
    assert all(len(r["spec"]["stages"]) == 4 for r in kept)
    # a violation names what the generator gave
    bad = next(r for r in everything if len(r["spec"]["stages"]) == 6)
    why = space.violation(space.fixed_params(bad), 32)
    assert why.startswith(f"outside {name}: the generator gives 6 stages") and "keeps 4 stages" in why
    assert space.violation(space.fixed_params(kept[0]), 32) == "" and free.violation(space.fixed_params(bad), 32) == ""
    # the published RegNetX models are 4-stage: RegNetX-200MF, -400MF, -3.2GF (w0, wa, wm, d)
    for w0, wa, wm, d in ((24, 36.44, 2.49, 13), (24, 24.48, 2.54, 22), (88, 26.31, 2.25, 25)):
        assert space.violation(dict(d=d, w0=w0, wa=wa, wm=wm, g=8), 224) == ""


OURS = ["anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e", "regnetx", "regnety"]
OURS += ["resnet", "resnext", "vgg", "densenet"]


@pytest.mark.parametrize("name", OURS)
def test_specs_build_into_modules(name):
    """A sample of each space builds; module parameters equal the analytic count; forward works."""
    space = spaces.get(name)
    for res, regime in ((32, "0:20M"), (224, "0:200M")):
        for rec in space.sample(2, seed=4, resolution=res, flops=regime, params="0:1M"):
            model = ds.build_model(NetSpec.from_dict(rec["spec"]))
            assert sum(p.numel() for p in model.parameters()) == rec["params"]
    if name in ("anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e", "regnety"):
        return  # same blocks as anynetx_a / regnetx: building and counting them is enough
    # one forward pass, on the shallowest of a few cheap specs (first CPU calls of each conv are slow)
    recs = space.sample(20, seed=4, resolution=32, flops="0:10M")
    rec = min(recs, key=lambda r: sum(s["depth"] for s in r["spec"]["stages"]))
    with torch.no_grad():
        assert ds.build_model(NetSpec.from_dict(rec["spec"])).eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 10)
