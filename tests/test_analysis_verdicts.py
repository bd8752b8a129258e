"""Verdicts: multiplicity adjustment, shift tests, equivalence, planner and sequential looks.

The type-I error checks here are the fast version of ``benchmarks/bench_type1.py`` (few null
simulations, so the bound is loose); the benchmark runs >= 2,000 per test.
"""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from designspace.analysis import complexity_weights
from designspace.analysis.compare import compare_frame, compare_pair, decide, verdict_text
from designspace.analysis.ks import format_p
from designspace.analysis.multiplicity import adjust, holm, multipliers
from designspace.analysis.power import (
    n_difference,
    n_equivalence,
    noise_factor,
    power_difference,
    power_equivalence,
    unit_sd_from_noise,
)
from designspace.analysis.sequential import boundaries, sequential_looks, spent

# -- multiplicity ---------------------------------------------------------------------------------


def _holm_by_closed_testing(p):
    """Holm = closed testing with Bonferroni tests: p_adj(i) = max over sets J containing i of
    min(1, |J| min_{j in J} p_j)."""
    m = len(p)
    out = []
    for i in range(m):
        best = 0.0
        for size in range(1, m + 1):
            for J in combinations(range(m), size):
                if i in J:
                    best = max(best, min(1.0, size * min(p[j] for j in J)))
        out.append(best)
    return np.array(out)


def test_holm_equals_closed_testing_and_bh_equals_its_definition():
    rng = np.random.default_rng(0)
    for _ in range(200):
        m = int(rng.integers(1, 7))
        p = rng.uniform(0, 0.2, m) ** rng.uniform(0.5, 3)
        p[rng.uniform(size=m) < 0.2] = p[0]  # ties
        assert holm(p) == pytest.approx(_holm_by_closed_testing(p), abs=1e-15)
        order = np.argsort(p)
        ref = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
        bh = np.empty(m)
        bh[order] = np.minimum(ref, 1)
        assert adjust(p, "bh") == pytest.approx(bh)
    # the figures: Holm over the five A->E steps
    raw = [0.32, 0.76, 0.036, 1e-6, 0.019]
    assert holm(raw)[[2, 4]] == pytest.approx([0.108, 0.076])
    assert multipliers(raw).tolist() == [2, 1, 3, 5, 4]
    with pytest.raises(ValueError, match="adjust"):
        adjust(raw, "bonferroni-ish")


def test_p_at_a_permutation_floor_prints_as_a_bound():
    assert format_p(1 / 2001, 1 / 2001) == "≤ 5.0e-04"
    assert format_p(5 / 2001, 5 / 2001) == "≤ 0.0025"
    assert format_p(0.0312) == "0.0312" and format_p(2e-5) == "2.0e-05"


# -- the comparison of one pair -------------------------------------------------------------------


def test_unweighted_shifts_are_the_differences_of_medians_and_means():
    rng = np.random.default_rng(1)
    a, b = rng.normal(60, 3, 101), rng.normal(59, 3, 99)
    t = compare_pair(a, b, permutations=300, n_boot=500, seed=1)
    assert t.median.estimate == pytest.approx(np.median(b) - np.median(a))
    assert t.mean.estimate == pytest.approx(b.mean() - a.mean())
    assert t.median.low < t.median.estimate < t.median.high
    assert t.ks_p == stats.ks_2samp(a, b).pvalue and t.n1_eff == pytest.approx(101)
    # the bootstrap se of a median at n ~ 100 of N(., 3): sqrt(pi/2) 3 sqrt(2 / 100) ~ 0.53
    assert 0.35 < t.se < 0.75 and t.unit_sd == pytest.approx(t.se * 10, rel=0.3)


def test_directional_claim_uses_a_one_sided_test():
    rng = np.random.default_rng(2)
    a, b = rng.normal(60, 3, 100), rng.normal(59.2, 3, 100)
    two = compare_pair(a, b, permutations=2000, n_boot=200, seed=0)
    less = compare_pair(a, b, alternative="less", permutations=2000, n_boot=200, seed=0)
    greater = compare_pair(a, b, alternative="greater", permutations=2000, n_boot=200, seed=0)
    assert less.p < two.p < 1 and greater.p > 0.5
    assert less.p == pytest.approx(two.p / 2, abs=0.02)


def test_normalized_shift_removes_a_pure_complexity_difference():
    rng = np.random.default_rng(3)
    log1, log2 = rng.uniform(6, 8, 400), 6 + 2 * np.sqrt(rng.uniform(size=400))
    e1, e2 = 70 - 3 * log1 + rng.normal(0, 1, 400), 70 - 3 * log2 + rng.normal(0, 1, 400)
    raw = compare_pair(e1, e2, permutations=500, n_boot=200)
    assert raw.p < 0.01 and raw.median.estimate < -0.5  # bigger models, lower error
    norm = complexity_weights([10**log1, 10**log2])
    t = compare_pair(e1, e2, norm.weights[0], norm.weights[1], norm.bins[0], norm.bins[1], permutations=500, n_boot=500)
    assert abs(t.median.estimate) < 0.3 and t.p > 0.01 and t.median.low < 0 < t.median.high
    assert t.n1_eff < t.n1  # normalization costs effective size


def test_three_way_verdicts_and_their_words():
    rng = np.random.default_rng(4)
    base = rng.normal(60, 2, 300)
    same = compare_pair(base, rng.normal(60, 2, 300), margin=1.0, n_boot=1000, permutations=500, seed=1)
    better = compare_pair(base, rng.normal(58, 2, 300), alternative="less", n_boot=500, permutations=500)
    worse = compare_pair(base, rng.normal(61.5, 2, 300), n_boot=500, permutations=500)
    vague = compare_pair(base[:20], rng.normal(60.3, 2, 20), n_boot=500, permutations=500)
    v = decide([same, better, worse, vague])
    assert [x.label for x in v] == ["equivalent", "better", "worse", "inconclusive"]
    assert v[0].p_equiv_adj < 0.05 and v[1].p_adj < 0.05
    assert "no loss" in verdict_text(v[0], same)
    assert all("no loss" not in verdict_text(x, t) for x, t in zip(v[1:], [better, worse, vague]))
    assert v[3].needs_n is not None and v[3].needs_n > 20 and "needs n" in verdict_text(v[3], vague)
    assert all(0 <= x.stability <= 1 for x in v) and v[1].stability > 0.9
    # raw and adjusted are both kept; Holm never lowers a p-value
    assert all(x.p_adj >= t.p for x, t in zip(v, [same, better, worse, vague]))


def test_compare_frame_is_tidy_and_checks_its_input():
    rng = np.random.default_rng(5)
    frames = []
    for name, mu in (("a", 60.0), ("b", 60.0), ("c", 58.0)):
        flops = 10 ** rng.uniform(6.6, 6.9, 80)
        frames.append(pd.DataFrame({"study": name, "test_error": rng.normal(mu, 1.5, 80), "flops": flops}))
    df = pd.concat(frames)
    out = compare_frame(df, [("a", "b", "no loss"), ("b", "c", "better")], permutations=300, n_boot=300)
    assert list(out["after"]) == ["b", "c"] and list(out["test"]) == ["median shift, two-sided", "median shift, less"]
    assert {"ks_p", "ks_p_adj", "p", "p_adj", "p_equiv_adj", "verdict", "verdict_pooled", "stability"} <= set(out)
    assert out.loc[1, "verdict"] == "better" and (out["p_adj"] >= out["p"]).all()
    with pytest.raises(ValueError, match="no population"):
        compare_frame(df, [("a", "zzz")])
    with pytest.raises(ValueError, match="claim"):
        compare_frame(df, [("a", "b", "much better")])
    with pytest.raises(ValueError, match="no column"):
        compare_frame(df.drop(columns="flops"), [("a", "b")])


# -- type-I error (fast version of benchmarks/bench_type1.py) -------------------------------------


def _null_rates(sims: int, n: int = 40):
    rng = np.random.default_rng(6)
    rej = {"raw": 0, "normalized": 0, "pooled target": 0, "one-sided": 0, "equivalence": 0}
    for i in range(sims):
        log1, log2 = rng.uniform(6, 7, n), 6 + np.sqrt(rng.uniform(size=n))  # different complexity mixes
        e1 = 62 - 2 * log1 + rng.standard_t(5, n)
        e2 = 62 - 2 * log2 + rng.standard_t(5, n)
        raw = compare_pair(rng.standard_t(5, 30), rng.standard_t(5, 30), permutations=199, n_boot=50, seed=i)
        rej["raw"] += raw.p <= 0.05
        norm = complexity_weights([10**log1, 10**log2], bins=4)
        t = compare_pair(
            e1, e2, norm.weights[0], norm.weights[1], norm.bins[0], norm.bins[1],
            alternative="less", permutations=199, n_boot=50, seed=i,
        )  # fmt: skip
        rej["one-sided"] += t.p <= 0.05
        rej["normalized"] += t.ks_p <= 0.05
        pooled = complexity_weights([10**log1, 10**log2], bins=4, target="pooled")
        w = compare_pair(e1, e2, *pooled.weights, *pooled.bins, permutations=199, n_boot=2, seed=i)
        rej["pooled target"] += w.ks_p <= 0.05
        # equivalence at the margin's edges: the true median shift is exactly +-1 = the margin
        edge = 1.0 if i % 2 else -1.0
        eq = compare_pair(rng.standard_t(5, n), rng.standard_t(5, n) + edge, margin=1.0, permutations=9, n_boot=300)
        rej["equivalence"] += eq.p_equiv <= 0.05
    return {k: v / sims for k, v in rej.items()}


def test_type_one_error_of_every_test_fast():
    rates = _null_rates(150)
    # 150 simulations: binomial sd at alpha = 0.05 is 0.018; allow 3 sd
    for name, rate in rates.items():
        assert rate <= 0.05 + 0.055, (name, rate)


def test_holm_controls_the_familywise_error():
    rng = np.random.default_rng(7)
    p = rng.uniform(size=(4000, 5))  # five true nulls
    assert np.mean((np.apply_along_axis(holm, 1, p) < 0.05).any(axis=1)) <= 0.05 + 0.01
    assert np.mean((p < 0.05).any(axis=1)) > 0.2  # uncorrected: ~23%


# -- planner ----------------------------------------------------------------------------------------


def test_planner_closed_forms():
    sd = 3.0
    n = n_difference(1.0, sd, 0.8, 0.05)
    assert n == int(np.ceil(((1.96 + 0.8416) * sd / 1.0) ** 2)) or abs(n - ((1.96 + 0.8416) * sd) ** 2) < 1.5
    assert power_difference(1.0, sd, n) >= 0.8 > power_difference(1.0, sd, n - 1)
    assert n_difference(-1.0, sd, alternative="less") < n  # one-sided needs fewer
    assert n_difference(1.0, sd, alternative="less") is None  # wrong direction: no n
    ne = n_equivalence(1.0, sd, 0.8, 0.05)
    assert power_equivalence(1.0, sd, ne) >= 0.8 > power_equivalence(1.0, sd, ne - 1)
    assert n_equivalence(1.0, sd, shift=1.2) is None
    # noise: with icc 0.5, going from 1 to 2 trainings per model cuts n by (1 + 1/2) / (1 + 1) = 0.75
    assert noise_factor(0.5, 2) == pytest.approx(0.75) and noise_factor(0.5, 2, pilot_replicates=2) == 1.0
    assert unit_sd_from_noise(1.0, 1.0, 2) ** 2 == pytest.approx(np.pi * 1.5)


def test_planner_predicts_simulated_power():
    # the median-shift test at n = 60 per population, normal errors, a shift with ~60% predicted power
    rng = np.random.default_rng(8)
    sd = unit_sd_from_noise(2.0)
    n, shift = 60, 0.8
    predicted = power_difference(shift, sd, n)
    hits = 0
    sims = 150
    for i in range(sims):
        t = compare_pair(rng.normal(0, 2, n), rng.normal(shift, 2, n), permutations=199, n_boot=2, seed=i)
        hits += t.p <= 0.05
    assert abs(hits / sims - predicted) < 0.15, (hits / sims, predicted)


# -- sequential -----------------------------------------------------------------------------------


def test_spending_and_boundaries():
    t = np.array([0.25, 0.5, 0.75, 1.0])
    assert spent(1.0) == pytest.approx(0.05) and spent(1.0, kind="pocock") == pytest.approx(0.05)
    assert np.all(np.diff(spent(t)) > 0)
    c = boundaries(t)
    assert np.all(np.diff(c) < 0) and c[-1] > 1.96  # strict early, close to 1.96 at the end
    assert boundaries([1.0]) == pytest.approx([1.959964], abs=1e-4)
    # the boundaries spend exactly alpha under the canonical joint normal law
    rng = np.random.default_rng(9)
    steps = rng.normal(size=(200_000, 4)) * np.sqrt(np.diff(np.r_[0, t]))
    z = np.cumsum(steps, axis=1) / np.sqrt(t)
    assert np.mean((np.abs(z) >= c).any(axis=1)) == pytest.approx(0.05, abs=0.003)
    with pytest.raises(ValueError, match="fractions"):
        boundaries([0.5, 0.4, 1.0])


def test_sequential_looks_stop_early_on_a_large_shift_and_hold_the_level():
    rng = np.random.default_rng(10)
    looks = sequential_looks(rng.normal(60, 2, 200), rng.normal(57, 2, 200), [50, 100, 150, 200])
    assert looks[-1].stop and looks[-1].n < 200
    false = 0
    for i in range(100):
        res = sequential_looks(rng.normal(0, 1, 80), rng.normal(0, 1, 80), [20, 40, 60, 80], permutations=99, seed=i)
        false += res[-1].stop
    assert false / 100 <= 0.05 + 0.065
