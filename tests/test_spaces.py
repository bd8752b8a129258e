"""Design-space contract: registry, FixedTrial round trip, static distributions, determinism, Optuna."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import optuna
import pytest

import designspace as ds
from designspace import spaces
from designspace.models.compat import compatible
from designspace.spaces.trials import BatchTrial, NumpyTrial, RecordingTrial, log_uniform, to_optuna
from designspace.specs import NetSpec

optuna.logging.set_verbosity(optuna.logging.WARNING)

OURS = [
    "anynetx_a",
    "anynetx_b",
    "anynetx_c",
    "anynetx_d",
    "anynetx_e",
    "regnetx",
    "regnety",
    "regnetx_b",
    "resnet",
    "resnext",
    "vgg",
    "densenet",
]
ALL = spaces.names()


def test_registry_contract():
    assert set(OURS) <= set(ALL)
    for name in ALL:
        space = spaces.get(name)
        assert space.name == name
        assert space.description and "\n" not in space.description
        assert space.size is None or (isinstance(space.size, int) and space.size > 0)
        assert space.param_names(32) == space.param_names(224)
    with pytest.raises(ValueError, match="unknown design space 'anynetx_z'; did you mean: anynetx_"):
        spaces.get("anynetx_z")


def test_anynetx_a_size_matches_direct_count():
    # per stage: 16 depths x the distinct stages (w', b, g') the rule makes, independently per stage
    def stages(rule):
        cs = [
            (compatible(w, b, g, rule), b) for w in range(8, 1025, 8) for b in (1, 2, 4) for g in (1, 2, 4, 8, 16, 32)
        ]
        return {(c.width, b, c.group_width) for c, b in cs}

    a = spaces.get("anynetx_a")
    assert a.size == (16 * len(stages("pycls"))) ** 4
    assert a.with_group_rule("gcd").size == (16 * len(stages("gcd"))) ** 4
    triples = {(w, b, math.gcd(g, w // b)) for w in range(8, 1025, 8) for b in (1, 2, 4) for g in (1, 2, 4, 8, 16, 32)}
    assert stages("gcd") == triples
    assert a.num_settings == a.with_group_rule("gcd").num_settings == (16 * 128 * 3 * 6) ** 4  # the paper's ~1.8e18


@pytest.mark.parametrize("name", ALL)
def test_fixed_trial_round_trip(name):
    """Recorded values -> FixedTrial -> suggest() reproduces the recorded spec, at both resolutions;
    every record satisfies the space's own constraint (``valid``/``violation`` agree on it)."""
    space = spaces.get(name)
    for res in (32, 224):
        dists = space.distributions(res)
        for rec in space.sample(25, seed=7, resolution=res):
            params = space.fixed_params(rec)
            assert list(params) == list(dists)
            for k, v in params.items():  # recorded values lie in the distributions Optuna is given
                od = to_optuna(dists[k])
                assert od._contains(od.to_internal_repr(v)), (k, v)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # FixedTrial warns on out-of-range values
                spec = space.suggest(optuna.trial.FixedTrial(params), resolution=res)
            assert spec == NetSpec.from_dict(rec["spec"])
            assert space.violation(params, res) == ""
        records = space.sample(25, seed=7, resolution=res)
        cols = {k: np.asarray([r[k] for r in records]) for k in dists}
        valid = space.valid(cols, res)
        assert valid is None or valid.all()


@pytest.mark.parametrize("name", ALL)
def test_distributions_are_static(name):
    space = spaces.get(name)
    first = space.distributions(32)
    assert first == space.distributions(224) == space.distributions(32)
    # a batch of draws stays inside the recorded distributions
    raw = space.draw(BatchTrial(np.random.Generator(np.random.PCG64(1)), 500), 32)
    assert list(raw) == list(first)
    for k, values in raw.items():
        assert all(first[k].contains(v) for v in np.asarray(values).tolist()), k


def test_recording_trial_rejects_changed_distribution():
    trial = RecordingTrial()
    trial.suggest_int("d", 1, 16)
    with pytest.raises(ValueError, match="different distributions"):
        trial.suggest_int("d", 1, 8)


def test_determinism_and_prefix():
    space = spaces.get("anynetx_c")
    kw = dict(resolution=224, flops="360M:400M")
    a = space.sample(40, seed=3, **kw)
    assert a == space.sample(40, seed=3, **kw)
    assert space.sample(15, seed=3, **kw) == a[:15]  # shorter runs are prefixes
    assert a != space.sample(40, seed=4, **kw)
    assert [r["index"] for r in a] == list(range(40))
    reg = spaces.get("regnety")
    assert reg.sample(30, seed=5, resolution=224) == reg.sample(30, seed=5, resolution=224)


def test_golden_stream():
    """Pins the seeded stream (PCG64 + batch size + draw order): changing it breaks reproducibility."""
    got = [spaces.get("anynetx_a").fixed_params(r) for r in spaces.get("anynetx_a").sample(2, seed=12345)]
    assert got[0] == dict(d1=12, d2=1, d3=11, d4=7, w1=392, w2=520, w3=592, w4=408) | dict(
        b1=4, b2=2, b3=2, b4=1, g1=32, g2=8, g3=4, g4=16
    )
    assert got[1]["w2"] == 32 and got[1]["d4"] == 15
    e = spaces.get("anynetx_e").sample(1, seed=12345)[0]
    assert [e[f"w{i}"] for i in range(1, 5)] == [392, 408, 520, 592]  # A's first widths, sorted
    unconstrained = dataclasses.replace(spaces.get("regnetx"), stages=None)
    r = unconstrained.sample(1, seed=12345)[0]
    assert (r["d"], r["w0"], r["g"]) == (45, 8, 4)
    assert r["wa"] == 75.04642992534572 and r["wm"] == 2.0283127053320706  # bit-exact floats
    # the 4-stage constraint rejects draws from the same stream: the 5th draw is the first kept
    result = spaces.get("regnetx").sample_result(1, seed=12345)
    r = result.records[0]
    assert result.draws == 5 and (r["d"], r["w0"], r["g"]) == (13, 72, 8) and len(r["spec"]["stages"]) == 4
    assert r["wa"] == 26.99827437565511 and r["wm"] == 1.8083970100692708


def test_regnetx_b_draws_the_bottleneck_and_builds_it():
    """``regnetx_b`` samples b from {1, 2, 4} (a recorded parameter); its b = 1 draws build exactly
    what ``regnetx`` builds from the same (d, w0, wa, wm, g); ``regnetx`` records no b."""
    free, fixed = spaces.get("regnetx_b"), spaces.get("regnetx")
    assert "b" in free.param_names() and "b" not in fixed.param_names()
    recs = free.sample(60, seed=2, flops="4M:8M")
    assert {r["b"] for r in recs} == {1, 2, 4}
    for r in recs:
        assert {s["bottleneck"] for s in r["spec"]["stages"]} == {float(r["b"])}
        if r["b"] == 1:
            same = {k: r[k] for k in fixed.param_names()}
            assert fixed.build(same, 32) == free.build(r, 32)
    # at a fixed flops regime a bottleneck buys depth: b = 4 draws are deeper than b = 1 ones
    deep = {b: np.median([r["d"] for r in recs if r["b"] == b]) for b in (1, 4)}
    assert deep[4] > deep[1]


def test_log_uniform_is_exact_and_in_range():
    rng = np.random.Generator(np.random.PCG64(0))
    x = log_uniform(rng, 8.0, 256.0, 20000)
    assert (x > 8.0).all() and (x < 256.0).all()
    # against a direct evaluation of x = 8 * 32 ** ((2 i + 1) / 2**33) for the drawn 32-bit i
    i = np.random.Generator(np.random.PCG64(0)).integers(0, 2**32, size=20000, dtype=np.uint64)
    for k in range(0, 20000, 2000):
        ref = 8.0 * 32.0 ** ((2 * int(i[k]) + 1) / 2**33)
        assert abs(x[k] - ref) <= 1e-13 * ref
    # log-uniform: log(x) is uniform
    from scipy import stats

    assert stats.kstest((np.log(x) - np.log(8)) / np.log(32), "uniform").pvalue > 0.001


def test_numpy_trial_and_suggest():
    for name in ("anynetx_e", "regnetx", "densenet"):
        space = spaces.get(name)
        a = space.suggest(NumpyTrial(11), resolution=224)
        assert a == space.suggest(NumpyTrial(11), resolution=224)
        assert isinstance(a, NetSpec)


@pytest.mark.parametrize("name", ["anynetx_a", "anynetx_e", "regnetx"])
def test_optuna_tpe_study_with_suggest(name):
    space = spaces.get(name)

    def objective(trial):
        spec = space.suggest(trial, resolution=32)
        trial.set_user_attr("spec", spec.to_dict())
        return ds.complexity(spec, 32)["flops"]

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5))
    study.optimize(objective, n_trials=10)
    assert len(study.trials) == 10
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert set(study.trials[-1].params) == set(space.param_names())
    for t in study.trials:
        assert t.value == ds.complexity(t.user_attrs["spec"], 32)["flops"]
        assert space.suggest(optuna.trial.FixedTrial(t.params), 32) == NetSpec.from_dict(t.user_attrs["spec"])


def test_enqueued_record_reproduces_spec():
    space = spaces.get("anynetx_d")
    recs = space.sample(3, seed=2, resolution=224, flops="360M:400M")
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    for rec in recs:
        study.enqueue_trial(space.fixed_params(rec))
    specs = []
    study.optimize(lambda t: specs.append(space.suggest(t, 224)) or 0.0, n_trials=3)
    assert specs == [NetSpec.from_dict(r["spec"]) for r in recs]


def test_bad_input_is_one_line_value_error():
    space = spaces.get("anynetx_a")
    cases = [
        (dict(flops="400M:360M"), "LO > HI"),
        (dict(flops=(5, 1)), "LO > HI"),
        (dict(params="abc:1M"), "not a number"),
        (dict(flops="360M"), "expected LO:HI"),
        (dict(flops="-1:5"), "not a number"),
        (dict(flops="1:1000"), "impossible regime"),
        (dict(flops="1e15:2e15"), "impossible regime"),
        (dict(resolution=0), "resolution"),
    ]
    for kwargs, msg in cases:
        with pytest.raises(ValueError, match=msg) as e:
            space.sample(3, **kwargs)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="n=-1"):
        space.sample(-1)
    with pytest.raises(ValueError, match="impossible regime: no draw of regnetx"):
        spaces.get("regnetx").sample(2, flops="1:2", max_draws=3000)


def test_max_draws_bounds_a_dry_run_not_the_total():
    # AnyNetX-E at 32 px, 4-8 MF accepts ~1 draw in 30,000: 20 specs need far more than 150,000 draws
    # in total, yet never 150,000 in a row without one; the run fills and is a prefix of a longer one.
    res = spaces.get("anynetx_e").sample_result(20, seed=0, resolution=32, flops="4M:8M", max_draws=150_000)
    assert len(res.records) == 20 and res.draws > 150_000
    longer = spaces.get("anynetx_e").sample(21, seed=0, resolution=32, flops="4M:8M")
    assert [r["spec"] for r in longer[:20]] == [r["spec"] for r in res.records]
    with pytest.raises(ValueError, match=r"regime too narrow: only \d of 6 .* none in the last"):
        spaces.get("anynetx_e").sample(6, seed=2, resolution=32, flops="4M:8M", max_draws=5_000)  # 2 in 1st batch


def test_sample_result_and_frame():
    space = spaces.get("resnet")
    res = space.sample_result(30, seed=1, resolution=224, flops="300M:600M")
    assert len(res.records) == 30 and res.draws >= 30
    assert 0 < res.acceptance <= 1 and res.raw_acceptance <= res.acceptance
    assert "accepted 30 of" in res.summary()
    df = space.sample(30, seed=1, resolution=224, flops="300M:600M", as_frame=True)
    assert list(df["flops"]) == [r["flops"] for r in res.records]
    assert {"space", "seed", "index", "resolution", "flops", "params", "acts", "spec", "d1", "w4"} <= set(df.columns)
    assert space.sample(0) == []


def test_per_spec_fallback_matches_vectorized_path():
    """A space without vectorized complexity samples the identical records, one spec at a time."""
    from designspace.spaces.regnet import RegNetSpace

    class PerSpec(RegNetSpace):
        def batch_complexity(self, values, resolution):
            return None

    slow = PerSpec("regnety", "per-spec RegNetY", se=0.25)
    fast = spaces.get("regnety")
    kw = dict(seed=8, resolution=32, flops="20M:60M")
    a, b = slow.sample_result(15, **kw), fast.sample_result(15, **kw)
    assert a.records == b.records and a.draws == b.draws
    assert spaces.Regime.make(params="1M:").as_dict() == {"params": [1e6, None]}
