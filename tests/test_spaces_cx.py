"""The vectorized complexity of the spaces equals ``ds.complexity`` exactly, and bounds are valid."""

from __future__ import annotations

import numpy as np
import pytest

import designspace as ds
from designspace import spaces
from designspace.spaces.bounds import box_bounds
from designspace.spaces.fourstage import FourStageSpace
from designspace.spaces.trials import BatchTrial

FAST = [n for n in spaces.names() if type(spaces.get(n)).batch_complexity is not spaces.DesignSpace.batch_complexity]


def test_every_registered_space_is_vectorized():
    assert set(FAST) == set(spaces.names())


@pytest.mark.parametrize("name", FAST + [f"{n}@gcd" for n in ("anynetx_a", "anynetx_c", "anynetx_e")])
def test_batch_complexity_equals_ds_complexity(name):
    """Thousands of specs per space (both resolutions; AnyNetX under both group rules): the
    vectorized numbers == ds.complexity, the per-module formulas."""
    name, _, rule = name.partition("@")
    space = spaces.get(name).with_group_rule(rule or "pycls")
    for res in (32, 224):
        rng = np.random.Generator(np.random.PCG64(res))
        raw = space.draw(BatchTrial(rng, 600), res)
        cols = space.canonical({k: np.asarray(v) for k, v in raw.items()})
        cx = space.batch_complexity(cols, res)
        names = space.param_names(res)
        for j in range(600):
            spec = space.build({k: cols[k][j].item() for k in names}, res)
            assert ds.complexity(spec, res) == {m: int(cx[m][j]) for m in ("flops", "params", "acts")}, j


def test_records_carry_exact_complexity():
    for name in ("anynetx_a", "regnety", "densenet"):
        for rec in spaces.get(name).sample(200, seed=9, resolution=224, flops="360M:400M"):
            assert ds.complexity(rec["spec"], 224) == {m: rec[m] for m in ("flops", "params", "acts")}


@pytest.mark.parametrize("name", [n for n in FAST if isinstance(spaces.get(n), FourStageSpace)])
def test_box_bounds_of_points_are_exact_and_boxes_bound(name):
    """A one-point box has lo == hi == the exact value; a box around points bounds all of them."""
    space = spaces.get(name)
    res = 32
    raw = space.draw(BatchTrial(np.random.Generator(np.random.PCG64(0)), 300), res)
    cols = space.canonical({k: np.asarray(v) for k, v in raw.items()})
    exact = space.batch_complexity(cols, res)
    per_stage = {k.key: np.stack([np.asarray(cols[k.stage_name(i)]) for i in range(4)], 1) for k in space.knobs}
    lo, hi = box_bounds(space, res, per_stage, per_stage)
    for m in ("flops", "params", "acts"):
        assert (lo[m] == exact[m]).all() and (hi[m] == exact[m]).all()
    # one box spanning every drawn value per (key, stage)
    box_lo = {k: v.min(0, keepdims=True) for k, v in per_stage.items()}
    box_hi = {k: v.max(0, keepdims=True) for k, v in per_stage.items()}
    lo, hi = box_bounds(space, res, box_lo, box_hi)
    for m in ("flops", "params", "acts"):
        assert lo[m][0] <= exact[m].min() and exact[m].max() <= hi[m][0]


def test_regnet_stage_counts_match_the_generator():
    from designspace.models.regnet import stage_counts
    from designspace.spaces.regnet_cx import regnet_stage_counts

    rng = np.random.default_rng(0)
    n = 2000
    d = rng.integers(1, 64, n)
    w0 = (np.ceil(np.exp(rng.uniform(np.log(4), np.log(256), n)) / 8) * 8).astype(np.int64)
    wa = np.exp(rng.uniform(np.log(8), np.log(256), n))
    wm = np.exp(rng.uniform(np.log(1.5), np.log(3), n))
    num, top = regnet_stage_counts(d, w0, wa, wm)
    expected = [stage_counts(int(a), float(b), float(c), int(e)) for a, b, c, e in zip(w0, wa, wm, d)]
    assert [tuple(map(int, x)) for x in zip(num, top)] == expected
    assert (num <= top).all() and (num < top).any()  # quantization merges stages sometimes
    # RegNetX-200MF (w0 24, wa 36.44, wm 2.49, d 13): four stages, none skipped
    assert stage_counts(24, 36.44, 2.49, 13) == (4, 4)
