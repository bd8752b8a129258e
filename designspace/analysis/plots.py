"""Figures of the report (matplotlib object API, no pyplot state; saved as SVG and PNG).

Every ``*_figure`` function takes precomputed statistics and returns a ``matplotlib.figure.Figure``;
the ``draw_*`` functions draw the same into a given ``Axes`` (what :mod:`designspace.analysis.notebook`
uses). :func:`render` writes a figure as ``NAME.svg`` and ``NAME.png`` and returns the SVG text to inline.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from designspace.analysis.bootstrap import EDFBand, GoodRange
from designspace.analysis.colors import LINE_STYLES, MARKERS, color_map
from designspace.analysis.edf import EDF
from designspace.analysis.regnet_fit import TopFit
from designspace.analysis.trends import Trend

__all__ = [
    "Curve",
    "ParamPanel",
    "Scatter",
    "Style",
    "complexity_figure",
    "draw_edf",
    "draw_parameter",
    "edf_figure",
    "error_limits",
    "log_axis",
    "parameter_figure",
    "param_label",
    "population_styles",
    "regnet_fit_figure",
    "render",
]

ERROR_LABEL = "test error (%)"

#: axis labels with units; ``{}`` is the column name (``w3`` -> "width w3 (channels)")
_LABELS = {
    "flops": "flops (multiply-adds)",
    "params": "parameters",
    "acts": "activations (conv/linear outputs)",
    "d": "depth {} (blocks)",
    "w": "width {} (channels)",
    "w0": "initial width {} (channels)",
    "wa": "width slope {} (channels / block)",
    "wm": "width multiplier {}",
    "b": "bottleneck ratio {}",
    "g": "group width {} (channels)",
}


def param_label(name: str) -> str:
    """``"w3"`` -> ``"width w3 (channels)"``; unknown names stay as they are."""
    head = name if name in _LABELS else name.rstrip("0123456789")
    if head not in _LABELS or (head != name and head not in ("d", "w", "b", "g")):
        return name
    return _LABELS[head].format(name)


@dataclass(frozen=True)
class Style:
    color: str
    linestyle: str = "-"
    marker: str = "o"


def population_styles(spaces: Sequence[str]) -> list[Style]:
    """One style per population of the given spaces: the space's color, then the next line style and
    marker for each further population of the same space."""
    colors = color_map(spaces)
    seen: dict[str, int] = {}
    out = []
    for space in spaces:
        i = seen.get(space, 0)
        seen[space] = i + 1
        out.append(Style(colors[space], LINE_STYLES[i % len(LINE_STYLES)], MARKERS[i % len(MARKERS)]))
    return out


def log_axis(name: str, x: np.ndarray) -> bool:
    """Log scale for widths, bottleneck ratios and group widths (as in the papers), not for depths."""
    return not name.startswith("d") and bool((x > 0).all()) and x.max() >= 2 * x.min()


@dataclass(frozen=True, eq=False)
class Curve:
    label: str
    style: Style
    edf: EDF
    band: EDFBand | None


@dataclass(frozen=True, eq=False)
class Scatter:
    """One population's points and binned trend on one axis."""

    label: str
    style: Style
    x: np.ndarray
    errors: np.ndarray
    trend: Trend | None


@dataclass(frozen=True, eq=False)
class ParamPanel:
    name: str
    scatter: Scatter
    good: GoodRange | None
    best: float  # the best model's value
    log: bool


def error_limits(errors: Sequence[np.ndarray]) -> tuple[float, float]:
    """An error axis range: from the best model to the 95th percentile plus a margin.

    Diverged models (chance-level error) would otherwise squeeze the interesting range; points
    above the top are drawn on it as triangles.
    """
    e = np.concatenate([np.asarray(x, dtype=float) for x in errors])
    lo, q95, hi = float(e.min()), float(np.quantile(e, 0.95)), float(e.max())
    top = min(hi, q95 + 0.3 * max(q95 - lo, 1e-9))
    pad = 0.03 * max(top - lo, 1e-9)
    return lo - pad, top + pad


def _scatter(ax: Axes, s: Scatter, top: float, band: bool = True) -> None:
    e = s.errors
    over = e > top
    ax.scatter(s.x[~over], e[~over], s=9, color=s.style.color, alpha=0.35, marker=s.style.marker, linewidths=0)
    if over.any():
        ax.scatter(s.x[over], np.full(over.sum(), top), s=14, color=s.style.color, alpha=0.5, marker="^")
    t = s.trend
    if t is not None and t.centers.size:
        ax.plot(t.centers, t.median, color=s.style.color, linestyle=s.style.linestyle, lw=1.8, marker=".")
        if band:
            ax.fill_between(t.centers, t.low, t.high, color=s.style.color, alpha=0.18, linewidth=0)


def draw_edf(
    ax: Axes, curves: Sequence[Curve], *, xlim: tuple[float, float], ylabel: str, title: str | None = None
) -> Axes:
    """EDF overlay into ``ax``: one step curve (with its bootstrap band, if any) per population."""
    for c in curves:
        x, y = c.edf.steps()
        x = np.r_[min(xlim[0], x[0]), x, max(xlim[1], x[-1])]
        y = np.r_[0.0, y, 1.0]
        ax.step(x, y, where="post", color=c.style.color, linestyle=c.style.linestyle, lw=1.8, label=c.label)
        if c.band is not None:
            ax.fill_between(c.band.grid, c.band.low, c.band.high, step="post", color=c.style.color, alpha=0.15, lw=0)
    ax.set_xlim(*xlim)
    ax.set_ylim(0, 1)
    ax.set_xlabel(ERROR_LABEL)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8, frameon=True)
    return ax


def edf_figure(curves: Sequence[Curve], *, title: str, ylabel: str, xlim: tuple[float, float]) -> Figure:
    """EDF overlay (:func:`draw_edf`) in a figure of its own."""
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    draw_edf(fig.add_subplot(), curves, xlim=xlim, ylabel=ylabel, title=title)
    return fig


def complexity_figure(metrics: Sequence[tuple[str, Sequence[Scatter]]], *, ylim: tuple[float, float]) -> Figure:
    """Error vs complexity, one log-x panel per metric (flops, params, acts), all populations."""
    fig = Figure(figsize=(4.2 * len(metrics), 3.9), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, (metric, scatters) in zip(axes, metrics):
        for s in scatters:
            _scatter(ax, s, ylim[1])
        ax.set_xscale("log")
        ax.set_ylim(*ylim)
        ax.set_xlabel(f"{param_label(metric)}, log scale")
        ax.set_ylabel(ERROR_LABEL)
        ax.grid(alpha=0.3, which="both")
    handles = [
        Line2D([], [], color=s.style.color, linestyle=s.style.linestyle, marker=s.style.marker, label=s.label)
        for s in metrics[0][1]
    ]
    fig.legend(handles=handles, loc="outside upper center", ncols=min(4, len(handles)), fontsize=8)
    return fig


def _grid(names: Sequence[str]) -> list[list[int]]:
    """Panel layout: one row per parameter kind (d, w, b, g) when they are per stage, else rows of 4."""
    heads = [n.rstrip("0123456789") for n in names]
    per_stage = any(heads.count(h) > 1 for h in set(heads))
    rows: list[list[int]] = []
    if per_stage:
        for h in dict.fromkeys(heads):
            rows.append([i for i, x in enumerate(heads) if x == h])
    else:
        rows = [list(range(i, min(i + 4, len(names)))) for i in range(0, len(names), 4)]
    return rows


def draw_parameter(ax: Axes, p: ParamPanel, *, ylim: tuple[float, float], ylabel: bool = True) -> Axes:
    """Error vs one sampled parameter into ``ax``: points, binned median with band, good range, best model."""
    color = p.scatter.style.color
    if p.good is not None:
        ax.axvspan(p.good.low, p.good.high, color=color, alpha=0.12, lw=0)
        ax.axvline(p.good.median, color=color, lw=1, ls="--")
    _scatter(ax, p.scatter, ylim[1], band=True)
    ax.plot([p.best], [max(min(p.scatter.errors.min(), ylim[1]), ylim[0])], marker="*", ms=11, color="black")
    if p.log:
        ax.set_xscale("log", base=2)
    ax.set_ylim(*ylim)
    ax.set_xlabel(param_label(p.name) + (", log scale" if p.log else ""), fontsize=9)
    if ylabel:
        ax.set_ylabel(ERROR_LABEL)
    ax.grid(alpha=0.3)
    return ax


def parameter_figure(title: str, panels: Sequence[ParamPanel], *, ylim: tuple[float, float]) -> Figure:
    """One :func:`draw_parameter` panel per sampled parameter, a row per kind (d, w, b, g)."""
    rows = _grid([p.name for p in panels])
    ncols = max(len(r) for r in rows)
    fig = Figure(figsize=(3.3 * ncols, 2.8 * len(rows) + 0.5), layout="constrained")
    axes = fig.subplots(len(rows), ncols, squeeze=False)
    for r, row in enumerate(rows):
        for c in range(ncols):
            if c >= len(row):
                axes[r][c].set_visible(False)
                continue
            draw_parameter(axes[r][c], panels[row[c]], ylim=ylim, ylabel=c == 0)
    fig.suptitle(title, fontsize=11)
    return fig


def _shade(color: str, i: int, n: int) -> tuple[float, float, float]:
    """``color`` blended towards white by rank (the best model darkest)."""
    f = 0.65 * i / max(n - 1, 1)
    rgb = np.array(to_rgb(color))
    return tuple(rgb + (1 - rgb) * f)


#: most models named in a legend of the width-fit figure
_LEGEND_MAX = 8


def regnet_fit_figure(panels: Sequence[tuple[str, Style, Sequence[TopFit]]]) -> Figure:
    """Per-block widths of each population's best models (solid) and their RegNet fits (dashed)."""
    fig = Figure(figsize=(4.6 * len(panels), 3.9), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (label, style, fits) in zip(axes, panels):
        for i, f in enumerate(fits):
            color = _shade(style.color, i, len(fits))
            j = np.arange(len(f.widths))
            ax.step(
                j,
                f.widths,
                where="mid",
                color=color,
                lw=1.8,
                label=f"#{f.trial}: {f.error:.2f}%, e_fit {f.fit.e_fit:.3f}" if i < _LEGEND_MAX else None,
            )
            ax.step(j, f.fit.widths, where="mid", color=color, lw=1.1, ls="--")
        ax.set_yscale("log", base=2)
        ax.set_xlabel("block index j")
        ax.set_ylabel("block width w_j (channels), log scale")
        ax.set_title(f"{label}: top {len(fits)} (dashed: fit)", fontsize=10, color=style.color)
        ax.grid(alpha=0.3, which="both")
        extra = f" (legend: best {_LEGEND_MAX})" if len(fits) > _LEGEND_MAX else ""
        ax.legend(fontsize=7, loc="best", title=f"trial: error, e_fit{extra}", title_fontsize=7)
    return fig


def render(fig: Figure, out_dir: Path, name: str) -> str:
    """Write ``out_dir/name.svg`` and ``.png``; return the SVG markup to inline (no XML prolog, ids
    prefixed with ``name``)."""
    buf = io.StringIO()
    # a per-figure salt keeps element ids unique when several SVGs share one HTML page
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    (out_dir / f"{name}.svg").write_text(svg, encoding="utf-8")
    fig.savefig(out_dir / f"{name}.png", format="png", dpi=110, metadata={"Software": None})
    return _prefix_ids(svg[svg.index("<svg") :], name)


def _prefix_ids(svg: str, prefix: str) -> str:
    """Prefix every element id and its references, so that several inline SVGs share no id."""
    return re.sub(r'(\sid="|href="#|url\(#)', lambda m: f"{m.group(1)}{prefix}-", svg)
