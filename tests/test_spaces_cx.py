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


@pytest.mark.parametrize("name", FAST)
def test_batch_complexity_equals_ds_complexity(name):
    """Thousands of specs per space (both resolutions): batch numbers == ds.complexity."""
    space = spaces.get(name)
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
