"""Pairwise comparisons of populations with verdicts a reviewer accepts (docs/analysis.md, "Verdicts").

:func:`compare_frame` turns a tidy frame (one row per model) and a list of pairs (``before``,
``after``[, claim]) into the comparison table of ``designspace analyze``: for each pair the raw
statistics of :func:`~designspace.analysis.pair_test.compare_pair` (KS ``D`` and its p-value, the median
and mean shift with bootstrap intervals, the permutation test of the median shift, the equivalence
test at ``±margin``), then the report's three-way verdicts with adjusted p-values
(:func:`~designspace.analysis.verdicts.decide`). The shared pieces (margin, level, claims, intervals,
TOST) are in :mod:`~designspace.analysis.effect`.

The names of those modules are offered here too (``from designspace.analysis.compare import
compare_pair, decide``), as before they had their own files.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from designspace.analysis.edf import complexity_weights
from designspace.analysis.effect import CLAIMS, DEFAULT_ALPHA, DEFAULT_MARGIN, Interval
from designspace.analysis.pair_test import PairTest, compare_pair
from designspace.analysis.verdicts import Verdict, decide, verdict_text

__all__ = [
    "CLAIMS",
    "DEFAULT_ALPHA",
    "DEFAULT_MARGIN",
    "Interval",
    "PairTest",
    "Verdict",
    "compare_frame",
    "compare_pair",
    "decide",
    "verdict_text",
]


@dataclass(frozen=True)
class _Pair:
    before: str
    after: str
    claim: str


def _pair_seed(seed: int, q: _Pair) -> int:
    """A pair's seed from its names: the same pair gets the same resamples in every report."""
    words = [seed, zlib.crc32(q.before.encode()), zlib.crc32(q.after.encode())]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def compare_frame(
    data: pd.DataFrame,
    pairs: Sequence[tuple[str, str] | tuple[str, str, str]],
    *,
    population: str = "study",
    error: str = "test_error",
    complexity: str | None = "flops",
    target: str = "uniform",
    robustness: bool = True,
    shared: bool = False,
    bins: int | None = None,
    margin: float = DEFAULT_MARGIN,
    alpha: float = DEFAULT_ALPHA,
    adjustment: str = "holm",
    permutations: int = 2000,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """The comparison table of a tidy frame (one row per model): one row per pair, tidy.

    ``pairs``: ``(before, after)`` or ``(before, after, claim)`` with a claim of :data:`CLAIMS`
    (``"better"`` makes the decision test one-sided). ``complexity``: the column to normalize by, or
    None for plain EDFs; each pair on its own common bins, or with ``shared`` one normalization of
    all the populations named (as the EDF plot of ``designspace analyze`` draws them). All pairs form
    one family for the adjustment. With ``robustness``, the verdict is also given with the other normalization target
    (``verdict_<target>``) and the share of bootstrap resamples that give the same verdict.
    """
    for col in [population, error] + ([complexity] if complexity else []):
        if col not in data.columns:
            raise ValueError(f"compare_frame: no column {col!r} (have {', '.join(map(str, data.columns))})")
    todo = []
    for p in pairs:
        if len(p) not in (2, 3):
            raise ValueError(f"compare_frame: a pair is (before, after[, claim]), got {p!r}")
        claim = p[2] if len(p) == 3 else "none"
        if claim not in CLAIMS:
            raise ValueError(f"claim={claim!r}: use one of {', '.join(CLAIMS)}")
        todo.append(_Pair(str(p[0]), str(p[1]), claim))
    groups = {name: g for name, g in data.groupby(population, sort=False)}
    for q in todo:
        for name in (q.before, q.after):
            if name not in groups:
                raise ValueError(f"compare_frame: no population {name!r} in column {population!r}")
    targets = [target] + ([t for t in ("uniform", "pooled") if t != target] if robustness and complexity else [])
    names = list(dict.fromkeys(n for q in todo for n in (q.before, q.after)))
    tables = {}
    for tg in targets:
        common = None
        if complexity and shared:
            common = complexity_weights([groups[n][complexity].to_numpy(float) for n in names], bins, complexity, tg)
        tests = []
        for q in todo:
            a, b = groups[q.before], groups[q.after]
            e1, e2 = a[error].to_numpy(float), b[error].to_numpy(float)
            kw: dict = {}
            if complexity:
                if common is not None:
                    i1, i2 = names.index(q.before), names.index(q.after)
                    norm_w, norm_b = (common.weights[i1], common.weights[i2]), (common.bins[i1], common.bins[i2])
                else:
                    own = complexity_weights(
                        [a[complexity].to_numpy(float), b[complexity].to_numpy(float)], bins, complexity, tg
                    )
                    norm_w, norm_b = own.weights, own.bins
                kw = dict(w1=norm_w[0], w2=norm_w[1], strata1=norm_b[0], strata2=norm_b[1])
            tests.append(
                compare_pair(
                    e1,
                    e2,
                    **kw,
                    alternative=CLAIMS[q.claim],
                    margin=margin,
                    level=1 - alpha,
                    alpha=alpha,
                    permutations=permutations,
                    n_boot=n_boot,
                    seed=_pair_seed(seed, q),
                )
            )
        tables[tg] = (tests, decide(tests, alpha=alpha, adjustment=adjustment))
    rows = []
    tests, verdicts = tables[target]
    for i, (q, t, v) in enumerate(zip(todo, tests, verdicts)):
        row = {
            "before": q.before,
            "after": q.after,
            "claim": q.claim,
            "n_before": t.n1,
            "n_after": t.n2,
            "n_eff_before": t.n1_eff,
            "n_eff_after": t.n2_eff,
            "ks_d": t.d,
            "ks_d_plus": t.d_plus,
            "ks_d_minus": t.d_minus,
            "ks_p": t.ks_p,
            "ks_p_adj": v.ks_p_adj,
            "ks_method": t.ks_method,
            "ks_d_crit": t.d_crit,
            "median_shift": t.median.estimate,
            "median_low": t.median.low,
            "median_high": t.median.high,
            "mean_shift": t.mean.estimate,
            "mean_low": t.mean.low,
            "mean_high": t.mean.high,
            "interval": t.median.level,
            "test": f"median shift, {t.alternative}",
            "p": t.p,
            "p_adj": v.p_adj,
            "p_floor": t.p_floor,
            "margin": t.margin,
            "p_equiv": t.p_equiv,
            "p_equiv_adj": v.p_equiv_adj,
            "verdict": v.label,
            "needs_n": v.needs_n,
            "stability": v.stability,
            "target": target,
            "adjustment": adjustment,
        }
        for tg in targets[1:]:
            row[f"verdict_{tg}"] = tables[tg][1][i].label
            row[f"p_adj_{tg}"] = tables[tg][1][i].p_adj
        rows.append(row)
    return pd.DataFrame(rows)
