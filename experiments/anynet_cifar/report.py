"""The A->E / RegNetX reproduction's report: trial tables, EDF comparisons, REPORT.md, HTML reports.

Reads the six population studies (``studies.db``) and the calibration summary, and writes to
``results/anynet_cifar/``:

* ``<study>.csv``: one row per trial of each population (``designspace study export``);
* ``analyze/<a>-vs-<b>/`` for the five steps and ``analyze/all/`` for the six populations: exactly
  what ``designspace analyze A B --storage sqlite:///results/anynet_cifar/studies.db --out DIR``
  writes (report.html, summary.csv, every plot as SVG + PNG);
* ``REPORT.md``: per comparison n, KS D and p, the median and mean shifts with bootstrap
  intervals, raw and Holm-adjusted p-values over all the report's comparisons, the three-way
  verdict next to the paper's claim and its robustness; calibration; cost; the commands; the
  discussion (``discussion.md`` here).

    python experiments/anynet_cifar/report.py [--storage URL] [--out DIR] [--min-complete N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from optuna.study import get_all_study_names

from designspace.analysis import reliability
from designspace.analysis.compare import compare_frame
from designspace.analysis.edf import edf
from designspace.analysis.inputs import populations
from designspace.analysis.ks import format_p
from designspace.analysis.pipeline import Analysis, Options, analyze, write_analysis
from designspace.study.config import StudyConfig, load_config
from designspace.study.export import trials_frame, write_frame
from designspace.study.join import open_existing
from designspace.train import TrainConfig

HERE = Path(__file__).resolve().parent
STUDIES = ("anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e", "regnetx")
#: how the committed populations were drawn (issue 20 moved the spaces to pycls's group-width rule)
SAMPLING_NOTE = (
    "The committed populations (v1) were sampled when the spaces reduced a group width g to gcd(g, w/b); "
    "the spaces now follow pycls's group-width rule (issue 20; [SAMPLING_RULE.md](SAMPLING_RULE.md)), so a "
    "rerun with the new rule draws different networks, and every figure here describes the v1 populations."
)


@dataclass(frozen=True)
class Claim:
    before: str
    after: str
    step: str
    claim: str  # "no loss" | "better" | "at least as good"


CLAIMS = (
    Claim("anynetx_a", "anynetx_b", "A → B: shared bottleneck ratio", "no loss"),
    Claim("anynetx_b", "anynetx_c", "B → C: shared group width", "no loss"),
    Claim("anynetx_c", "anynetx_d", "C → D: non-decreasing widths", "better"),
    Claim("anynetx_d", "anynetx_e", "D → E: non-decreasing depths", "better"),
    Claim("anynetx_e", "regnetx", "E → RegNetX: quantized linear widths", "at least as good"),
)


@dataclass(frozen=True)
class SetAside:
    """A population that is not one of the six, compared in a supplement when the storage has it."""

    study: str
    label: str
    title: str
    intro: str  # "{n}": its complete models
    claims: tuple[Claim, ...]
    by: str  # its models tabulated by: "stages" (of the built network) or a sampled parameter


ANY_STAGES = "regnetx_any_stages"
FREE_B = "regnetx_b"
SET_ASIDE = (
    SetAside(
        ANY_STAGES,
        "RegNetX (any stages)",
        "RegNetX without pycls's 4-stage rule",
        f"The first RegNetX population (study `{ANY_STAGES}`, {{n}} models) was drawn before the `regnetx` "
        "space kept only the draws whose generator gives exactly four stages, none merged away by "
        "quantization (pycls's sweep constraint, which the paper's RegNet populations obey). It is not one "
        "of the six populations; it shows what the rule does at 32 px, where a 5th and 6th stride-2 stage "
        "leave 2×2 and 1×1 maps.",
        (
            Claim("anynetx_e", ANY_STAGES, "E → RegNetX drawn without the 4-stage rule", "none"),
            Claim(ANY_STAGES, "regnetx", "RegNetX: without → with the 4-stage rule", "none"),
        ),
        "stages",
    ),
    SetAside(
        FREE_B,
        "RegNetX (b free)",
        "RegNetX with the bottleneck ratio free",
        "The `regnetx` population fixes the bottleneck ratio b = 1, as pycls's RegNetX models do and as the "
        "paper does only after finding b = 1 best among RegNet models (§4). Study `regnetx_b` ({n} models, "
        "same regime, data and budget) draws b from {{1, 2, 4}} as AnyNetX-E does: it tests whether RegNetX "
        "with b free is at least as good as E, and whether its good models have b = 1.",
        (
            Claim("anynetx_e", FREE_B, "E → RegNetX with b free", "at least as good"),
            Claim(FREE_B, "regnetx", "RegNetX: b free → b = 1", "none"),
        ),
        "b",
    ),
)

LABEL = {s: ("RegNetX" if s == "regnetx" else "AnyNetX-" + s[-1].upper()) for s in STUDIES}
LABEL.update({x.study: x.label for x in SET_ASIDE})


# -- statistics --------------------------------------------------------------------------------
def weighted_median(a: Analysis, i: int) -> float:
    w = a.normalization.weights[i] if a.normalization is not None else None
    return edf(a.results[i].pop.errors, w).quantile(0.5)


def agreement(claim: str, verdict: str) -> str:
    """This run's verdict against the paper's claim ("none": no claim, the verdict stands alone)."""
    if claim == "none":
        return "–"
    if claim == "better":
        return {"better": "agrees", "worse": "disagrees", "equivalent": "disagrees (no gain beyond the margin)"}.get(
            verdict, "not settled"
        )
    return {"equivalent": "agrees", "better": "agrees (better)", "worse": "disagrees"}.get(verdict, "not settled")


# -- cost ----------------------------------------------------------------------------------------
def timing(storage: str, names: tuple[str, ...]) -> tuple[pd.DataFrame, float]:
    """Per study: trials, failures, wall hours (union of trial intervals: gaps between sessions do
    not count), worker hours (each worker is one single-thread process: CPU core-hours)."""
    rows, intervals = [], []
    for name in names:
        handle = open_existing(storage, name)
        trials = [t for t in handle.trials() if t.datetime_start and t.datetime_complete]
        spans = sorted((t.datetime_start.timestamp(), t.datetime_complete.timestamp()) for t in trials)
        intervals += spans
        done = sum(t.state.name == "COMPLETE" for t in trials)
        failed = sum(t.state.name == "FAIL" for t in handle.ledger().settled.values())  # the model's result
        wall = union_length(spans) / 3600
        rows.append(
            {
                "study": name,
                "complete": done,
                "failed": failed,
                "rerun": sum(t.state.name == "FAIL" for t in trials) - failed,  # lost/interrupted attempts
                "wall_hours": wall,
                "worker_hours": sum(b - a for a, b in spans) / 3600,
                "trials_per_hour": done / wall if wall else float("nan"),
            }
        )
    return pd.DataFrame(rows), union_length(sorted(intervals)) / 3600


def union_length(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, -np.inf
    for a, b in spans:
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


# -- the report ---------------------------------------------------------------------------------
def image(path: Path, out: Path, alt: str) -> str:
    return f"![{alt}]({path.relative_to(out).as_posix()})"


def comparison_rows(
    storage: str, out: Path, frame: pd.DataFrame, options: Options, min_complete: int, claims: tuple = CLAIMS
) -> list[dict]:
    """Each claim's analyze/ folder and descriptive numbers; the tests come from :func:`add_verdicts`."""
    rows = []
    for c in claims:
        pops = populations(frame, [c.before, c.after], min_complete=min_complete)
        a = analyze(pops, options, source=f"storage {storage}")
        folder = out / "analyze" / f"{c.before}-vs-{c.after}"
        write_analysis(a, folder)
        r0, r1 = a.results
        rows.append(
            {
                "claim": c,
                "folder": folder,
                "n": (r0.pop.n, r1.pop.n),
                "n_norm": (r0.norm_kept, r1.norm_kept),
                "median": (float(np.median(r0.pop.errors)), float(np.median(r1.pop.errors))),
                "median_norm": (weighted_median(a, 0), weighted_median(a, 1)),
                "min": (float(r0.pop.errors.min()), float(r1.pop.errors.min())),
            }
        )
    return rows


def add_verdicts(rows: list[dict], frame: pd.DataFrame, options: Options) -> pd.DataFrame:
    """One family: every comparison of the report, tested together (compare.compare_frame, each pair
    on its own common flops bins as its analyze/ folder), adjusted by ``options.adjust``; each row
    gets its line of the table as ``row["t"]``."""
    done = frame[(frame["state"] == "COMPLETE") & frame["test_error"].notna()]
    pairs = [(r["claim"].before, r["claim"].after, r["claim"].claim) for r in rows]
    table = compare_frame(done, pairs, **options.compare_args())
    for r, (_, t) in zip(rows, table.iterrows()):
        r["t"] = t
        r["verdict"] = t["verdict"]
    return table


def p_pair(p: float, p_adj: float, floor: float) -> str:
    """Raw p and adjusted p in brackets; at a permutation floor 1/(R+1) both are bounds."""
    at_floor = p <= floor * (1 + 1e-9)
    return f"{format_p(p, floor)} ({format_p(p_adj, p_adj if at_floor else 0.0)})"


def p_is(p: float, p_adj: float, floor: float) -> str:
    """``"p = 0.02 (0.08)"``, or ``"p ≤ 5.0e-04 (≤ 0.0045)"`` at the floor."""
    text = p_pair(p, p_adj, floor)
    return f"p {text}" if text.startswith("≤") else f"p = {text}"


def verdict_cell(t: pd.Series) -> str:
    v = t["verdict"]
    if v == "equivalent":
        return f"equivalent (±{t['margin']:g} pt)"
    if v == "inconclusive":
        return "inconclusive" + (f", needs n ≈ {int(t['needs_n'])}" if pd.notna(t["needs_n"]) else "")
    return str(v)


def comparison_table(rows: list[dict]) -> str:
    head = (
        "| step | paper | n | KS D | KS p (Holm) | median shift, pt [95% CI] | mean shift, pt [95% CI] "
        "| shift test p (Holm) | equivalence p (Holm) | this run | vs the paper | pooled target; stability |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = ""
    for r in rows:
        c, t = r["claim"], r["t"]
        side = " (1-sided)" if "less" in t["test"] else ""
        body += (
            f"| {c.step} | {c.claim} | {r['n'][0]} / {r['n'][1]} | {t['ks_d']:.3f} "
            f"| {p_pair(t['ks_p'], t['ks_p_adj'], t['p_floor'])} "
            f"| {t['median_shift']:+.2f} [{t['median_low']:+.2f}, {t['median_high']:+.2f}] "
            f"| {t['mean_shift']:+.2f} [{t['mean_low']:+.2f}, {t['mean_high']:+.2f}] "
            f"| {p_pair(t['p'], t['p_adj'], t['p_floor'])}{side} | {p_pair(t['p_equiv'], t['p_equiv_adj'], 0.0)} "
            f"| **{verdict_cell(t)}** | {agreement(c.claim, t['verdict'])} "
            f"| {t['verdict_pooled']}; {t['stability']:.0%} |\n"
        )
    return head + body


def step_text(r: dict, out: Path) -> str:
    """One comparison in words: the verdict, its numbers, and where its HTML report is."""
    c, t = r["claim"], r["t"]
    return (
        f"Paper: {c.claim}. This run: **{verdict_cell(t)}** "
        f"({'no claim to check' if c.claim == 'none' else 'vs the paper: ' + agreement(c.claim, t['verdict'])}). "
        f"Normalized median error {r['median_norm'][0]:.2f}% → "
        f"{r['median_norm'][1]:.2f}%: shift {t['median_shift']:+.2f} pt [{t['median_low']:+.2f}, "
        f"{t['median_high']:+.2f}], n = {t['n_before']} / {t['n_after']} (effective {t['n_eff_before']:.0f} / "
        f"{t['n_eff_after']:.0f}), shift test {p_is(t['p'], t['p_adj'], t['p_floor'])} "
        f"({'one-sided, for lower error' if 'less' in t['test'] else 'two-sided'}), "
        f"equivalence {p_is(t['p_equiv'], t['p_equiv_adj'], 0.0)}; "
        f"KS D = {t['ks_d']:.3f} (one-sided: {LABEL[c.after]} better by up to {t['ks_d_plus']:.3f}, worse by up "
        f"to {t['ks_d_minus']:.3f}), {p_is(t['ks_p'], t['ks_p_adj'], t['p_floor'])}. With the pooled "
        f"target: {t['verdict_pooled']}; {t['stability']:.0%} of bootstrap resamples give the same verdict. "
        f"Raw medians {r['median'][0]:.2f}% → {r['median'][1]:.2f}%, best models {r['min'][0]:.2f}% → "
        f"{r['min'][1]:.2f}%. "
        f"HTML: [analyze/{r['folder'].name}/report.html]({r['folder'].relative_to(out).as_posix()}/report.html)"
    )


def spaces_table(names: tuple[str, ...]) -> str:
    """Each study's space (under the group rule its config pins) with its dimension and size."""
    out = "| space | sampled parameters | distinct settings | distinct networks |\n|---|---|---|---|\n"
    for name in names:
        space = load_config(HERE / f"{name}.toml").design_space()
        settings = "continuous" if space.num_settings is None else f"{space.num_settings:.3g}"
        networks = "no closed form" if space.size is None else f"{space.size:.3g}"
        params = space.param_names()
        out += f"| {LABEL[name]} | {len(params)} ({', '.join(params)}) | {settings} | {networks} |\n"
    return out


def ranges_table(summary: pd.DataFrame, frame: pd.DataFrame, study: str, names: list[str]) -> str:
    row = summary.set_index("study").loc[study]
    done = frame[(frame["study"] == study) & (frame["state"] == "COMPLETE")]
    best = done.loc[done["test_error"].idxmin()]
    out = "| parameter | good range (95%) | median of the best model's value | best model |\n|---|---|---|---|\n"
    for name in names:
        if f"{name}_low" not in row.index:
            continue
        out += (
            f"| {name} | {row[f'{name}_low']:.4g} – {row[f'{name}_high']:.4g} | {row[f'{name}_median']:.4g} "
            f"| {float(best[name]):.4g} |\n"
        )
    return out


def by_table(frame: pd.DataFrame, study: str, by: str) -> str:
    """Complete models of ``study`` grouped by their number of stages (``by="stages"``) or by a
    sampled parameter: count, median and min error."""
    done = frame[(frame["study"] == study) & (frame["state"] == "COMPLETE")]
    key = done["spec"].map(lambda s: len(json.loads(s)["stages"])) if by == "stages" else done[by]
    out = f"| {by} | models | median error % | min error % |\n|---|---|---|---|\n"
    for k, errors in done["test_error"].groupby(key):
        out += f"| {k:g} | {len(errors)} | {errors.median():.2f} | {errors.min():.2f} |\n"
    return out


def supplement_section(aside: SetAside, rows: list[dict], frame: pd.DataFrame, out: Path) -> list[str]:
    n = int(((frame["study"] == aside.study) & (frame["state"] == "COMPLETE")).sum())
    folder = rows[0]["folder"]
    lines = [
        f"### Supplement: {aside.title}",
        "",
        aside.intro.format(n=n),
        "",
        comparison_table(rows),
        f"Its models by {'number of stages' if aside.by == 'stages' else aside.by}:",
        "",
        by_table(frame, aside.study, aside.by),
    ]
    if aside.by != "stages":  # a sampled parameter: the space's good ranges (the table skips absent ones)
        ranges = ranges_table(
            pd.read_csv(folder / "summary.csv"), frame, aside.study, ["d", "w0", "wa", "wm", "g", "b"]
        )
        lines += ["Its good ranges (defined under *What good models look like*):", "", ranges]
    lines += [image(folder / "edf_normalized.png", out, f"normalized EDFs {rows[0]['claim'].step}"), ""]
    params = folder / f"params_{aside.study}.png"
    if params.is_file():
        lines += [image(params, out, f"{aside.label} error vs parameters"), ""]
    return lines


def write_report(
    out: Path,
    storage: str,
    rows: list[dict],
    all_dir: Path,
    frame: pd.DataFrame,
    calibs: dict,
    cost: tuple,
    options: Options,
    supplements: tuple[tuple[SetAside, list[dict]], ...] = (),
) -> Path:
    per_study, wall = cost
    summary = pd.read_csv(all_dir / "summary.csv")
    cfg = "experiments/anynet_cifar"
    fails = frame[frame["state"] == "FAIL"]
    reasons = Counter(str(r).split(":")[0] for r in fails["reason"])
    total_worker = per_study["worker_hours"].sum()
    sizes = {n for r in rows for n in r["n"]}
    n_min, n_same = min(sizes), len(sizes) == 1
    crit = [r["t"]["ks_d_crit"] for r in rows]
    neff = [r["t"][k] for r in rows for k in ("n_eff_before", "n_eff_after")]
    n_family = len(rows) + sum(len(extra) for _, extra in supplements)
    lines = ["# AnyNetX A→E and RegNetX on CIFAR-10 at CPU scale", ""]
    lines += [
        "Generated by `python experiments/anynet_cifar/report.py` from the studies in "
        f"`{storage}` (configs: `experiments/anynet_cifar/*.toml`). Every number and plot below is "
        "recomputed from the stored trials; the discussion at the end is written by hand.",
        "",
        "## Setup",
        "",
        "| | this run | the paper (Radosavovic et al. 2020, §3) |",
        "|---|---|---|",
        *setup_rows(load_config(HERE / f"{STUDIES[0]}.toml")),
        "| hardware | 2 CPU cores, 2 single-thread workers | GPUs |",
        "",
        SAMPLING_NOTE,
        "",
        "EDFs are flops-normalized (`designspace analyze` default: every population reweighted to the same "
        "uniform log-flops distribution on the common bins of the two compared populations). Each comparison "
        "reports the paper's KS statistic D with its p-value (a stratified permutation test, "
        f"{options.permutations:,} permutations), and the effect: the shift of the normalized median (and mean) "
        "error, later space minus earlier, in points of error (negative: the later space is better), with a "
        f"{1 - options.alpha:.0%} stratified bootstrap interval ({options.n_boot:,} resamples). The verdict is "
        "three-way (docs/analysis.md, *Verdicts*): **better/worse** when the permutation test of the median "
        "shift rejects (one-sided, for *lower* error, where the paper claims *better*; two-sided otherwise); "
        f"**equivalent** when the equivalence test (TOST) puts the shift inside ±{options.margin:g} pt, the "
        "margin fixed before these data were analysed (about one training's seed noise); **inconclusive** "
        "otherwise, with the models per space that the planner (`designspace plan`) expects to settle it, "
        "taking the observed shift as the true one. "
        f"All {n_family} comparisons of this report, supplements included, are one family: every p-value is "
        f"shown raw and Holm-adjusted (in brackets), and verdicts use the adjusted ones at α = {options.alpha:g}. "
        "A permutation p at its floor 1/(R+1) is a bound, shown as ≤. Robustness: the verdict with the pooled "
        "normalization target (every bin weighted by its share of both populations, instead of uniform), and "
        "the share of bootstrap resamples that give the same verdict. Each `analyze/` folder's own table is a "
        "family of its one comparison (adjusted p = raw p there); the verdicts here are the report's.",
        "",
        "## The four A→E steps and RegNetX",
        "",
        comparison_table(rows),
        f"With n = {n_min} per space{'' if n_same else ' (the smallest population here)'}, an unweighted KS "
        f"distance below about {1.358 * np.sqrt(2 / n_min):.2f} cannot reach p < 0.05; the normalized test "
        f"needs more, D ≥ {min(crit):.2f}–{max(crit):.2f} here (the 95th percentile of each comparison's "
        "permutation null), because its effective n is smaller (Kish effective sizes "
        f'{min(neff):.0f}–{max(neff):.0f} of {n_min}). "No loss" is claimed only where the verdict is '
        "equivalent.",
        "",
        "The spaces' sizes as these populations sampled them (AnyNetX under the gcd rule; `designspace spaces` "
        "gives today's, under pycls's rule), for the paper's other RegNetX claim, a much smaller space: "
        "each step shrinks the space, and RegNetX keeps 5 of AnyNetX-E's 10 dimensions (two of them continuous, "
        "so its networks are finitely many but not counted in closed form).",
        "",
        spaces_table(STUDIES),
    ]
    for r in rows:
        c = r["claim"]
        lines += [
            f"### {c.step}",
            "",
            step_text(r, out),
            "",
            image(r["folder"] / "edf_normalized.png", out, f"normalized EDFs {c.step}"),
            "",
        ]
    lines += [
        "### All six together",
        "",
        "KS statistics in the legend are against AnyNetX-A. HTML: "
        f"[analyze/all/report.html]({all_dir.relative_to(out).as_posix()}/report.html)",
        "",
        image(all_dir / "edf_normalized.png", out, "normalized EDFs of all six"),
        "",
        image(all_dir / "error_vs_complexity.png", out, "error vs complexity"),
        "",
        *(line for aside, extra in supplements for line in supplement_section(aside, extra, frame, out)),
        "## What good models look like",
        "",
        "### RegNetX",
        "",
        "The paper's good RegNetX models have b = 1 (fixed in the RegNetX space here, as in pycls's "
        "RegNetX models; see the b-free supplement above where it was run), depth near 20 blocks and wm "
        "near 2.5. Good ranges: the "
        f"{options.level:.0%} interval of the best model's value over {options.n_boot:,} draws of "
        f"{options.frac:.0%} of the population.",
        "",
        ranges_table(summary, frame, "regnetx", ["d", "w0", "wa", "wm", "g"]),
        image(all_dir / "params_regnetx.png", out, "RegNetX error vs parameters"),
        "",
        "### AnyNetX-E",
        "",
        ranges_table(summary, frame, "anynetx_e", [f"{p}{i}" for p in ("d", "w") for i in range(1, 5)] + ["b", "g"]),
        image(all_dir / "params_anynetx_e.png", out, "AnyNetX-E error vs parameters"),
        "",
        image(all_dir / "regnet_fit.png", out, "RegNet fits of the best models"),
        "",
    ]
    lines += calibration_section(calibs, out)
    lines += noise_section(storage)
    lines += [
        "## Cost",
        "",
        "| study | complete | failed (no result) | attempts re-run | wall h | worker h (= CPU core-h) | trials / h |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, s in per_study.iterrows():
        lines.append(
            f"| {s['study']} | {s['complete']} | {s['failed']} | {s['rerun']} | {s['wall_hours']:.2f} "
            f"| {s['worker_hours']:.2f} | {s['trials_per_hour']:.0f} |"
        )
    # by study: an attempt may reuse an earlier one's study (e5's 4x study is e1's)
    calib_hours = sum(
        {c["studies"][k]: h for c in calibs.values() for k, h in c["training_cpu_hours"].items()}.values()
    )
    lines += [
        "",
        f"Populations: {wall:.2f} h wall clock on 2 cores (time with a trial running; gaps between sessions "
        f"excluded), {total_worker:.2f} CPU core-hours of workers, "
        f"{per_study['complete'].sum() / wall:.0f} trials per hour. Calibration: "
        f"{calib_hours:.2f} core-hours of training. Failed trials: {len(fails)}"
        + (f" ({', '.join(f'{k}: {v}' for k, v in reasons.items())})" if len(fails) else "")
        + f"; of these, {per_study['rerun'].sum()} were attempts lost or interrupted and run again, and "
        f"{per_study['failed'].sum()} are models' results (no test error).",
        "",
        "## Commands",
        "",
        "Each step resumes where it stopped; `bash experiments/anynet_cifar/run.sh` runs them all.",
        "",
        "```bash",
        *calibration_commands(calibs, cfg),
        "# the six populations (each also writes results/anynet_cifar/<study>.csv and <study>-edf.png)",
        *[f"designspace study run experiments/anynet_cifar/{s}.toml --results results/anynet_cifar" for s in STUDIES],
        "# the supplements' populations that have a config (the other is a study kept as it was run)",
        *[
            f"designspace study run experiments/anynet_cifar/{x.study}.toml --results results/anynet_cifar"
            for x in SET_ASIDE
            if (HERE / f"{x.study}.toml").is_file()
        ],
        "# this report, the per-study CSVs and every analyze/ folder",
        "python experiments/anynet_cifar/report.py",
        "# one of its analyze/ folders by hand, e.g.",
        f"designspace analyze anynetx_a anynetx_b --storage {storage} "
        "--out results/anynet_cifar/analyze/anynetx_a-vs-anynetx_b",
        "```",
        "",
        "## Discussion",
        "",
    ]
    discussion = HERE / "discussion.md"
    lines.append(discussion.read_text().strip() if discussion.exists() else "(not written yet)")
    path = out / "REPORT.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def calibration_section(calibs: dict[str, dict], out: Path) -> list[str]:
    """``calibs``: each attempt's calibration.json in the order they ran (e1, e2, ...); the last one
    chose the populations' budget."""
    lines = ["## Calibration", ""]
    if not calibs:
        return [*lines, "Not run yet (`python experiments/anynet_cifar/calibrate.py`).", ""]
    last = list(calibs)[-1]
    final = calibs[last]
    history = "; ".join(
        f"{name}, {budget_text(c)}: seed target {target_verdict(c, 'seed')}, "
        f"budget target {target_verdict(c, 'budget')}"
        for name, c in calibs.items()
    )
    lines += [
        f"The same {final['models']} AnyNetX-A models (seed 100, 4–8 MF) measured three times per attempt: "
        "twice at the budget with different training seeds, and once at 4× the budget (4× the epochs "
        f"over the same images). Target: Spearman ≥ {final['target']} for both, the budget's taken on "
        "the first measurement; the second against the 4× study is a second estimate of it (*italics*), since "
        f"one Spearman over {final['models']} models moves that much between seeds. The two measurements also "
        "split one measurement's variance into noise and the spread between the models' true errors: ICC = "
        "spread² / (spread² + noise²), the reliability of one measurement (one training, or in an attempt "
        "that trains each model twice, their mean). Attempts in order: "
        f"{history}. The populations train with {last}'s budget, {budget_text(final)}.",
        "",
        "| attempt | budget | comparison | n | Spearman [95% bootstrap] | Pearson | sd of the difference "
        "| sd between models | one run's noise, ICC | target | training core-h |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = {"seed": "seed vs seed", "budget": "vs 4×", "budget_seed1": "*other seed vs 4×*"}
    for attempt, c in calibs.items():
        hours = sum(c["training_cpu_hours"].values())
        for key, r in c["comparisons"].items():
            head = f"| {attempt} | {budget_text(c)} | {names[key]} | {r['n']} |"
            if r.get("stopped"):
                why = "the 4× study was stopped" if r["n"] else "the 4× study was not run"
                lines.append(f"{head} not measured: {why} | | | | | – | {hours:.2f} |")
                continue
            target = target_verdict(c, key) if key in ("seed", "budget") else "–"
            icc = f"{r['noise_sd_per_run']:.2f} pt, {r['icc']:.2f}" if "icc" in r else ""
            lines.append(
                f"{head} {r['spearman']:.3f} [{r['spearman_ci95'][0]:.2f}, {r['spearman_ci95'][1]:.2f}] "
                f"| {r['pearson']:.3f} | {r['sd_difference']:.2f} pt | {r['sd_between_models']:.2f} pt | {icc} "
                f"| {target} | {hours:.2f} |"
            )
    for attempt in reversed(calibs):
        cal = out / "calibration" / attempt
        plots = [("scatter_seed.png", "seed vs seed"), ("scatter_budget.png", "budget vs 4x budget")]
        lines += [
            "",
            f"Attempt {attempt} ({budget_text(calibs[attempt])}; 4×: {calibs[attempt]['epochs']['long']:g} epochs):",
            "",
            " ".join(image(cal / f, out, f"{attempt} {alt}") for f, alt in plots if (cal / f).is_file()),
        ]
    lines += ["", "Tables: `calibration/<attempt>/calibration.csv`; figures: `calibration.json` beside them.", ""]
    return lines


def noise_section(storage: str) -> list[str]:
    """Each population's own seed noise: its models' two trainings split its variance (as the
    calibration's two measurements do), so every EDF says how much of it is noise."""
    rows = []
    for name in STUDIES:
        trials = open_existing(storage, name).trials()
        pairs = [
            t.user_attrs["test_errors"]
            for t in trials
            if t.state.name == "COMPLETE" and len(t.user_attrs.get("test_errors", ())) == 2
        ]
        if len(pairs) >= 2:
            a, b = zip(*pairs, strict=True)
            rows.append((name, len(pairs), reliability.noise_and_spread(a, b)))
    if not rows:
        return []
    lines = [
        "## Seed noise in the populations",
        "",
        "Every model here was trained twice (two training seeds) and its error is the mean, so each "
        "population measures its own noise: one training's noise sd, the sd of the models' true errors, "
        "and the reliability of one training (ICC) and of the two-training mean that the EDFs use "
        "(Spearman–Brown).",
        "",
        "| space | models | one training's noise | spread between models | ICC, one training "
        "| reliability of the mean |",
        "|---|---|---|---|---|---|",
    ]
    for name, n, r in rows:
        lines.append(
            f"| {LABEL[name]} | {n} | {r['noise_sd_per_run']:.2f} pt | {r['spread_sd_true']:.2f} pt | {r['icc']:.2f} "
            f"| {reliability.reliability_of_mean(r['icc'], 2):.2f} |"
        )
    return [*lines, ""]


def target_verdict(calib: dict, key: str) -> str:
    r = calib["comparisons"][key]
    return "not measured" if r.get("stopped") else "met" if r["meets_target"] else "missed"


def calibration_commands(calibs: dict[str, dict], cfg: str) -> list[str]:
    """The last attempt's three studies and its calibrate.py, then the earlier attempts' calibrate.py."""
    if not calibs:
        return []
    *earlier, last = calibs

    def calibrate(attempt: str) -> str:
        c = calibs[attempt]
        partial = " --partial" if any(r.get("stopped") for r in c["comparisons"].values()) else ""
        return (
            f"python experiments/anynet_cifar/calibrate.py --attempt {attempt} --min-models {c['min_models']}{partial}"
        )

    lines = [
        "# calibration: three studies of the same 32 AnyNetX-A models, then the correlations and scatter plots",
        *[
            f"designspace study run {cfg}/calibration_{last}_{v}.toml --results results/anynet_cifar/calibration"
            for v in ("seed0", "seed1", "long")
        ],
        calibrate(last),
    ]
    if earlier:
        lines.append("# the earlier attempts, from their studies as they ended (calibration_<attempt>_* configs)")
        lines += [calibrate(a) for a in earlier]
    return lines


def budget_text(calib: dict) -> str:
    e, subset = calib["epochs"]["seed0"], calib["train_subset"]
    k = calib.get("trainings_per_model", {}).get("seed0", 1)
    text = f"{e:g} epoch{'' if e == 1 else 's'} × {f'{subset / 1000:g}k' if subset else 'all'} images"
    return f"{k} trainings of {text}, mean error" if k > 1 else text


def setup_rows(c: StudyConfig) -> list[str]:
    """The Setup table's data, regime, models and budget rows, from the populations' config."""
    images = f"a fixed stratified {c.train_subset / 1000:g}k of the" if c.train_subset else "all"
    recipe = TrainConfig.from_dict(c.train_overrides)
    lo, hi = c.flops or (0, float("inf"))
    seeds = len(c.training_seeds(0))
    per_model = f"{seeds} trainings per model (training seeds {', '.join(map(str, c.training_seeds(0)))} + slot), "
    return [
        f"| data | CIFAR-10, {c.resolution} px; {images} 50k training images; full 10k test set | ImageNet, 224 px |",
        f"| regime | {lo / 1e6:g}–{hi / 1e6:g} M multiply-adds (flops), drawn uniformly from each space inside it "
        "| 360–400 MF |",
        f"| models | {c.trials} per space (uniform draws, `study.seed` {c.seed}) | 500 per space |",
        f"| budget | {per_model if seeds > 1 else ''}{c.epochs:g} epoch(s) each, batch "
        f"{recipe.batch_size}, one-cycle lr {recipe.lr:g}, SGD{' nesterov' if recipe.nesterov else ''}, "
        f"wd {recipe.weight_decay:g}, label smoothing {recipe.label_smoothing:g}, precision {recipe.precision}"
        f"{' (bf16 autocast on this CPU)' if recipe.precision == 'auto' else ''}; "
        "a model's error is "
        f"{'the mean of its trainings' if seeds > 1 else 'its one training'} | 10 epochs, one training |",
    ]


def read_calibrations(out: Path) -> dict[str, dict]:
    """Every attempt's calibration.json under ``out/calibration/``, in the order they ran."""
    files = sorted((out / "calibration").glob("e*/calibration.json"), key=lambda f: int(f.parent.name[1:]))
    return {f.parent.name: json.loads(f.read_text()) for f in files}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--storage", default="sqlite:///results/anynet_cifar/studies.db")
    p.add_argument("--out", default="results/anynet_cifar")
    p.add_argument("--min-complete", type=int, default=10, help="fewest complete trials a population needs")
    p.add_argument("--boot", type=int, default=10_000, help="bootstrap resamples (default 10000)")
    p.add_argument("--permutations", type=int, default=2000, help="permutation-test resamples (default 2000)")
    args = p.parse_args(argv)
    out = Path(args.out)
    options = Options(n_boot=args.boot, permutations=args.permutations)
    try:
        frame = trials_frame(args.storage, list(STUDIES))  # checks the storage and the six studies
        stored = set(get_all_study_names(args.storage))
        asides = tuple(x for x in SET_ASIDE if x.study in stored)
        if asides:
            extra = trials_frame(args.storage, [x.study for x in asides])
            frame = pd.concat([frame, extra], ignore_index=True)
        names = STUDIES + tuple(x.study for x in asides)
        for name in names:
            write_frame(frame[frame["study"] == name].dropna(axis=1, how="all"), out / f"{name}.csv")
        rows = comparison_rows(args.storage, out, frame, options, args.min_complete)
        supplements = tuple(
            (x, comparison_rows(args.storage, out, frame, options, args.min_complete, x.claims)) for x in asides
        )
        add_verdicts(rows + [r for _, extra in supplements for r in extra], frame, options)
        pops = populations(frame, list(STUDIES), min_complete=args.min_complete)
        all_dir = out / "analyze" / "all"
        write_analysis(analyze(pops, options, source=f"storage {args.storage}"), all_dir)
        cost = timing(args.storage, names)
    except ValueError as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    calibs = read_calibrations(out)
    path = write_report(out, args.storage, rows, all_dir, frame, calibs, cost, options, supplements)
    for r in rows + [r for _, extra in supplements for r in extra]:
        t = r["t"]
        print(
            f"{r['claim'].step}: median shift {t['median_shift']:+.2f} pt [{t['median_low']:+.2f}, "
            f"{t['median_high']:+.2f}], {p_is(t['p'], t['p_adj'], t['p_floor'])} -> {verdict_cell(t)}"
        )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
