"""The statistics of designspace.analysis against scipy, hand-computed values and known answers."""

import numpy as np
import pytest
from scipy import stats

from designspace.analysis import (
    binned_trend,
    complexity_weights,
    edf,
    edf_band,
    good_range,
    ks_statistic,
    ks_test,
)

# -- EDF ------------------------------------------------------------------------------------------


def test_edf_hand_computed():
    f = edf([3.0, 1.0, 2.0, 2.0])
    assert f([0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 10.0]).tolist() == [0, 0, 0.25, 0.25, 0.75, 0.75, 1.0]
    assert f.upper([1.0, 2.0, 3.0]).tolist() == [0.25, 0.75, 1.0]
    x, y = f.steps()
    assert x.tolist() == [1.0, 2.0, 3.0] and y.tolist() == [0.25, 0.75, 1.0]


def test_weighted_edf_hand_computed():
    f = edf([3.0, 1.0, 2.0, 2.0], [1.0, 2.0, 3.0, 4.0])
    assert f([1.0, 1.5, 2.5, 3.5]) == pytest.approx([0.0, 0.2, 0.9, 1.0], abs=1e-15)
    assert f.quantile(0.5) == 2.0


def test_edf_rejects_bad_input():
    with pytest.raises(ValueError, match="not finite"):
        edf([1.0, np.nan])
    with pytest.raises(ValueError, match="weights"):
        edf([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="non-empty"):
        edf([])


# -- KS -------------------------------------------------------------------------------------------


def test_ks_statistic_equals_scipy():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n1, n2 = rng.integers(3, 400, size=2)
        a = rng.normal(size=n1).round(rng.integers(0, 3))  # rounding makes ties
        b = rng.normal(rng.uniform(-0.5, 0.5), size=n2).round(rng.integers(0, 3))
        ref = stats.ks_2samp(a, b)
        assert abs(ks_statistic(a, b) - ref.statistic) <= 1e-12
        res = ks_test(a, b)
        assert abs(res.d - ref.statistic) <= 1e-12 and res.p == ref.pvalue


def test_weighted_ks_hand_computed_and_integer_weights_repeat_samples():
    assert ks_statistic([1.0, 2.0], [1.5], [3.0, 1.0]) == pytest.approx(0.75, abs=1e-15)
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=30), rng.normal(0.3, size=40)
    ca, cb = rng.integers(1, 5, size=30), rng.integers(1, 5, size=40)
    ref = stats.ks_2samp(np.repeat(a, ca), np.repeat(b, cb)).statistic
    assert abs(ks_statistic(a, b, ca, cb) - ref) <= 1e-12


def test_permutation_pvalue_agrees_with_scipy():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=80), rng.normal(0.35, size=90)
    ref = stats.ks_2samp(a, b).pvalue
    perm = ks_test(a, b, method="permutation", permutations=4000, seed=0)
    assert abs(perm.p - ref) < 0.03
    assert perm.method.startswith("permutation")
    # seeded: the same seed gives the same p-value
    assert (
        ks_test(a, b, method="permutation", permutations=500, seed=5).p
        == ks_test(a, b, method="permutation", permutations=500, seed=5).p
    )


def test_same_distribution_small_d_and_uniform_pvalues():
    ds, ps, wps = [], [], []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        a, b = rng.normal(size=100), rng.normal(size=100)
        r = ks_test(a, b)
        ds.append(r.d)
        ps.append(r.p)
        if seed < 80:  # stratified weighted permutation test: random strata, weights constant per cell
            sa, sb = rng.integers(0, 4, 100), rng.integers(0, 4, 100)
            wa, wb = rng.uniform(0.5, 2, 4)[sa], rng.uniform(0.5, 2, 4)[sb]
            wps.append(ks_test(a, b, wa, wb, strata1=sa, strata2=sb, permutations=200, seed=seed).p)
    # E[D] for n1 = n2 = 100 is about 0.8687 / sqrt(50) = 0.123
    assert 0.09 < np.mean(ds) < 0.16
    # scipy's exact p-values live on a lattice (D takes multiples of 1/100) and are slightly
    # conservative, so compare the fraction below each level instead of testing continuity
    ps = np.asarray(ps)
    for alpha in (0.1, 0.25, 0.5, 0.75, 0.9):
        assert abs(np.mean(ps <= alpha) - alpha) < 0.1
    assert 0.42 < ps.mean() < 0.6
    assert stats.kstest(wps, "uniform").pvalue > 0.01  # permutation p-values: close to continuous
    assert 0.38 < np.mean(wps) < 0.62


def test_shift_is_detected_at_n_100():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        a, b = rng.normal(size=100), rng.normal(1.0, size=100)
        assert ks_test(a, b).p < 0.01
        assert ks_test(a, b, np.ones(100), np.ones(100), permutations=300, seed=seed).p < 0.01


def test_weighted_ks_without_strata_is_refused():
    # a pooled shuffle in which each model keeps its own weight is no valid null for normalized EDFs
    a, b = np.arange(10.0), np.arange(10.0) + 0.5
    with pytest.raises(ValueError, match="need strata"):
        ks_test(a, b, np.linspace(1, 2, 10), np.ones(10))
    with pytest.raises(ValueError, match="equal within each"):
        ks_test(a, b, np.linspace(1, 2, 10), np.ones(10), strata1=np.zeros(10, int), strata2=np.zeros(10, int))
    res = ks_test(a, b, np.full(10, 3.0), np.ones(10), permutations=99)  # equal weights: a plain permutation test
    assert res.method == "permutation (99, pooled)" and res.floor == 0.01


def test_ks_and_compare_pair_leave_out_weight_zero_models_and_need_a_stratum_each():
    from designspace.analysis.pair_test import compare_pair

    rng = np.random.default_rng(3)
    a, b = rng.normal(30, 2, 40), rng.normal(29, 2, 40)
    strata = np.arange(40) % 2
    w1 = np.where(strata == 0, 1.0, 2.0)
    w1[:6] = 0.0  # six models of population 1 take no part
    w2 = np.where(strata == 0, 1.5, 0.5)
    res = ks_test(a, b, w1, w2, strata1=strata, strata2=strata, permutations=99)
    pair = compare_pair(a, b, w1, w2, strata, strata, permutations=99, n_boot=50)
    assert (res.n1, res.n2) == (pair.n1, pair.n2) == (34, 40)
    without = ks_test(a[6:], b, w1[6:], w2, strata1=strata[6:], strata2=strata, permutations=9)
    assert pair.d == pytest.approx(res.d) and res.d == pytest.approx(without.d)
    with pytest.raises(ValueError, match=r"x2: need one stratum per model \(got shape \(3,\)\)"):
        ks_test(a, b, w1, w2, strata1=strata, strata2=strata[:3])
    with pytest.raises(ValueError, match=r"after: need one stratum per model"):
        compare_pair(a, b, w1, w2, strata, strata[:3])


# -- complexity normalization ---------------------------------------------------------------------


def _flops_only_populations(seed: int, n: int = 2000):
    """Two populations whose error depends only on flops, with different flops distributions."""
    rng = np.random.default_rng(seed)
    log1 = rng.uniform(6, 8, n)  # uniform in log flops
    log2 = 6 + 2 * np.sqrt(rng.uniform(size=n))  # skewed towards big models
    err1 = 40 - 3 * log1 + rng.normal(0, 0.5, n)
    err2 = 40 - 3 * log2 + rng.normal(0, 0.5, n)
    return 10**log1, err1, 10**log2, err2


def test_normalization_removes_a_pure_complexity_difference():
    f1, e1, f2, e2 = _flops_only_populations(0)
    raw = ks_test(e1, e2)
    assert raw.d > 0.15 and raw.p < 1e-10  # different before normalization
    norm = complexity_weights([f1, f2])
    res = ks_test(
        e1, e2, norm.weights[0], norm.weights[1], strata1=norm.bins[0], strata2=norm.bins[1], permutations=300
    )
    assert res.d < 0.05 and res.p > 0.01  # equal after
    assert "stratified" in res.method


def test_normalization_weights_make_bins_equal():
    # population 1 fills bins 0..3, population 2 only bins 1..3 of the common edges
    c1 = 10.0 ** np.array([0.1, 0.2, 1.1, 2.1, 2.2, 2.3, 3.9])
    c2 = 10.0 ** np.array([1.5, 2.5, 3.5, 3.6])
    n = complexity_weights([c1, c2], bins=4)
    assert n.edges == pytest.approx(np.linspace(0.1, 3.9, 5))
    assert n.counts.tolist() == [[2, 1, 3, 1], [0, 1, 1, 2]]
    assert n.kept.tolist() == [False, True, True, True] and n.k == 3
    assert n.dropped_models == (2, 0) and n.dropped_bins == 1
    assert n.weights[0].tolist() == pytest.approx([0, 0, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 3])
    assert n.weights[1].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 6, 1 / 6])
    for w, b in zip(n.weights, n.bins):
        assert w.sum() == pytest.approx(1.0)
        assert np.bincount(b, w, minlength=4)[n.kept] == pytest.approx([1 / 3] * 3)


def test_pooled_target_gives_each_bin_its_share_of_all_models():
    c1 = 10.0 ** np.array([0.1, 0.2, 1.1, 2.1, 2.2, 2.3, 3.9])
    c2 = 10.0 ** np.array([1.5, 2.5, 3.5, 3.6])
    n = complexity_weights([c1, c2], bins=4, target="pooled")
    # kept bins 1..3 hold 2, 4 and 3 of the 9 models there
    for w, b in zip(n.weights, n.bins):
        assert np.bincount(b, w, minlength=4) == pytest.approx([0, 2 / 9, 4 / 9, 3 / 9])
    assert "pooled target" in n.describe()
    with pytest.raises(ValueError, match="target"):
        complexity_weights([c1, c2], target="own")


def test_normalization_errors_and_degenerate_cases():
    with pytest.raises(ValueError, match="do not overlap"):
        complexity_weights([[1e6, 2e6], [1e9, 2e9]], bins=4)
    with pytest.raises(ValueError, match="positive"):
        complexity_weights([[0.0, 1.0]])
    same = complexity_weights([[5e6] * 3, [5e6] * 2])
    assert same.k == 1 and same.weights[1].tolist() == [0.5, 0.5]
    assert complexity_weights([np.geomspace(1e6, 1e8, 100)]).counts.shape[1] == 10  # sqrt(100) bins


# -- bootstrap ------------------------------------------------------------------------------------


def test_good_range_matches_the_order_statistic_distribution():
    # values are ranks, so the best of m draws is the minimum of m uniform ranks:
    # P(best = r) = ((n - r) / n)^m - ((n - r - 1) / n)^m
    n, frac = 12, 0.25
    m = 3
    values = np.arange(n, dtype=float)
    errors = values + 0.5
    g = good_range(values, errors, frac=frac, n_boot=40_000, seed=1)
    assert g.draw == m
    r = np.arange(n)
    p = ((n - r) / n) ** m - ((n - r - 1) / n) ** m
    cdf = np.cumsum(p)
    assert g.median == r[np.searchsorted(cdf, 0.5)]
    assert g.low == 0
    assert g.high == r[np.searchsorted(cdf, 0.975)]


def test_good_range_finds_the_optimum_and_is_seeded():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 500)
    err = (x - 3.0) ** 2 + rng.normal(0, 0.5, 500)
    g = good_range(x, err, n_boot=10_000, seed=0)
    assert g.low < 3.0 < g.high and abs(g.median - 3.0) < 0.5 and g.high - g.low < 2.5
    assert g == good_range(x, err, n_boot=10_000, seed=0)
    assert g.n_boot == 10_000 and g.draw == 125


def test_edf_band_width_matches_binomial():
    rng = np.random.default_rng(4)
    e = rng.uniform(size=400)
    grid = np.array([0.25, 0.5, 0.75])
    band = edf_band(e, grid=grid, n_boot=4000, seed=0)
    point = edf(e)(grid)
    assert (band.low <= point).all() and (point <= band.high).all()
    expected = 2 * 1.96 * np.sqrt(point * (1 - point) / e.size)
    assert band.high - band.low == pytest.approx(expected, rel=0.25)
    # stratified resampling with normalization weights keeps the band around the weighted EDF
    flops = 10 ** rng.uniform(6, 8, 400)
    norm = complexity_weights([flops], bins=5)
    wband = edf_band(e, norm.weights[0], grid=grid, strata=norm.bins[0], n_boot=2000, seed=0)
    wpoint = edf(e, norm.weights[0])(grid)
    assert (wband.low <= wpoint).all() and (wpoint <= wband.high).all()
    assert (wband.high - wband.low < 0.15).all()


# -- trends ---------------------------------------------------------------------------------------


def test_binned_trend_discrete_and_continuous():
    rng = np.random.default_rng(5)
    d = rng.integers(1, 5, 400).astype(float)
    err = 10 - d + rng.normal(0, 0.3, 400)
    t = binned_trend(d, err, n_boot=300)
    assert t.discrete and t.centers.tolist() == [1, 2, 3, 4]
    for c, m in zip(t.centers, t.median):
        assert m == pytest.approx(np.median(err[d == c]))
    assert (t.low <= t.median).all() and (t.median <= t.high).all()
    assert np.all(np.diff(t.median) < 0)
    w = 2 ** rng.uniform(4, 10, 400)
    tw = binned_trend(w, np.log2(w), log=True, bins=6, n_boot=200)
    assert not tw.discrete and tw.counts.sum() == 400 and len(tw.centers) == 6
    assert np.all(np.diff(tw.median) > 0)
