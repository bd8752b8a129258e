"""Seed noise against the spread between models, on data whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from designspace.analysis.reliability import noise_and_spread, reliability_of_mean


def test_noise_and_spread_recover_the_generating_values():
    rng = np.random.default_rng(0)
    true = rng.normal(40, 2.0, size=20_000)  # spread sd 2
    a, b = true + rng.normal(0, 1.0, true.size), true + rng.normal(0, 1.0, true.size)  # noise sd 1
    r = noise_and_spread(a, b)
    assert r["noise_sd_per_run"] == pytest.approx(1.0, abs=0.03)
    assert r["spread_sd_true"] == pytest.approx(2.0, abs=0.05)
    assert r["icc"] == pytest.approx(0.8, abs=0.01)
    # averaging two measurements: noise variance halves, as Spearman-Brown predicts
    c, d = true + rng.normal(0, 1.0, true.size), true + rng.normal(0, 1.0, true.size)
    two = noise_and_spread((a + b) / 2, (c + d) / 2)
    assert two["icc"] == pytest.approx(reliability_of_mean(0.8, 2), abs=0.01)


def test_pure_noise_has_no_spread_and_missing_pairs_are_left_out():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 5000), rng.normal(0, 1, 5000)
    r = noise_and_spread(a, b)
    assert r["icc"] < 0.05 and r["noise_sd_per_run"] == pytest.approx(1.0, abs=0.05)
    assert noise_and_spread([1.0, 2.0, np.nan, 4.0], [1.5, 2.5, 3.0, np.nan])["noise_sd_per_run"] == 0.0


def test_bad_input_is_one_clear_error():
    with pytest.raises(ValueError, match="at least 2"):
        noise_and_spread([1.0], [2.0])
    with pytest.raises(ValueError, match="equally long"):
        noise_and_spread([1.0, 2.0], [2.0])
    with pytest.raises(ValueError, match="k=0"):
        reliability_of_mean(0.5, 0)
    assert reliability_of_mean(0.57, 1) == 0.57 and reliability_of_mean(0.57, 2) == pytest.approx(0.726, abs=1e-3)
