"""Design principles as projections: each child lies in its child space and in the regime, at its
parent's flops where the width grid allows, on 1,000 seeded parents per principle."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest

import designspace as ds
from designspace import principles
from designspace.principles.base import Principle, project_parent
from designspace.principles.registry import PRINCIPLES
from designspace.regime import Regime

FLOPS = "4M:8M"
REGIME = Regime.make(FLOPS)
PARENTS = 1000
ANYNET = {"tie_b", "share_g", "sort_widths", "sort_depths"}
SLOW = {"sort_depths", "regnet_fit", "regnet_fit_b"}  # their parent spaces sample slowly in the regime


def _check_child(p: Principle, parent: dict, pair) -> None:
    parent_space, child_space = p.spaces()
    child = pair.child_values
    # in the child space: every value in its distribution, already canonical, the space's constraint
    dists = child_space.distributions(32)
    assert set(child) == set(dists), (p.name, child)
    for name, dist in dists.items():
        assert dist.contains(child[name]), (p.name, name, child[name])
    canon = child_space.canonical({k: np.asarray([v]) for k, v in child.items()})
    assert {k: v[0].item() for k, v in canon.items()} == pytest.approx(child), p.name
    assert child_space.violation(child, 32) == ""
    # replayed through Optuna as a study would, the same spec; in the regime, with the recorded flops
    spec = child_space.suggest(optuna.trial.FixedTrial(child), resolution=32)
    cx = ds.complexity(spec, 32)
    assert cx["flops"] == pair.child_flops
    assert REGIME.accepts(cx), (p.name, cx)
    assert ds.complexity(parent_space.build(parent, 32), 32)["flops"] == pair.parent_flops


def _check_principle(p: Principle, parent: dict, child: dict) -> None:
    if p.name in ("sort_depths", "sort_widths"):
        key, other = ("d", "w") if p.name == "sort_depths" else ("w", "d")
        got = [child[f"{key}{i}"] for i in range(1, 5)]
        assert got == sorted(got)
        if key == "d":  # depths are not scaled: the parent's multiset, sorted
            assert got == sorted(parent[f"d{i}"] for i in range(1, 5))
        else:  # widths: the parent's order is sorted, then all scaled by one factor
            assert [child[f"d{i}"] for i in range(1, 5)] == [parent[f"d{i}"] for i in range(1, 5)]
        assert (child["b"], child["g"]) == (parent["b"], parent["g"])
    elif p.name == "tie_b":
        assert child["b"] in (1, 2, 4) and not any(f"b{i}" in child for i in range(1, 5))
        assert [child[f"g{i}"] for i in range(1, 5)] == [parent[f"g{i}"] for i in range(1, 5)]
    elif p.name == "share_g":
        assert child["g"] in (1, 2, 4, 8, 16, 32) and child["b"] == parent["b"]
    else:  # the RegNet fits: depth and group width the parent's
        assert child["d"] == min(63, sum(parent[f"d{i}"] for i in range(1, 5)))
        assert child["g"] == parent["g"]
        if p.name == "regnet_fit_b":
            assert child["b"] == parent["b"]


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(PRINCIPLES.names())]
)
def test_children_land_in_their_space_and_the_regime(name: str) -> None:
    p = principles.get(name)
    parent_space, _ = p.spaces()
    names = parent_space.param_names(32)
    records = parent_space.sample(PARENTS, seed=11, resolution=32, flops=FLOPS)
    kept = 0
    ratios = []
    for i, rec in enumerate(records):
        parent = {k: rec[k] for k in names}
        pair = project_parent(p, parent, i, 11, REGIME)
        if pair is None:
            continue
        kept += 1
        _check_child(p, parent, pair)
        _check_principle(p, parent, pair.child_values)
        ratios.append(pair.child_flops / pair.parent_flops)
    assert kept >= (0.02 if name == "regnet_fit" else 0.2) * PARENTS, (name, kept)
    # at the parent's complexity where the width grid allows: half the AnyNetX children within 10%;
    # RegNetX's narrowest networks (w0 = wa = 8) are often still above a deep parent's flops
    assert np.median(np.abs(np.log(ratios))) < math.log(1.1 if name in ANYNET else 1.3), name


def test_draw_pairs_is_seeded_and_prefix_stable() -> None:
    p = principles.get("share_g")
    a = principles.draw_pairs(p, 12, seed=3, flops=FLOPS)
    b = principles.draw_pairs(p, 30, seed=3, flops=FLOPS)
    assert a.pairs == b.pairs[:12]
    assert principles.draw_pairs(p, 12, seed=4, flops=FLOPS).pairs != a.pairs
    assert principles.Pair.from_dict(a.pairs[0].to_dict()) == a.pairs[0]
    # the parents are the seeded population `designspace sample` draws
    parents = ds.spaces.get("anynetx_b").sample(12, seed=3, flops=FLOPS)
    assert a.pairs[5].parent_values == {k: parents[a.pairs[5].index][k] for k in a.pairs[5].parent_values}


def test_shared_value_is_drawn_from_the_child_marginal_not_the_parent() -> None:
    """tie_b's b is uniform over {1, 2, 4} whatever the parent's four ratios are."""
    p = principles.get("tie_b")
    parent = dict(d1=2, d2=2, d3=2, d4=2, w1=64, w2=64, w3=64, w4=64, b1=1, b2=1, b3=1, b4=1, g1=1, g2=1, g3=1, g4=1)
    a, b = p.spaces()
    drawn = [p.project(a, b, parent, 32, np.random.default_rng([0, i]))["b"] for i in range(600)]
    counts = np.bincount(drawn, minlength=5)[[1, 2, 4]]
    assert counts.sum() == 600 and counts.min() > 150


def test_registry_refuses_a_duplicate_and_names_unknowns() -> None:
    with pytest.raises(ValueError, match="already registered"):
        PRINCIPLES.register("sort_depths", principles.get("sort_depths"))
    with pytest.raises(ValueError, match="sort_depths"):
        principles.get("sort_depth")


def test_rejection_when_no_width_factor_reaches_the_regime() -> None:
    """A parent whose child cannot reach the regime at any width is rejected, not distorted."""
    p = principles.get("sort_depths")
    deep = dict(d1=16, d2=16, d3=16, d4=1, w1=1024, w2=1024, w3=1024, w4=8, b=1, g=1)
    assert project_parent(p, deep, 0, 0, Regime.make("1M:1.1M")) is None
