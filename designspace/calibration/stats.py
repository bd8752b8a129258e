"""Reliability and validity of a measurement protocol, with bootstrap intervals over models.

``scores`` is an (n models x k replicates) array: one test error per model and independent
training (replicate). The statistics:

* ``icc_consistency``: ICC(C,1) of McGraw & Wong (1996) = Shrout & Fleiss's ICC(3,1), two-way,
  consistency, single measurement: ``(MSR - MSE) / (MSR + (k - 1) MSE)``. A shift shared by all
  models of one replicate (common random numbers give every model of a replicate the same data
  order) does not count as disagreement: it changes no ranking. The primary figure.
* ``icc_agreement``: ICC(1,1), one-way random effects, single measurement: ``(MSB - MSW) / (MSB +
  (k - 1) MSW)``; every difference between replicates counts. Equal to ICC(C,1) in expectation when
  replicates share nothing; with two replicates it is :func:`designspace.analysis.reliability.
  noise_and_spread`'s ``icc``.
* ``spearman_between``: mean Spearman correlation over pairs of replicates.
* ``spearman_reference``: mean over replicates of Spearman(one training, the reference): the
  validity of one training.

Intervals (95%): for the ICCs, the exact F intervals of McGraw & Wong (1996; exact when model
effects and noise are normal; a simulation in the tests checks their coverage), and beside them a
BCa bootstrap over models; for the Spearman correlations, the BCa bootstrap over models
(``scipy.stats.bootstrap``, rows resampled with all their columns; percentile where BCa is
undefined). With n = 36 and two replicates the bootstrap's ICC intervals cover ~90%, not 95%.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable

import numpy as np
from scipy import stats

__all__ = [
    "bootstrap_ci",
    "icc_agreement",
    "icc_f_ci",
    "icc_consistency",
    "spearman_between",
    "spearman_reference",
    "summary",
]

Statistic = Callable[[np.ndarray], np.ndarray]  # (..., n, k) -> (...)


def _matrix(scores: np.ndarray) -> np.ndarray:
    m = np.asarray(scores, dtype=float)
    if m.ndim != 2 or m.shape[0] < 3 or m.shape[1] < 2:
        raise ValueError(f"scores: need an (n >= 3 models) x (k >= 2 replicates) array, got shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError("scores: every model needs a finite score in every replicate (drop incomplete models)")
    return m


def _mean_squares(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (models), columns (replicates) and residual mean squares of (..., n, k) arrays."""
    n, k = m.shape[-2:]
    grand = m.mean(axis=(-2, -1), keepdims=True)
    rows = m.mean(axis=-1, keepdims=True)
    cols = m.mean(axis=-2, keepdims=True)
    msr = k * ((rows - grand) ** 2).sum(axis=(-2, -1)) / (n - 1)
    msc = n * ((cols - grand) ** 2).sum(axis=(-2, -1)) / (k - 1)
    mse = ((m - rows - cols + grand) ** 2).sum(axis=(-2, -1)) / ((n - 1) * (k - 1))
    return msr, msc, mse


def _icc_c(m: np.ndarray) -> np.ndarray:
    k = m.shape[-1]
    msr, _, mse = _mean_squares(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (msr - mse) / (msr + (k - 1) * mse)


def _icc_1(m: np.ndarray) -> np.ndarray:
    n, k = m.shape[-2:]
    rows = m.mean(axis=-1, keepdims=True)
    msb = k * ((rows - m.mean(axis=(-2, -1), keepdims=True)) ** 2).sum(axis=(-2, -1)) / (n - 1)
    msw = ((m - rows) ** 2).sum(axis=(-2, -1)) / (n * (k - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (msb - msw) / (msb + (k - 1) * msw)


def _spearman_cols(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rho between (..., n) arrays, along the last axis."""
    ra = stats.rankdata(a, axis=-1)
    rb = stats.rankdata(b, axis=-1)
    ra = ra - ra.mean(axis=-1, keepdims=True)
    rb = rb - rb.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ra * rb).sum(-1) / np.sqrt((ra**2).sum(-1) * (rb**2).sum(-1))


def _between(m: np.ndarray) -> np.ndarray:
    k = m.shape[-1]
    pairs = list(itertools.combinations(range(k), 2))
    return sum(_spearman_cols(m[..., i], m[..., j]) for i, j in pairs) / len(pairs)


def _against_last(m: np.ndarray) -> np.ndarray:
    """Mean Spearman of columns 0..k-2 against the last column (the reference)."""
    k = m.shape[-1]
    return sum(_spearman_cols(m[..., i], m[..., -1]) for i in range(k - 1)) / (k - 1)


def icc_consistency(scores: np.ndarray) -> float:
    return float(_icc_c(_matrix(scores)))


def icc_agreement(scores: np.ndarray) -> float:
    return float(_icc_1(_matrix(scores)))


def spearman_between(scores: np.ndarray) -> float:
    return float(_between(_matrix(scores)))


def spearman_reference(scores: np.ndarray, reference: np.ndarray) -> float:
    m = _matrix(scores)
    ref = np.asarray(reference, dtype=float).reshape(-1, 1)
    if ref.shape[0] != m.shape[0]:
        raise ValueError(f"reference: {ref.shape[0]} values for {m.shape[0]} models")
    return float(_against_last(np.hstack([m, ref])))


def icc_f_ci(scores: np.ndarray, form: str = "consistency", level: float = 0.95) -> tuple[float, float]:
    """The F-distribution interval of ICC(C,1) (``consistency``) or ICC(1,1) (``agreement``)."""
    m = _matrix(scores)
    n, k = m.shape
    if form == "consistency":
        msr, _, mse = _mean_squares(m)
        f, df1, df2 = float(msr / mse), n - 1, (n - 1) * (k - 1)
    elif form == "agreement":
        rows = m.mean(axis=1, keepdims=True)
        msb = k * float(((rows - m.mean()) ** 2).sum()) / (n - 1)
        msw = float(((m - rows) ** 2).sum()) / (n * (k - 1))
        f, df1, df2 = msb / msw, n - 1, n * (k - 1)
    else:
        raise ValueError(f"form={form!r}: must be consistency or agreement")
    q = 1 - (1 - level) / 2
    f_lo = f / stats.f.ppf(q, df1, df2)
    f_hi = f * stats.f.ppf(q, df2, df1)
    return (f_lo - 1) / (f_lo + k - 1), (f_hi - 1) / (f_hi + k - 1)


def bootstrap_ci(
    m: np.ndarray, statistic: Statistic, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """BCa interval of ``statistic`` over models resampled with replacement (rows of ``m``)."""
    m = np.asarray(m, dtype=float)
    n = m.shape[0]

    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        return statistic(m[idx.astype(int)])

    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in ("BCa", "percentile"):
            res = stats.bootstrap(
                (np.arange(n),), stat, n_resamples=n_boot, vectorized=True, method=method,
                confidence_level=level, random_state=rng,
            )  # fmt: skip
            lo, hi = res.confidence_interval
            if np.isfinite(lo) and np.isfinite(hi):
                return float(lo), float(hi)
    return float("nan"), float("nan")


def summary(scores: np.ndarray, reference: np.ndarray | None = None, *, n_boot: int = 2000, seed: int = 0) -> dict:
    """Every statistic with its interval: ``{name: {"value", "ci95"}}`` plus ``n`` and ``k``."""
    m = _matrix(scores)
    out: dict = {"n": int(m.shape[0]), "k": int(m.shape[1])}
    for name, fn in (("icc_consistency", _icc_c), ("icc_agreement", _icc_1)):
        out[name] = {
            "value": float(fn(m)),
            "ci95": [float(v) for v in icc_f_ci(m, name.split("_")[1])],
            "ci95_bootstrap": list(bootstrap_ci(m, fn, n_boot=n_boot, seed=seed)),
        }
    out["spearman_between"] = {
        "value": float(_between(m)),
        "ci95": list(bootstrap_ci(m, _between, n_boot=n_boot, seed=seed)),
    }
    if reference is not None:
        ref = np.asarray(reference, dtype=float).reshape(-1, 1)
        if ref.shape[0] != m.shape[0] or not np.isfinite(ref).all():
            raise ValueError("reference: one finite value per model needed")
        both = np.hstack([m, ref])
        out["spearman_reference"] = {
            "value": float(_against_last(both)),
            "ci95": list(bootstrap_ci(both, _against_last, n_boot=n_boot, seed=seed)),
        }
    return out


def factor_effects(
    matrices: dict[str, np.ndarray],
    levels: dict[str, dict[str, int]],
    statistic: Statistic = _icc_c,
    *,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, dict[str, object]]:
    """Main effects of two-level factors on a statistic of each protocol's (n x k) matrix.

    ``matrices`` hold the SAME n models (rows) in every protocol; ``levels[protocol][factor]`` is
    -1 or +1 and every protocol gives every factor. The effect of a factor is the mean statistic of
    the protocols at +1 minus that at -1 (in a fractional design: aliased with the interactions its
    generators name). Interval: 95% percentile bootstrap over models, resampled jointly in all
    protocols (the protocols' statistics share their models' sampling error).
    """
    names = list(matrices)
    if len(names) < 2:
        raise ValueError("factor_effects: need at least two protocols")
    n = {np.asarray(m).shape[0] for m in matrices.values()}
    if len(n) != 1:
        raise ValueError("factor_effects: every protocol needs the same models (rows)")
    factors = sorted({f for p in names for f in levels[p]})
    for p in names:
        if sorted(levels[p]) != factors:
            raise ValueError(f"factor_effects: protocol {p} does not give a level for every factor")
    x = np.array([[levels[p][f] for f in factors] for p in names], dtype=float)  # (P, F)
    counts = (x > 0).sum(0)
    if ((counts == 0) | (counts == len(names))).any():
        raise ValueError("factor_effects: every factor needs protocols at both levels")
    mats = [np.asarray(matrices[p], dtype=float) for p in names]

    def effects(idx: np.ndarray | None) -> np.ndarray:
        vals = np.stack([statistic(m if idx is None else m[idx]) for m in mats])  # (P, ...)
        plus = np.tensordot((x > 0).T / counts[:, None], vals, axes=1)
        minus = np.tensordot((x < 0).T / (len(names) - counts)[:, None], vals, axes=1)
        return plus - minus  # (F, ...)

    point = effects(None)
    rng = np.random.default_rng(seed)
    boot = effects(rng.integers(0, n.pop(), size=(n_boot, mats[0].shape[0])))
    lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=1)
    return {f: {"value": float(point[i]), "ci95": [float(lo[i]), float(hi[i])]} for i, f in enumerate(factors)}
