"""The analysis in a notebook: trials in as a DataFrame, tidy DataFrames and matplotlib figures out.

::

    import designspace as ds
    import matplotlib.pyplot as plt

    df = ds.load("anynetx_a", "anynetx_b", storage="sqlite:///results/anynet_cifar/studies.db")  # or CSVs
    fig, ax = plt.subplots()
    ds.analysis.plot_edf(df, by="study", ax=ax, normalized=True)
    ds.analysis.ks(df, normalized=True)        # D and p of each population against the first
    ds.analysis.compare(df)                    # the report's verdict table (median shift, TOST, Holm)
    ds.analysis.good_ranges(df)                # the good range of every sampled parameter
    ds.analysis.plot_params(df, "anynetx_a")   # error vs each sampled parameter

These call what ``designspace analyze``'s report calls (:func:`~designspace.analysis.edf.complexity_weights`,
:func:`~designspace.analysis.ks.ks_test`, :func:`~designspace.analysis.bootstrap.good_range`,
:func:`~designspace.analysis.compare.compare_frame`, :func:`~designspace.analysis.plots.draw_edf`), with
the same defaults except fewer resamples (a notebook answers in seconds; pass ``n_boot`` /
``permutations`` for the report's). ``by`` names the column whose values are the populations
(``study``, or ``space`` to pool the studies of one space). Populations need ``min_complete``
complete trials (2 here, 10 in the report).

The functions take the trials table as a DataFrame: ``ds.load`` (:func:`designspace.study.load.load`:
study names, TOML files or CSV exports) reads it from a study's storage, which is the study layer's
job, not this one's; a CSV export also reads with :func:`designspace.analysis.inputs.read_csvs` or
``pandas.read_csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from designspace.analysis.bootstrap import edf_band, good_range
from designspace.analysis.compare import compare_frame
from designspace.analysis.edf import Normalization, complexity_weights, edf
from designspace.analysis.effect import DEFAULT_ALPHA, DEFAULT_MARGIN
from designspace.analysis.inputs import Population, floats, populations
from designspace.analysis.ks import ks_test
from designspace.analysis.plots import (
    Curve,
    ParamPanel,
    Scatter,
    draw_edf,
    draw_parameter,
    error_limits,
    log_axis,
    population_styles,
)
from designspace.analysis.trends import binned_trend

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["compare", "good_ranges", "ks", "plot_edf", "plot_params"]

#: fewest complete trials for a population here (the report asks for inputs.MIN_COMPLETE)
MIN_COMPLETE = 2


def _populations(df: pd.DataFrame, by: str, names: Sequence[str], min_complete: int) -> list[Population]:
    if by not in df.columns:
        raise ValueError(f"by={by!r}: the table has no such column (have {', '.join(map(str, df.columns))})")
    frame = df if by == "study" else df.assign(study=df[by].astype(str))
    return populations(frame, list(names), min_complete=min_complete)


def _reference(pops: list[Population], reference: str | None, what: str) -> Population:
    """The population the others are compared with (``reference``, default: the first)."""
    if len(pops) < 2:
        raise ValueError(f"{what}: need at least two populations")
    name = reference or pops[0].name
    ref = next((p for p in pops if p.name == name), None)
    if ref is None:
        raise ValueError(f"reference={reference!r}: not one of {', '.join(p.name for p in pops)}")
    return ref


def _measure(normalized: bool | str | None) -> str | None:
    """``True`` -> flops (the report's default), a string -> that column, False/None -> no normalization."""
    if normalized is True:
        return "flops"
    return normalized or None


def _normalization(pops: list[Population], by: str | None, bins: int | None, target: str) -> Normalization | None:
    if by is None:
        return None
    for p in pops:
        if by not in p.trials.columns:
            raise ValueError(f"normalized={by!r}: population {p.name!r} has no {by!r} column")
    return complexity_weights([floats(p.trials[by]) for p in pops], bins, by=by, target=target)


def plot_edf(
    df: pd.DataFrame,
    by: str = "study",
    *,
    ax: Axes | None = None,
    normalized: bool | str = False,
    names: Sequence[str] = (),
    bins: int | None = None,
    target: str = "uniform",
    band: bool = True,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    min_complete: int = MIN_COMPLETE,
) -> Figure:
    """Error EDFs of the populations (``df[by]``'s values, or ``names``) into ``ax`` (or a new figure).

    ``normalized``: True (flops), a complexity column, or False for plain EDFs. ``band``: the
    pointwise ``level`` bootstrap band. Returns the figure that holds ``ax``.
    """
    pops = _populations(df, by, names, min_complete)
    norm = _normalization(pops, _measure(normalized), bins, target)
    xlim = error_limits([p.errors for p in pops])
    grid = np.linspace(xlim[0], xlim[1], 256)
    curves = []
    for i, (p, style) in enumerate(zip(pops, population_styles([p.space for p in pops]))):
        w = None if norm is None else norm.weights[i]
        strata = None if norm is None else norm.bins[i]
        b = edf_band(p.errors, w, grid=grid, strata=strata, n_boot=n_boot, level=level, seed=seed + i) if band else None
        curves.append(Curve(f"{p.name}, n={p.n}", style, edf(p.errors, w), b))
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(6.4, 4.4), layout="constrained").add_subplot()
    ylabel = "cumulative fraction of models" if norm is None else f"cumulative fraction ({norm.by}-normalized)"
    draw_edf(ax, curves, xlim=xlim, ylabel=ylabel)
    return ax.figure


def ks(
    df: pd.DataFrame,
    by: str = "study",
    *,
    reference: str | None = None,
    normalized: bool | str = False,
    names: Sequence[str] = (),
    bins: int | None = None,
    target: str = "uniform",
    permutations: int = 2000,
    seed: int = 0,
    min_complete: int = MIN_COMPLETE,
) -> pd.DataFrame:
    """KS tests of each population against ``reference`` (default: the first): one row per pair.

    Columns: ``reference, population, n_reference, n, d, p, method, normalized``. With
    ``normalized``, both populations are weighted on common complexity bins and the p-value comes
    from a stratified permutation test (the report's normalized KS); the p-values are not adjusted
    for multiplicity (:func:`compare` does that, with effect sizes and intervals).
    """
    pops = _populations(df, by, names, min_complete)
    ref = _reference(pops, reference, "ks")
    measure = _measure(normalized)
    rows = []
    for i, p in enumerate(q for q in pops if q is not ref):
        kw: dict[str, Any] = {}
        if measure is not None:
            norm = _normalization([ref, p], measure, bins, target)
            kw = dict(w1=norm.weights[0], w2=norm.weights[1], strata1=norm.bins[0], strata2=norm.bins[1])
        r = ks_test(ref.errors, p.errors, **kw, permutations=permutations, seed=seed + i)
        rows.append(
            {
                "reference": ref.name,
                "population": p.name,
                "n_reference": r.n1,
                "n": r.n2,
                "d": r.d,
                "p": r.p,
                "method": r.method,
                "normalized": measure or "",
            }
        )
    return pd.DataFrame(rows)


def compare(
    df: pd.DataFrame,
    by: str = "study",
    *,
    reference: str | None = None,
    normalized: bool | str = True,
    names: Sequence[str] = (),
    margin: float = DEFAULT_MARGIN,
    alpha: float = DEFAULT_ALPHA,
    adjustment: str = "holm",
    permutations: int = 2000,
    n_boot: int = 2000,
    seed: int = 0,
    min_complete: int = MIN_COMPLETE,
) -> pd.DataFrame:
    """The report's comparison table (:func:`~designspace.analysis.compare.compare_frame`): each
    population against ``reference`` (default: the first) with KS, median shift and its interval,
    the equivalence test at ``margin``, Holm-adjusted p-values and a three-way verdict."""
    pops = _populations(df, by, names, min_complete)
    ref = _reference(pops, reference, "compare").name
    measure = _measure(normalized)
    frame = pd.concat([pd.DataFrame({"study": p.name, "test_error": p.errors}) for p in pops], ignore_index=True)
    if measure:
        frame[measure] = np.concatenate([floats(p.trials[measure]) for p in pops])
    return compare_frame(
        frame,
        [(ref, p.name) for p in pops if p.name != ref],
        complexity=measure,
        shared=True,
        margin=margin,
        alpha=alpha,
        adjustment=adjustment,
        permutations=permutations,
        n_boot=n_boot,
        seed=seed,
    )


def good_ranges(
    df: pd.DataFrame,
    by: str = "study",
    *,
    names: Sequence[str] = (),
    params: Sequence[str] = (),
    frac: float = 0.25,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    min_complete: int = MIN_COMPLETE,
) -> pd.DataFrame:
    """The good range of each sampled parameter of each population: one row per (population, parameter).

    Columns: ``population, parameter, low, median, high, best, n, level`` (the ``level`` interval of
    the best model's value among ``frac * n`` models drawn with replacement, ``n_boot`` times;
    ``best``: the value of the population's best model).
    """
    rows = []
    for p in _populations(df, by, names, min_complete):
        for name in params or p.params:
            if name not in p.trials.columns:
                raise ValueError(f"params: population {p.name!r} has no column {name!r}")
            x = p.column(name)
            ok = np.isfinite(x)
            if ok.sum() < 2:
                continue
            g = good_range(x[ok], p.errors[ok], frac=frac, n_boot=n_boot, level=level, seed=seed)
            best = float(x[ok][np.argmin(p.errors[ok])])
            rows.append(
                {
                    "population": p.name,
                    "parameter": name,
                    "low": g.low,
                    "median": g.median,
                    "high": g.high,
                    "best": best,
                    "n": int(ok.sum()),
                    "level": level,
                }
            )
    return pd.DataFrame(rows, columns=["population", "parameter", "low", "median", "high", "best", "n", "level"])


def plot_params(
    df: pd.DataFrame,
    population: str,
    by: str = "study",
    *,
    params: Sequence[str] = (),
    axes: Sequence[Axes] | None = None,
    frac: float = 0.25,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    min_complete: int = MIN_COMPLETE,
) -> Figure:
    """Error against each sampled parameter of one population (the report's panels: points, binned
    median with its band, the good range shaded, the best model starred), one panel per parameter
    into ``axes`` (or a new figure, one row)."""
    (p,) = _populations(df, by, [population], min_complete)
    (style,) = population_styles([p.space])
    names = list(params or p.params)
    if not names:
        raise ValueError(f"population {p.name!r} has no sampled-parameter columns")
    ylim = error_limits([p.errors])
    if axes is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(3.3 * len(names), 3.0), layout="constrained")
        axes = list(fig.subplots(1, len(names), squeeze=False)[0])
    if len(axes) < len(names):
        raise ValueError(f"axes: {len(axes)} given for {len(names)} parameters")
    for i, (ax, name) in enumerate(zip(axes, names)):
        x = p.column(name)
        ok = np.isfinite(x)
        x, e = x[ok], p.errors[ok]
        log = log_axis(name, x)
        trend = binned_trend(x, e, log=log, n_boot=n_boot, level=level, seed=seed + i)
        good = good_range(x, e, frac=frac, n_boot=n_boot, level=level, seed=seed) if x.size >= 2 else None
        panel = ParamPanel(name, Scatter(p.name, style, x, e, trend), good, float(x[np.argmin(e)]), log)
        draw_parameter(ax, panel, ylim=ylim, ylabel=i == 0)
    return axes[0].figure
