"""Paired studies' analysis: paired differences, their median with a bootstrap interval, the Wilcoxon
signed-rank test, and the three-way verdict of :mod:`designspace.analysis.verdicts`.

For each paired study (one principle), ``d = child error - parent error`` per pair (points; negative:
the child is better; each member's error the mean over its replicate trainings):

* the effect: the median of ``d`` with a percentile bootstrap interval (resampling pairs), and the
  mean of ``d`` with its interval; the parent-child correlation of errors (what pairing removes);
* the decision test: Wilcoxon's signed-rank test of ``d`` (``scipy.stats.wilcoxon``), one-sided
  ("the child has lower error") when the principle claims ``better``, two-sided otherwise;
* the equivalence test (TOST): is the median difference inside ``±margin`` points? The larger of the
  two one-sided bootstrap p-values (:func:`designspace.analysis.effect.tost_p`, as population
  comparisons compute it).

:func:`paired_table` adjusts both families of p-values across the studies analysed together (Holm by
default, :mod:`~designspace.analysis.multiplicity`) and labels each with the same rule as population
comparisons: better/worse, equivalent (the only "no loss"), inconclusive. What a paired verdict means
differs from a population comparison's: it is the effect of applying the principle to typical parents
of the parent space, not the difference between the two spaces' distributions (docs/paired.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter
from scipy import stats

from designspace import principles
from designspace.analysis.effect import CLAIMS, DEFAULT_ALPHA, DEFAULT_MARGIN, Interval, interval, tost_p
from designspace.analysis.multiplicity import adjust
from designspace.analysis.plots import render
from designspace.analysis.verdicts import verdict_label
from designspace.ui.numbers import si

__all__ = [
    "PairedTest",
    "draw_paired",
    "is_paired",
    "paired_figure",
    "paired_table",
    "paired_test",
    "paired_text",
    "pairs_frame",
    "write_paired",
]

#: the export column that marks a paired study's trials
PRINCIPLE_COLUMN = "attr_principle"


@dataclass(frozen=True, eq=False)
class PairedTest:
    """Raw statistics of one paired study (``d = child - parent``, points of error)."""

    n: int
    median: Interval
    mean: Interval
    sd: float  # of d
    correlation: float  # Pearson r of parent and child errors
    alternative: str
    p: float  # Wilcoxon signed-rank
    margin: float
    p_equiv: float
    n_boot: int
    boot: np.ndarray = field(repr=False)  # bootstrap draws of the median difference


def is_paired(frame: pd.DataFrame) -> bool:
    """Whether a trial table holds paired studies' trials."""
    return PRINCIPLE_COLUMN in frame.columns and frame[PRINCIPLE_COLUMN].notna().any()


def _list(cell: Any) -> list[float]:
    if isinstance(cell, str):
        cell = json.loads(cell)
    return [float(x) for x in cell] if isinstance(cell, (list, tuple)) else []


def pairs_frame(trials: pd.DataFrame, replicates: int | None = None) -> pd.DataFrame:
    """One row per complete pair of the paired studies in a trial table (``study export``'s format).

    Columns: ``study, principle, slot, pair, parent_flops, child_flops, parent_error, child_error,
    difference, replicates, parent_errors, child_errors`` (the last two as JSON lists). With
    ``replicates`` = k, each member's error is the mean of its first k trainings only (what a study
    with fewer replicates would have measured, with the same common random numbers).
    """
    if not is_paired(trials):
        raise ValueError("no paired study's trials here (their rows carry attr_principle)")
    done = trials[(trials["state"] == "COMPLETE") & trials[PRINCIPLE_COLUMN].notna()]
    rows = []
    for r in done.itertuples(index=False):
        row = r._asdict()
        pe, ce = _list(row.get("attr_parent_errors")), _list(row.get("attr_child_errors"))
        k = len(pe) if replicates is None else replicates
        if not pe or len(pe) != len(ce) or k > len(pe) or k < 1:
            continue
        pe, ce = pe[:k], ce[:k]
        pair = row.get("attr_pair")
        rows.append(
            {
                "study": row["study"],
                "principle": row[PRINCIPLE_COLUMN],
                "slot": int(row["attr_slot"]) if pd.notna(row.get("attr_slot")) else int(row["trial"]),
                "pair": json.loads(pair)["index"] if isinstance(pair, str) else None,
                "parent_flops": float(row["flops"]),
                "child_flops": float(row["attr_child_flops"]),
                "parent_error": float(np.mean(pe)),
                "child_error": float(np.mean(ce)),
                "difference": float(np.mean(ce) - np.mean(pe)),
                "replicates": k,
                "parent_errors": json.dumps(pe),
                "child_errors": json.dumps(ce),
            }
        )
    return pd.DataFrame(rows).sort_values(["study", "slot"], kind="stable").reset_index(drop=True)


def paired_test(
    parent: object,
    child: object,
    *,
    alternative: str = "two-sided",
    margin: float = DEFAULT_MARGIN,
    level: float = 0.95,
    n_boot: int = 10_000,
    seed: int = 0,
) -> PairedTest:
    """The raw statistics of paired errors (see the module docstring)."""
    a, b = np.asarray(parent, dtype=float), np.asarray(child, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("paired_test: need two equal-length 1-D arrays of finite errors, at least 2 pairs")
    if not margin > 0:
        raise ValueError(f"margin={margin!r}: must be > 0 (points of error)")
    d = b - a
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, d.size, size=(n_boot, d.size))
    medians, means = np.median(d[idx], axis=1), d[idx].mean(axis=1)
    if np.any(d != 0):
        p = float(stats.wilcoxon(d, alternative=alternative).pvalue)
    else:
        p = 1.0
    r = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")
    return PairedTest(
        n=int(d.size),
        median=interval(float(np.median(d)), medians, level),
        mean=interval(float(d.mean()), means, level),
        sd=float(d.std(ddof=1)),
        correlation=r,
        alternative=alternative,
        p=p,
        margin=float(margin),
        p_equiv=tost_p(medians, margin),
        n_boot=n_boot,
        boot=medians,
    )


def paired_table(
    pairs: pd.DataFrame,
    *,
    claims: dict[str, str] | None = None,
    margin: float = DEFAULT_MARGIN,
    alpha: float = DEFAULT_ALPHA,
    adjustment: str = "holm",
    n_boot: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per paired study of :func:`pairs_frame`'s table; the studies form one family.

    ``claims``: principle -> claim (default: each principle's own, :mod:`designspace.principles`).
    """
    rows, tests = [], []
    for i, (study, g) in enumerate(pairs.groupby("study", sort=False)):
        principle = str(g["principle"].iloc[0])
        claim = (claims or {}).get(principle) or principles.get(principle).claim
        t = paired_test(
            g["parent_error"],
            g["child_error"],
            alternative=CLAIMS[claim],
            margin=margin,
            level=1 - alpha,
            n_boot=n_boot,
            seed=seed + i,
        )
        tests.append(t)
        rows.append({"study": study, "principle": principle, "claim": claim, "pairs": t.n})
    if not tests:
        return pd.DataFrame()
    p_adj = adjust([t.p for t in tests], adjustment)
    eq_adj = adjust([t.p_equiv for t in tests], adjustment)
    for row, t, pa, ea in zip(rows, tests, p_adj, eq_adj):
        row.update(
            replicates=int(pairs.loc[pairs["study"] == row["study"], "replicates"].iloc[0]),
            median_difference=t.median.estimate,
            median_low=t.median.low,
            median_high=t.median.high,
            mean_difference=t.mean.estimate,
            mean_low=t.mean.low,
            mean_high=t.mean.high,
            interval=t.median.level,
            sd_difference=t.sd,
            correlation=t.correlation,
            test=f"Wilcoxon signed-rank, {t.alternative}",
            p=t.p,
            p_adj=float(pa),
            margin=t.margin,
            p_equiv=t.p_equiv,
            p_equiv_adj=float(ea),
            verdict=verdict_label(bool(pa < alpha), bool(ea < alpha), t.median.estimate, t.alternative),
            adjustment=adjustment,
        )
    return pd.DataFrame(rows)


def paired_text(table: pd.DataFrame) -> str:
    """The table in lines: one per study, with effect, interval, n and adjusted p."""
    lines = []
    for r in table.itertuples(index=False):
        lines.append(
            f"{r.study} ({r.principle}, claim {r.claim}): median child - parent {r.median_difference:+.2f} pt"
            f" [{r.median_low:+.2f}, {r.median_high:+.2f}], n = {r.pairs} pairs x {r.replicates} training(s)"
            f" per member, r(parent, child) = {r.correlation:.2f}; Wilcoxon p {r.p:.3g} ({r.adjustment} {r.p_adj:.3g}),"
            f" equivalence (±{r.margin:g} pt) p {r.p_equiv_adj:.3g}: {r.verdict}"
        )
    return "\n".join(lines)


def draw_paired(
    ax: Axes, g: pd.DataFrame, median: Interval | None = None, margin: float = 0.0, label: str = ""
) -> None:
    """Paired differences against the parent's flops (log x over a decade or more), with the median,
    its interval and the equivalence margin."""
    x, d = g["parent_flops"].to_numpy(float), g["difference"].to_numpy(float)
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.scatter(x, d, s=18, alpha=0.8, color="C0", label="pairs")
    if median is not None:
        ax.axhspan(median.low, median.high, color="C1", alpha=0.2, label=f"{median.level:.0%} interval")
        ax.axhline(median.estimate, color="C1", lw=1.5, label=f"median {median.estimate:+.2f} pt")
    if margin > 0:
        ax.axhspan(-margin, margin, color="0.5", alpha=0.08, label=f"±{margin:g} pt margin")
    if x.size and x.min() > 0 and x.max() / x.min() > 10:  # log x only where it spans a decade
        ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: si(v)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("parent flops (multiply-adds)")
    ax.set_ylabel("child - parent test error (points)")
    ax.set_title(label, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="best")


def paired_figure(pairs: pd.DataFrame, table: pd.DataFrame | None = None) -> Figure:
    """One panel per paired study (:func:`draw_paired`), with the median and interval of ``table``."""
    studies = list(dict.fromkeys(pairs["study"]))
    fig = Figure(figsize=(5.5 * len(studies), 4.2), layout="constrained")
    axes = fig.subplots(1, len(studies), squeeze=False)[0]
    for ax, study in zip(axes, studies):
        g = pairs[pairs["study"] == study]
        rows = None if table is None or table.empty else table[table["study"] == study]
        if rows is None or rows.empty:
            draw_paired(ax, g, label=f"{study} ({g['principle'].iloc[0]}), n = {len(g)}")
            continue
        r = rows.iloc[0]
        median = Interval(r["median_difference"], r["median_low"], r["median_high"], r["interval"])
        draw_paired(ax, g, median, r["margin"], f"{study} ({r['principle']}), n = {len(g)}: {r['verdict']}")
    return fig


def write_paired(
    trials: pd.DataFrame,
    out_dir: str | Path,
    *,
    margin: float = DEFAULT_MARGIN,
    alpha: float = DEFAULT_ALPHA,
    adjustment: str = "holm",
    n_boot: int = 10_000,
    seed: int = 0,
) -> tuple[Path, pd.DataFrame]:
    """``designspace analyze`` of paired studies: ``pairs.csv``, ``paired.csv`` and the
    ``paired_differences`` plot (SVG and PNG) in ``out_dir``; returns (folder, table)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pairs = pairs_frame(trials)
    if pairs.empty:
        raise ValueError("the paired studies have no complete pair yet")
    small = pairs.groupby("study").size()
    if (small < 2).any():
        raise ValueError(f"paired study {small.idxmin()!r} has {small.min()} complete pair(s): need at least 2")
    table = paired_table(pairs, margin=margin, alpha=alpha, adjustment=adjustment, n_boot=n_boot, seed=seed)
    pairs.to_csv(out / "pairs.csv", index=False)
    table.to_csv(out / "paired.csv", index=False)
    render(paired_figure(pairs, table), out, "paired_differences")
    return out, table
