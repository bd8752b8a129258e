"""Exactness of regime narrowing, and exact space sizes (checked by brute force on tiny spaces)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from designspace import spaces
from designspace.spaces.anynet import XBlock
from designspace.spaces.families import DenseBlock, ResNeXtBlock
from designspace.spaces.fourstage import FourStageSpace, Knob
from designspace.spaces.trials import BatchTrial


def _tuples(rec, names):
    return tuple(rec[n] for n in names)


def test_narrowing_never_removes_an_accepted_value():
    """Plain rejection's accepted specs all lie inside the narrowed tables (so nothing is lost)."""
    space = spaces.get("anynetx_a")
    kw = dict(resolution=224, flops="0:400M")
    narrowed = space.sample_result(10, seed=0, **kw).narrowing
    assert narrowed.kept < 0.1 and narrowed.restrict
    plain = space.sample_result(1500, seed=1, narrow=False, **kw)
    assert plain.narrowing.kept == 1.0
    for names, table in narrowed.restrict.items():
        allowed = {tuple(row) for row in table.tolist()}
        assert all(_tuples(rec, names) in allowed for rec in plain.records), names


def test_narrowed_and_plain_rejection_give_the_same_distribution():
    space = spaces.get("anynetx_b")
    kw = dict(resolution=224, flops="200M:800M")
    fast = space.sample_result(1500, seed=2, **kw)
    plain = space.sample_result(1500, seed=3, narrow=False, **kw)
    assert fast.narrowing.kept < 0.5 and fast.acceptance > 3 * plain.acceptance
    for key, support in (("b", (1, 2, 4)), ("g1", (1, 2, 4, 8, 16, 32)), ("d1", range(1, 17))):
        table = [[sum(r[key] == v for r in res.records) for v in support] for res in (fast, plain)]
        assert stats.chi2_contingency(table).pvalue > 0.001, key
    for key in ("flops", "params", "w1", "w3"):
        a, b = ([r[key] for r in res.records] for res in (fast, plain))
        assert stats.ks_2samp(a, b).pvalue > 0.001, key
    # the reported plain-rejection rate matches the measured one
    assert abs(fast.raw_acceptance - plain.acceptance) < 5 * np.sqrt(plain.acceptance / plain.draws)


def test_kept_is_the_exact_mass_of_the_narrowed_draw():
    space = spaces.get("anynetx_a")
    narrowing = space.sample_result(1, seed=0, resolution=32, flops="0:100M").narrowing
    n = 200_000
    raw = space.draw(BatchTrial(np.random.Generator(np.random.PCG64(5)), n), 32)
    inside = np.ones(n, dtype=bool)
    for names, table in narrowing.restrict.items():
        code = lambda cols: sum(c.astype(np.int64) * 2048**i for i, c in enumerate(cols))  # noqa: E731
        inside &= np.isin(code([raw[k] for k in names]), code(table.T))
    p = narrowing.kept
    assert abs(inside.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_sorted_spaces_are_narrowed_per_value():
    # E at 32 px, at most 100k parameters: large widths cannot appear in any position
    res = spaces.get("anynetx_e").sample_result(50, seed=0, resolution=32, params="0:100k")
    assert res.narrowing.kept < 1
    allowed = res.narrowing.restrict[("w1",)][:, 0]
    assert allowed.max() < 1024
    assert all(r[f"w{i}"] in allowed for r in res.records for i in range(1, 5))


def _brute_force(space: FourStageSpace) -> tuple[int, int]:
    """(distinct specs, distinct canonical records) over every setting of a tiny space."""
    dists = space.distributions(32)
    supports = [d.values().tolist() for d in dists.values()]
    specs, records = set(), set()
    for combo in itertools.product(*supports):
        values = dict(zip(dists, combo))
        canon = space.canonical({k: np.asarray([v]) for k, v in values.items()})
        records.add(tuple(int(v[0]) for v in canon.values()))
        specs.add(space.build(values, 32))
    return len(specs), len(records)


TINY_X = dict(w=(24, 48), b=(1, 4), g=(2, 8))  # w/b = 6 and 12: gcd(g, w/b) makes g = 2 and 8 collide


def _x_space(d="stage", w="stage", b="stage", g="stage", depths=(1,), rule="pycls") -> FourStageSpace:
    knobs = (Knob("d", depths, d), Knob("w", TINY_X["w"], w), Knob("b", TINY_X["b"], b), Knob("g", TINY_X["g"], g))
    return FourStageSpace("tiny", "tiny X space", XBlock(rule), knobs)


# w/b = 5..30 and g up to 16: pycls's rule moves widths onto each other (e.g. 40 and 48 with b = 4, g = 8)
TINY_X2 = dict(w=(20, 40, 48, 60), b=(2, 4), g=(4, 8, 16))


@pytest.mark.parametrize("rule", ["pycls", "gcd"])
@pytest.mark.parametrize(
    "modes",
    [
        dict(),
        dict(b="shared"),
        dict(b="shared", g="shared"),
        dict(b="shared", g="shared", w="sorted"),
        dict(b="shared", w="sorted"),
    ],
    ids=["A", "B", "C", "D", "B-sorted-w"],
)
def test_sizes_match_brute_force_under_both_rules(rule, modes):
    vals = TINY_X2 if rule == "pycls" else dict(w=(24, 48, 72), b=(2, 4), g=(4, 8, 16))
    if not modes:  # A: every stage free; fewer values keep the brute force small (32 and 40 collide at b = g = 4)
        vals = dict(w=(32, 40), b=(2, 4), g=(4, 8)) if rule == "pycls" else dict(w=(24, 48), b=(2, 4), g=(2, 8))
    knobs = tuple(Knob(k, (1,) if k == "d" else vals[k], modes.get(k, "stage")) for k in ("d", "w", "b", "g"))
    space = FourStageSpace("tiny2", "tiny X space", XBlock(rule), knobs)
    n_specs, n_records = _brute_force(space)
    assert space.size == n_specs and space.num_settings == n_records


@pytest.mark.parametrize("rule", ["pycls", "gcd"])
@pytest.mark.parametrize("name", ["anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e"])
def test_box_bounds_are_sound_on_random_boxes(name, rule):
    """lower bound <= the complexity of every spec in a box <= upper bound, for random boxes and specs."""
    from designspace.spaces.bounds import box_bounds

    space = spaces.get(name).with_group_rule(rule)
    rng = np.random.default_rng(hash((name, rule)) % 2**32)
    rows, per_box = 150, 12
    for res in (32, 224):
        lo = {k.key: np.zeros((rows, 4), dtype=np.int64) for k in space.knobs}
        hi = {k.key: np.zeros((rows, 4), dtype=np.int64) for k in space.knobs}
        idx_lo, idx_hi = {}, {}
        for k in space.knobs:
            n = len(k.values)
            shape = (rows, 1) if k.mode == "shared" else (rows, 4)
            a, z = np.sort(rng.integers(0, n, (2, *shape)), axis=0)
            point = rng.random(shape) < 0.3
            z = np.where(point, a, z)
            idx_lo[k.key], idx_hi[k.key] = np.broadcast_to(a, (rows, 4)), np.broadcast_to(z, (rows, 4))
            vals = np.asarray(k.values)
            lo[k.key][:], hi[k.key][:] = vals[idx_lo[k.key]], vals[idx_hi[k.key]]
        cx_lo, cx_hi = box_bounds(space, res, lo, hi)
        for _ in range(per_box):
            values = {}
            for k in space.knobs:
                pick = rng.integers(idx_lo[k.key], idx_hi[k.key] + 1)  # a point of every box, per stage
                vals = np.asarray(k.values)[pick]
                for i, nm in enumerate(k.names()):
                    values[nm] = vals[:, i]
            true = space.complexity_of(space.derived_stages(values), res)
            for m in ("flops", "params", "acts"):
                assert (cx_lo[m] <= true[m]).all() and (true[m] <= cx_hi[m]).all(), (m, res)


@pytest.mark.parametrize(
    "space",
    [
        _x_space(),  # A
        _x_space(b="shared"),  # B
        _x_space(b="shared", g="shared", depths=(1, 2)),  # C
        _x_space(b="shared", g="shared", w="sorted", depths=(1, 2)),  # D
        _x_space(b="shared", g="shared", w="sorted", d="sorted", depths=(1, 2)),  # E
        _x_space(b="shared", w="sorted"),
        FourStageSpace(
            "tiny_resnext",
            "",
            ResNeXtBlock(),
            (Knob("d", (1,)), Knob("w", (64, 128)), Knob("b", (1, 2)), Knob("c", (1, 4))),
        ),
        FourStageSpace("tiny_dense", "", DenseBlock(), (Knob("d", (1, 2), "sorted"), Knob("k", (4, 8, 12)))),
    ],
    ids=["A", "B", "C", "D", "E", "B-sorted-w", "resnext", "dense"],
)
def test_sizes_match_brute_force(space):
    n_specs, n_records = _brute_force(space)
    assert space.size == n_specs
    assert space.num_settings == n_records
