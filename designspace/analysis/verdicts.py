"""Three-way verdicts of one report's comparisons (docs/analysis.md, "Verdicts"): :func:`decide`.

:func:`decide` adjusts the decision p-values, the equivalence p-values and the KS p-values across
all comparisons of one report (one family each; Holm by default) and gives each a three-way
verdict: ``better``/``worse`` (adjusted decision test rejects; the direction is the shift's sign),
``equivalent`` (adjusted TOST rejects: the only verdict that may be read as "no loss" / "no
difference"), otherwise ``inconclusive``, with the models per population that the planner
(:mod:`~designspace.analysis.power`) says would settle it. Paired studies use the same
:func:`verdict_label` (:mod:`~designspace.analysis.paired`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from designspace.analysis.effect import DEFAULT_ALPHA
from designspace.analysis.multiplicity import adjust, multipliers
from designspace.analysis.pair_test import PairTest
from designspace.analysis.power import n_difference, n_equivalence

__all__ = ["VERDICTS", "Verdict", "decide", "verdict_label", "verdict_text"]

VERDICTS = ("better", "worse", "equivalent", "inconclusive")


@dataclass(frozen=True)
class Verdict:
    label: str  # one of VERDICTS
    p_adj: float
    p_equiv_adj: float
    ks_p_adj: float
    needs_n: int | None  # models per population to settle an inconclusive comparison (None: none needed / no n)
    stability: float  # share of bootstrap resamples with the same verdict


def verdict_label(reject: bool, equivalent: bool, shift: float, alternative: str) -> str:
    """One comparison's verdict from its (adjusted) decision and equivalence tests."""
    if reject:
        if alternative != "two-sided":
            return "better" if alternative == "less" else "worse"
        return "better" if shift < 0 else "worse"
    return "equivalent" if equivalent else "inconclusive"


def _needs_n(t: PairTest, k: float, k_eq: float, alpha: float, power: float) -> int | None:
    """Models per population that would settle an inconclusive comparison, planning with the observed
    shift as the true one at the level its Holm step used: equivalence when the shift is inside the
    margin, a difference otherwise."""
    shift = t.median.estimate
    if abs(shift) < t.margin:
        return n_equivalence(t.margin, t.unit_sd, power, alpha / k_eq, shift)
    return n_difference(shift, t.unit_sd, power, alpha / k, t.alternative)


def _counts_at_least(sorted_x: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``#{x >= c}`` for each threshold ``c`` (``sorted_x`` ascending)."""
    return sorted_x.size - np.searchsorted(sorted_x, thresholds, side="left")


def _stability(t: PairTest, label: str, k: float, k_eq: float, alpha: float) -> float:
    """Share of bootstrap resamples whose verdict equals ``label``: each resample's shift ``b`` is
    put through the same two tests (its p from the permutation null draws, its TOST p from the
    bootstrap draws re-centred on ``b``) at this comparison's own adjusted level."""
    b, tol = t.boot, 1e-9
    null = np.sort(t.null)
    r = null.size
    if t.alternative == "two-sided":
        hits = _counts_at_least(np.sort(np.abs(null)), np.abs(b) - tol)
    elif t.alternative == "less":
        hits = np.searchsorted(null, b + tol, side="right")
    else:
        hits = _counts_at_least(null, b - tol)
    p = (1 + hits) / (1 + r)
    centred = np.sort(t.boot - t.median.estimate)
    up = _counts_at_least(centred, t.margin - b)  # #{b + c >= m}
    down = np.searchsorted(centred, -t.margin - b, side="right")  # #{b + c <= -m}
    p_eq = (1 + np.maximum(up, down)) / (1 + centred.size)
    reject, equiv = k * p < alpha, k_eq * p_eq < alpha
    labels = [verdict_label(bool(x), bool(e), float(v), t.alternative) for x, e, v in zip(reject, equiv, b)]
    return float(np.mean(np.asarray(labels) == label))


def decide(
    tests: Sequence[PairTest], *, alpha: float = DEFAULT_ALPHA, adjustment: str = "holm", power: float = 0.8
) -> list[Verdict]:
    """Three-way verdicts of one report's comparisons (one family), p-values adjusted by ``adjustment``."""
    if not tests:
        return []
    p_adj = adjust([t.p for t in tests], adjustment)
    eq_adj = adjust([t.p_equiv for t in tests], adjustment)
    ks_adj = adjust([t.ks_p for t in tests], adjustment)
    ks = multipliers([t.p for t in tests], adjustment)
    ks_eq = multipliers([t.p_equiv for t in tests], adjustment)
    out = []
    for t, pa, ea, ka, k, k_eq in zip(tests, p_adj, eq_adj, ks_adj, ks, ks_eq):
        label = verdict_label(bool(pa < alpha), bool(ea < alpha), t.median.estimate, t.alternative)
        needs = _needs_n(t, k, k_eq, alpha, power) if label == "inconclusive" else None
        out.append(Verdict(label, float(pa), float(ea), float(ka), needs, _stability(t, label, k, k_eq, alpha)))
    return out


def verdict_text(v: Verdict, t: PairTest) -> str:
    """The verdict in words: "no loss" appears only for ``equivalent``."""
    if v.label == "equivalent":
        return f"equivalent (no loss beyond ±{t.margin:g} pt)"
    if v.label == "inconclusive":
        return "inconclusive" + (f", needs n ≈ {v.needs_n} per space" if v.needs_n else ", no n settles it")
    return v.label
