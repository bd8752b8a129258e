"""The whole analysis of a few populations: statistics, figures, summary.csv and report.html."""

from __future__ import annotations

import re
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from designspace.analysis.bootstrap import edf_band, good_range
from designspace.analysis.compare import compare_frame
from designspace.analysis.edf import complexity_weights, edf
from designspace.analysis.inputs import Population, floats
from designspace.analysis.ks import KSResult, format_p, ks_test
from designspace.analysis.plots import (
    Curve,
    ParamPanel,
    Scatter,
    complexity_figure,
    edf_figure,
    error_limits,
    log_axis,
    parameter_figure,
    population_styles,
    regnet_fit_figure,
    render,
)
from designspace.analysis.regnet_fit import TopFit, fit_top_models
from designspace.analysis.report import write_report, write_summary_csv
from designspace.analysis.results import COMPLEXITY, Analysis, Options, Plot, PopulationResult, spec_summary
from designspace.analysis.trends import binned_trend

#: Analysis, Options, Plot, PopulationResult and spec_summary are defined in analysis/results.py
__all__ = [
    "Analysis",
    "Options",
    "Plot",
    "PopulationResult",
    "analyze",
    "run_analysis",
    "spec_summary",
    "write_analysis",
]


def _seed(base: int, *keys: str | int) -> int:
    """A distinct, reproducible seed per statistic."""
    words = [base] + [k if isinstance(k, int) else zlib.crc32(str(k).encode()) for k in keys]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "population"


def _complexity(pop: Population, by: str) -> np.ndarray:
    if by not in pop.trials.columns:
        raise ValueError(f"study {pop.name!r} has no {by!r} column; use --normalize none")
    x = floats(pop.trials[by])
    bad = int((~np.isfinite(x) | (x <= 0)).sum())
    if bad:
        raise ValueError(f"study {pop.name!r}: {bad} complete trials have no positive {by}; use --normalize none")
    return x


def _label(pop: Population) -> str:
    return pop.name if pop.space in (pop.name, "") else f"{pop.name} [{pop.space}]"


def _legend(pop: Population, n: int, ks: KSResult | None) -> str:
    text = f"{_label(pop)}, n={n}"
    if ks is not None:
        text += f", D={ks.d:.3f}, p{'' if ks.p > ks.floor * (1 + 1e-9) else ' '}{format_p(ks.p, ks.floor)}"
    return text


def analyze(pops: list[Population], options: Options | None = None, *, source: str = "") -> Analysis:
    """Compute every statistic of the report (no files written)."""
    opt = options or Options()
    if not pops:
        raise ValueError("no populations to analyse")
    styles = population_styles([p.space for p in pops])
    errors = [p.errors for p in pops]
    notes = []
    norm = None
    if opt.normalize != "none":
        norm = complexity_weights(
            [_complexity(p, opt.normalize) for p in pops], opt.bins, by=opt.normalize, target=opt.target
        )
        notes.append(f"Normalization: {norm.describe()}.")
    results = []
    for i, (p, style) in enumerate(zip(pops, styles)):
        ks_raw = ks_norm = None
        if i > 0:
            ks_raw = ks_test(errors[0], errors[i], seed=_seed(opt.seed, "ks", i))
            if norm is not None:
                ks_norm = ks_test(
                    errors[0],
                    errors[i],
                    norm.weights[0],
                    norm.weights[i],
                    strata1=norm.bins[0],
                    strata2=norm.bins[i],
                    permutations=opt.permutations,
                    seed=_seed(opt.seed, "ks-norm", i),
                )
        ranges = {}
        for name in p.params:
            x = p.column(name)
            ok = np.isfinite(x)
            if ok.sum() >= 2:
                ranges[name] = good_range(
                    x[ok],
                    errors[i][ok],
                    frac=opt.frac,
                    n_boot=opt.n_boot,
                    level=opt.level,
                    seed=_seed(opt.seed, p.name, name),
                )
        fits: list[TopFit] = []
        if opt.top and "spec" in p.trials.columns and p.trials["spec"].notna().all():
            try:
                fits = fit_top_models(p.trials, opt.top)
            except ValueError as e:  # a corrupt spec costs the fit, not the report
                notes.append(f"{p.name}: RegNet fit skipped ({e}).")
        kept = int((norm.weights[i] > 0).sum()) if norm is not None else p.n
        results.append(PopulationResult(p, style, ks_norm, ks_raw, ranges, fits, kept))
        if p.dropped:
            notes.append(f"{p.name}: {p.dropped} trial(s) not COMPLETE (or without a test error) left out.")
        if p.skipped:
            notes.append(f"{p.name}: non-numeric column(s) not analysed: {', '.join(p.skipped)}.")
        if norm is not None and kept < p.n:
            notes.append(
                f"{p.name}: {p.n - kept} model(s) in {opt.normalize} bins that other populations lack get weight 0."
            )
    if len(pops) == 1:
        notes.append("One population: no KS comparison.")
    a = Analysis(results, norm, [], opt, source, notes, _comparisons(pops, opt))
    a.figures.extend(Plot(name, title, caption, "", fig) for name, title, caption, fig in _figures(a))
    return a


def _comparisons(pops: list[Population], opt: Options) -> pd.DataFrame | None:
    """Each population against the first: one family of comparisons (compare.compare_frame)."""
    if len(pops) < 2:
        return None
    by = opt.complexity
    frame = pd.concat(
        pd.DataFrame({"study": p.name, "test_error": p.errors, **({by: _complexity(p, by)} if by else {})})
        for p in pops
    )
    return compare_frame(frame, [(pops[0].name, p.name) for p in pops[1:]], shared=True, **opt.compare_args())


def _edf_figures(a: Analysis, xlim: tuple[float, float]) -> list[tuple[str, str, str, object]]:
    opt, norm = a.options, a.normalization
    grid = np.linspace(xlim[0], xlim[1], 256)
    figs = []
    variants = [("raw", None)] if norm is None else [("normalized", norm), ("raw", None)]
    for kind, nm in variants:
        curves = []
        for i, r in enumerate(a.results):
            e = r.pop.errors
            w = None if nm is None else nm.weights[i]
            band = edf_band(
                e,
                w,
                grid=grid,
                strata=None if nm is None else nm.bins[i],
                n_boot=opt.n_boot,
                level=opt.level,
                seed=_seed(opt.seed, "band", kind, i),
            )
            ks = r.ks_raw if nm is None else r.ks_norm
            n = r.pop.n if nm is None else r.norm_kept
            curves.append(Curve(_legend(r.pop, n, ks), r.style, edf(e, w), band))
        if nm is None:
            title = "Error EDF (unnormalized)"
            ylabel = "cumulative fraction of models"
            caption = (
                "Plain error EDFs: the fraction of models with error below x. Ignores model size, so a "
                "population of bigger models looks better; use the normalized EDF to compare design spaces."
            )
        else:
            title = f"Error EDF, {nm.by}-normalized"
            ylabel = f"cumulative fraction ({nm.by}-normalized)"
            caption = (
                f"EDFs weighted so that every population has the same (uniform) log-{nm.by} distribution "
                f"({nm.describe()}). A curve further up and to the left is a better design space. "
                "D/p: KS statistic and stratified permutation p-value against the first population."
            )
        caption += (
            f" Shaded: pointwise {opt.level:.0%} bootstrap band ({opt.n_boot} resamples). The error axis stops a "
            "little above the 95th percentile of all models."
        )
        fig = edf_figure(curves, title=title, ylabel=ylabel, xlim=xlim)
        figs.append((f"edf_{kind}", title, caption, fig))
    return figs


def _figures(a: Analysis) -> list[tuple[str, str, str, object]]:
    opt = a.options
    ylim = error_limits([r.pop.errors for r in a.results])
    figs = _edf_figures(a, ylim)
    metrics = []
    for m in COMPLEXITY:
        cols = [r.pop.trials[m] if m in r.pop.trials.columns else None for r in a.results]
        if any(c is None for c in cols):
            continue
        xs = [floats(c) for c in cols]
        if not all((np.isfinite(x) & (x > 0)).all() for x in xs):
            continue
        scatters = [
            Scatter(
                _label(r.pop),
                r.style,
                x,
                r.pop.errors,
                binned_trend(
                    x, r.pop.errors, log=True, n_boot=opt.trend_boot, level=opt.level, seed=_seed(opt.seed, m, i)
                ),
            )
            for i, (r, x) in enumerate(zip(a.results, xs))
        ]
        metrics.append((m, scatters))
    if metrics:
        caption = (
            "Error against model complexity (log x). Line: median error per log-spaced bin, shaded: "
            f"{opt.level:.0%} bootstrap band of the median. Triangles: models above the error axis."
        )
        figs.append(("error_vs_complexity", "Error vs complexity", caption, complexity_figure(metrics, ylim=ylim)))
    for r in a.results:
        panels = []
        for name in r.pop.params:
            if name not in r.ranges:
                continue
            x = r.pop.column(name)
            ok = np.isfinite(x)
            x, e = x[ok], r.pop.errors[ok]
            log = log_axis(name, x)
            t = binned_trend(
                x, e, log=log, n_boot=opt.trend_boot, level=opt.level, seed=_seed(opt.seed, "trend", r.pop.name, name)
            )
            best = float(x[np.argmin(e)])
            panels.append(ParamPanel(name, Scatter(_label(r.pop), r.style, x, e, t), r.ranges[name], best, log))
        if panels:
            title = f"{_label(r.pop)}: error vs sampled parameters"
            caption = (
                f"Shaded: good range (the {opt.level:.0%} interval of the best model's value over {opt.n_boot} "
                f"draws of {opt.frac:.0%} of the population), dashed: its median, star: the best model. "
                "Line: median error per value (or bin) with its bootstrap band."
            )
            figs.append((f"params_{_slug(r.pop.name)}", title, caption, parameter_figure(title, panels, ylim=ylim)))
    fitted = [(_label(r.pop), r.style, r.fits) for r in a.results if r.fits]
    if fitted:
        caption = (
            "Per-block widths of each population's best models (solid; each stage's width repeated depth times) "
            "and their quantized-linear RegNet fits (dashed). e_fit: mean |log w - log w_fit| (0 = exactly a RegNet)."
        )
        figs.append(
            ("regnet_fit", "Block widths of the best models and their RegNet fits", caption, regnet_fit_figure(fitted))
        )
    return figs


def run_analysis(
    pops: list[Population], out_dir: str | Path, options: Options | None = None, *, source: str = ""
) -> Path:
    """Analyse ``pops`` and write ``out_dir``/report.html, summary.csv and every plot (svg + png)."""
    return write_analysis(analyze(pops, options, source=source), out_dir)


def write_analysis(a: Analysis, out_dir: str | Path, *, link_plots: bool = False) -> Path:
    """Write an :func:`analyze` result: every plot (svg + png), summary.csv, comparisons.csv and report.html
    (self-contained; with ``link_plots`` it links the plots' svg files instead of inlining them)."""
    from tqdm import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tqdm(total=2, desc="analyze", unit="step", disable=None) as bar:
        a.figures[:] = [replace(f, svg=render(f.figure, out, f.name)) if f.figure is not None else f for f in a.figures]
        bar.update()
        write_summary_csv(a, out / "summary.csv")
        if a.comparisons is not None:
            a.comparisons.to_csv(out / "comparisons.csv", index=False)
        path = write_report(a, out / "report.html", link_plots=link_plots)
        bar.update()
    return path
