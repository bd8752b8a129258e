"""Writing an :class:`~designspace.analysis.results.Analysis`: summary.csv and a self-contained report.html."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from designspace import __version__
from designspace.analysis.inputs import floats
from designspace.analysis.ks import format_p
from designspace.analysis.results import Analysis, PopulationResult, spec_summary
from designspace.ui.table import format_table

__all__ = ["comparison_cells", "comparison_text", "summary_frame", "write_report", "write_summary_csv"]

COMPARISON_HEAD = (
    "after vs before",
    "n",
    "KS D",
    "KS p (adj.)",
    "median shift [CI], pt",
    "mean shift [CI], pt",
    "shift test p (adj.)",
    "equiv. p (adj.)",
    "verdict",
    "same verdict in resamples",
    "pooled target",
)

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;color:#222;
line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
.meta{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.3em .55em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.35em;vertical-align:-.1em}
figure{margin:1.2em 0}figure svg,figure img{max-width:100%;height:auto}
figcaption{color:#444;font-size:.88em;max-width:900px}code{font-size:.95em}
.small{font-size:.8em;color:#555}
"""


def _num(x: float, digits: int = 4) -> str:
    return f"{x:.{digits}g}"


def _range_text(r) -> str:
    return f"{_num(r.low)}–{_num(r.high)} ({_num(r.median)})"


def summary_frame(a: Analysis) -> pd.DataFrame:
    """One row per population: sizes, errors, best model, KS against the first, good ranges."""
    rows = []
    for r in a.results:
        p, best = r.pop, r.best
        row = {
            "study": p.name,
            "space": p.space,
            "n": p.n,
            "not_complete": p.dropped,
            "min_error": float(p.errors.min()),
            "median_error": float(pd.Series(p.errors).median()),
            "best_trial": int(best["trial"]),
            "best_flops": float(floats(best[["flops"]])[0]) if "flops" in best.index else float("nan"),
            "best_spec": str(best["spec"]) if "spec" in best.index else "",
            "normalize": a.options.normalize,
            "normalized_n": r.norm_kept,
            "ks_d": r.ks_norm.d if r.ks_norm else float("nan"),
            "ks_p": r.ks_norm.p if r.ks_norm else float("nan"),
            "ks_method": r.ks_norm.method if r.ks_norm else "",
            "ks_raw_d": r.ks_raw.d if r.ks_raw else float("nan"),
            "ks_raw_p": r.ks_raw.p if r.ks_raw else float("nan"),
        }
        for name, g in r.ranges.items():
            row[f"{name}_low"], row[f"{name}_median"], row[f"{name}_high"] = g.low, g.median, g.high
        rows.append(row)
    return pd.DataFrame(rows)


def _p_pair(p: float, p_adj: float, floor: float) -> str:
    """Raw and adjusted p; at the permutation floor both are bounds (``≤``)."""
    at_floor = floor > 0 and p <= floor * (1 + 1e-9)
    return f"{format_p(p, floor)} ({format_p(p_adj, p_adj if at_floor else 0.0)})"


def comparison_cells(row: pd.Series) -> list[str]:
    """One comparison (a row of compare.compare_frame's table) as the cells of COMPARISON_HEAD."""
    ks_floor = row["p_floor"] if str(row.get("ks_method", "permutation")).startswith("permutation") else 0.0
    verdict = str(row["verdict"])
    if verdict == "equivalent":
        verdict = f"equivalent (within ±{row['margin']:g} pt)"
    elif verdict == "inconclusive":
        n = row["needs_n"]
        verdict += f", needs n ≈ {int(n)}" if pd.notna(n) else ", no n settles it"
    other = [c for c in row.index if c.startswith("verdict_")]
    level = f"{row['interval']:.0%}"
    return [
        f"{row['after']} vs {row['before']}",
        f"{row['n_after']} / {row['n_before']}",
        f"{row['ks_d']:.3f}",
        _p_pair(row["ks_p"], row["ks_p_adj"], ks_floor),
        f"{row['median_shift']:+.2f} [{row['median_low']:+.2f}, {row['median_high']:+.2f}] ({level})",
        f"{row['mean_shift']:+.2f} [{row['mean_low']:+.2f}, {row['mean_high']:+.2f}]",
        f"{_p_pair(row['p'], row['p_adj'], row['p_floor'])}{' one-sided' if 'less' in row['test'] else ''}",
        _p_pair(row["p_equiv"], row["p_equiv_adj"], 0.0),
        verdict,
        f"{row['stability']:.0%}" if pd.notna(row["stability"]) else "–",
        str(row[other[0]]) if other else "–",
    ]


def comparison_text(table: pd.DataFrame) -> str:
    """The comparison table as aligned plain text (what ``designspace analyze`` prints)."""
    rows = [list(COMPARISON_HEAD)] + [comparison_cells(r) for _, r in table.iterrows()]
    return format_table(rows)


def _comparisons_html(a: Analysis) -> str:
    t = a.comparisons
    if t is None or t.empty:
        return ""
    e = html.escape
    opt = a.options
    head = "".join(f"<th>{e(h)}</th>" for h in COMPARISON_HEAD)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in comparison_cells(r)) + "</tr>" for _, r in t.iterrows())
    adj = {"holm": "Holm", "bh": "Benjamini–Hochberg", "none": "no"}[opt.adjust]
    return (
        f"<h2>Comparisons</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        '<p class="small">Shift: median (mean) error of the later population minus the first, in points of '
        f"error (negative: better), with its {1 - opt.alpha:.0%} stratified bootstrap interval. Verdicts at "
        f"α = {opt.alpha:g}, p-values adjusted ({adj}) across the {len(t)} comparison(s) of this report, raw "
        "first and adjusted in brackets. <b>better/worse</b>: the permutation test of the median shift rejects; "
        f"<b>equivalent</b>: the equivalence test (TOST) shows the shift inside ±{opt.margin:g} pt, the only "
        "verdict that means “no difference”; otherwise <b>inconclusive</b>, with the models per population the "
        "planner expects to settle it. A p at a permutation test's floor 1/(R+1) is shown as a bound (≤). "
        "Stability: the share of bootstrap resamples giving the same verdict; last column: the verdict with the "
        "other normalization target. The numbers are in <code>comparisons.csv</code>; docs/analysis.md, "
        "“Verdicts”.</p>"
    )


def write_summary_csv(a: Analysis, path: Path) -> Path:
    summary_frame(a).to_csv(path, index=False)
    return path


def _ks_cell(ks) -> str:
    if ks is None:
        return "—"
    return f"D={ks.d:.3f}<br>p={html.escape(format_p(ks.p, ks.floor))}"


def _summary_table(a: Analysis) -> str:
    e = html.escape
    norm = a.options.normalize
    head = ["study", "space", "n", "not complete", "min err. (%)", "median err. (%)", "best model"]
    if norm != "none":
        head.append(f"KS vs first ({e(norm)}-normalized)")
    head += ["KS vs first (raw)", "good ranges: low–high (median)"]
    out = ["<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in a.results:
        p, best = r.pop, r.best
        spec = spec_summary(best["spec"]) if "spec" in best.index else ""
        flops = f", {best['flops'] / 1e6:.1f} MF" if "flops" in best.index and pd.notna(best["flops"]) else ""
        cells = [
            f'<span class="swatch" style="background:{r.style.color}"></span>{e(p.name)}',
            e(p.space),
            f'<td class="num">{p.n}'
            + (f" ({r.norm_kept} in common bins)" if norm != "none" and r.norm_kept < p.n else ""),
            f'<td class="num">{p.dropped}',
            f'<td class="num">{p.errors.min():.2f}',
            f'<td class="num">{pd.Series(p.errors).median():.2f}',
            f"trial {int(best['trial'])}{e(flops)}<br><code>{e(spec)}</code>",
        ]
        if norm != "none":
            cells.append(_ks_cell(r.ks_norm))
        cells.append(_ks_cell(r.ks_raw))
        cells.append("<br>".join(f"{e(k)}: {_range_text(g)}" for k, g in r.ranges.items()) or "—")
        out.append("<tr>" + "".join((c if c.startswith("<td") else f"<td>{c}") + "</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _ranges_table(r: PopulationResult) -> str:
    e = html.escape
    if not r.ranges:
        return ""
    best = r.best
    rows = [
        f"<tr><td>{e(k)}</td><td class='num'>{_num(g.low)}</td><td class='num'>{_num(g.median)}</td>"
        f"<td class='num'>{_num(g.high)}</td><td class='num'>{_num(float(best[k]))}</td></tr>"
        for k, g in r.ranges.items()
    ]
    return (
        f"<h3>{e(r.pop.name)}</h3><table><thead><tr><th>parameter</th><th>low</th><th>median</th><th>high</th>"
        "<th>best model</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _fits_table(a: Analysis) -> str:
    e = html.escape
    rows = []
    for r in a.results:
        for f in r.fits:
            fit = f.fit
            rows.append(
                f"<tr><td>{e(r.pop.name)}</td><td class='num'>{f.trial}</td><td class='num'>{f.error:.2f}</td>"
                f"<td class='num'>{fit.depth}</td><td class='num'>{fit.w0:.0f}</td><td class='num'>{fit.wa:.1f}</td>"
                f"<td class='num'>{fit.wm:.3f}</td><td class='num'>{fit.e_fit:.4f}</td>"
                f"<td><code>{e(' '.join(map(str, f.widths)))}</code></td></tr>"
            )
    if not rows:
        return ""
    return (
        "<table><thead><tr><th>study</th><th>trial</th><th>error (%)</th><th>d</th><th>w0</th><th>wa</th>"
        "<th>wm</th><th>e_fit</th><th>per-block widths</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def write_report(a: Analysis, path: Path, *, link_plots: bool = False) -> Path:
    """One self-contained HTML file (inline CSS and SVG, no scripts, no external references);
    with ``link_plots`` the plots are ``<img>`` links to the ``NAME.svg`` files beside it instead
    (a report a few kB in size, which needs its folder)."""
    e = html.escape
    opt = a.options
    names = ", ".join(r.pop.name for r in a.results)
    norm_text = "none" if opt.normalize == "none" else f"by {opt.normalize} ({a.normalization.describe()})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Design-space analysis: {e(names)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Design-space analysis: {e(names)}</h1>",
        f'<p class="meta">Source: {e(a.source or "in-memory table")} · complexity normalization: {e(norm_text)} · '
        f"{opt.n_boot} bootstrap resamples, {opt.permutations} permutations, seed {opt.seed} · "
        f"designspace {e(__version__)}</p>",
        "<h2>Summary</h2>",
        _summary_table(a),
        '<p class="small">KS: two-sample Kolmogorov–Smirnov statistic D = sup |F<sub>1</sub> − F<sub>2</sub>| '
        "against the first population; raw p-values are scipy's, normalized ones come from a seeded permutation test "
        "within complexity bins. Good ranges: the "
        f"{opt.level:.0%} bootstrap interval (median) of the best model's value in draws of {opt.frac:.0%} of the "
        "population. The same numbers are in <code>summary.csv</code>.</p>",
    ]
    parts.append(_comparisons_html(a))
    if a.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in a.notes) + "</ul>")
    parts.append("<h2>Figures</h2>")
    for f in a.figures:
        plot = f'<a href="{e(f.name)}.svg"><img src="{e(f.name)}.svg" alt="{e(f.title)}"></a>' if link_plots else f.svg
        parts.append(
            f'<figure id="{e(f.name)}"><h3>{e(f.title)}</h3>{plot}'
            f"<figcaption>{e(f.caption)} <span class='small'>Files: {e(f.name)}.svg, {e(f.name)}.png</span>"
            "</figcaption></figure>"
        )
    ranges = "".join(_ranges_table(r) for r in a.results)
    if ranges:
        parts += ["<h2>Good ranges</h2>", ranges]
    fits = _fits_table(a)
    if fits:
        parts += ["<h2>RegNet fits of the best models</h2>", fits]
    parts += [
        "<h2>How to read this report</h2><ul>",
        "<li><b>EDF</b>: F(e) is the fraction of models with error below e; higher and further left is better.</li>",
        "<li><b>Normalized EDF</b>: models are weighted so every population has the same uniform distribution of "
        "log complexity; differences left are due to the design space, not to model size.</li>",
        "<li><b>KS D</b> is the largest vertical gap between two EDFs; a small p says the gap is unlikely if both "
        "populations came from one distribution.</li>",
        "<li><b>Good range</b>: where the best models' values fall; a narrow range inside the sampled range is a "
        "candidate for restricting the design space.</li>",
        "<li><b>e_fit</b> near 0: the best models' widths follow the quantized-linear RegNet rule.</li>",
        "</ul><p class='small'>Details: docs/analysis.md.</p>",
        "</body></html>",
    ]
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
