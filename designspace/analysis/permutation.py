"""Two-sample statistics under a stratified label permutation: the null distribution of every test
of :mod:`~designspace.analysis.ks` and :mod:`~designspace.analysis.pair_test`.

The pooled models are sorted by error once. A permutation shuffles the population labels *within
each stratum* (complexity bin; one stratum when there are none) and every model takes the label
and the weight of its new (population, stratum) slot. With complexity-normalization weights
(constant per population and bin) that is exactly re-normalizing the permuted populations, so the
null hypothesis is "at equal complexity, both populations have the same error distribution".
Without strata the weights must be equal within each population (plain EDFs): a model that kept
its own weight under a pooled shuffle would not give a valid null for normalized EDFs.

Statistics, of population 2 against population 1 (errors: lower is better):

* ``d``: the KS distance ``sup |F1 - F2|``; ``d_plus = sup (F2 - F1)`` (2 has more mass below some
  error: 2 better) and ``d_minus = sup (F1 - F2)``;
* ``median``: weighted median of 2 minus that of 1 (the smallest error ``e`` with ``F(e+) >= 0.5``);
* ``mean``: weighted mean of 2 minus that of 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STATISTICS", "Pooled", "pooled", "statistics"]

STATISTICS = ("d", "d_plus", "d_minus", "median", "mean")

#: elements per block of permutations (bounds memory: a few arrays of this many floats)
_BLOCK = 1 << 20


@dataclass(frozen=True, eq=False)
class Pooled:
    """Both samples sorted together: errors ``x``, weights ``w`` (each population's sum to 1),
    labels ``g`` (True: population 2), stratum members ``groups`` (indices into ``x``)."""

    x: np.ndarray
    w: np.ndarray
    g: np.ndarray
    groups: tuple[np.ndarray, ...]
    last: np.ndarray  # True at the end of each run of tied errors (where EDFs are compared)

    @property
    def n(self) -> int:
        return int(self.x.size)


def pooled(
    x1: np.ndarray,
    w1: np.ndarray,
    x2: np.ndarray,
    w2: np.ndarray,
    s1: np.ndarray | None = None,
    s2: np.ndarray | None = None,
) -> Pooled:
    """Pool two samples with positive weights (and strata, or none) for :func:`statistics`."""
    if (s1 is None) != (s2 is None):
        raise ValueError("give strata for both samples or for neither")
    if s1 is None:
        for w, name in ((w1, "w1"), (w2, "w2")):
            if np.ptp(w) > 1e-12 * np.max(w):
                raise ValueError(
                    f"{name}: unequal weights need strata (the complexity bins they come from): shuffling labels "
                    "with each model keeping its own weight is not a valid null for normalized EDFs"
                )
    x = np.concatenate((x1, x2))
    w = np.concatenate((w1 / w1.sum(), w2 / w2.sum()))
    g = np.r_[np.zeros(x1.size, bool), np.ones(x2.size, bool)]
    s = np.zeros(x.size, dtype=np.intp) if s1 is None else np.concatenate((np.asarray(s1), np.asarray(s2)))
    order = np.argsort(x, kind="stable")
    x, w, g, s = x[order], w[order], g[order], s[order]
    if s1 is not None:  # every (population, stratum) cell must carry one weight
        for v in np.unique(s):
            for lab in (False, True):
                cell = w[(s == v) & (g == lab)]
                if cell.size and np.ptp(cell) > 1e-9 * cell.max():
                    raise ValueError("weights must be equal within each (population, stratum) cell")
    groups = tuple(np.flatnonzero(s == v) for v in np.unique(s))
    return Pooled(x, w, g, groups, np.r_[x[1:] != x[:-1], True])


def _evaluate(p: Pooled, lab: np.ndarray, wt: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The statistics of rows of labels/weights over the sorted pooled errors."""
    w1 = np.where(lab, 0.0, wt)
    w2 = wt - w1
    c1 = np.cumsum(w1, axis=1)
    c2 = np.cumsum(w2, axis=1)
    t1, t2 = c1[:, -1:], c2[:, -1:]
    out: dict[str, np.ndarray] = {}
    if {"d", "d_plus", "d_minus"} & set(names):
        diff = c2[:, p.last] / t2 - c1[:, p.last] / t1
        out["d_plus"] = np.maximum(diff.max(axis=1), 0.0)
        out["d_minus"] = np.maximum((-diff).max(axis=1), 0.0)
        out["d"] = np.maximum(out["d_plus"], out["d_minus"])
    if "median" in names:
        m1 = p.x[np.argmax(c1 / t1 >= 0.5 - 1e-12, axis=1)]
        m2 = p.x[np.argmax(c2 / t2 >= 0.5 - 1e-12, axis=1)]
        out["median"] = m2 - m1
    if "mean" in names:
        out["mean"] = (w2 @ p.x) / t2[:, 0] - (w1 @ p.x) / t1[:, 0]
    return {k: out[k] for k in names}


def statistics(
    p: Pooled, names: tuple[str, ...] = STATISTICS, permutations: int = 0, seed: int | np.random.Generator = 0
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The observed statistics and ``permutations`` draws of each under the stratified null."""
    bad = set(names) - set(STATISTICS)
    if bad:
        raise ValueError(f"unknown statistics {sorted(bad)}: use {', '.join(STATISTICS)}")
    observed = {k: float(v[0]) for k, v in _evaluate(p, p.g[None, :], p.w[None, :], names).items()}
    rng = np.random.default_rng(seed)
    draws = {k: np.empty(permutations) for k in names}
    step = max(1, _BLOCK // p.n)
    for start in range(0, permutations, step):
        m = min(step, permutations - start)
        src = np.empty((m, p.n), dtype=np.intp)
        for pos in p.groups:  # a random permutation inside each stratum
            src[:, pos] = rng.permuted(np.broadcast_to(pos, (m, pos.size)), axis=1)
        for k, v in _evaluate(p, p.g[src], p.w[src], names).items():  # label and weight go with the slot
            draws[k][start : start + m] = v
    return observed, draws
