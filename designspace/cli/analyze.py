"""``designspace analyze STUDY... [--csv FILE... | --storage URL]``: EDFs, KS tests, good ranges, report.html.

Writes DIR/report.html (self-contained, SVG plots inline; --link-plots: linked), DIR/summary.csv, DIR/comparisons.csv
and every plot as DIR/NAME.svg and DIR/NAME.png, then prints the comparison table (each study
against the first: KS D and p, median and mean shift with bootstrap intervals, raw and adjusted
p-values, a three-way verdict) and, on its last line, the report's path. DIR defaults to
results/analysis/<study names joined by "-vs-">.
"""

from __future__ import annotations

import argparse
import re
import zlib

from designspace.cli.command import add_command
from designspace.cli.trials import load_trials

DEFAULT_ROOT = "results/analysis"


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "analyze", __doc__, raw=True)
    p.add_argument("studies", nargs="*", metavar="STUDY", help="studies to compare, the first is the reference")
    p.add_argument("--storage", metavar="URL", help="Optuna storage URL holding the studies")
    p.add_argument(
        "--csv",
        nargs="+",
        metavar="FILE",
        help="trial tables (one row per trial); populations are the 'study' column's values (or 'space')",
    )
    p.add_argument(
        "--normalize",
        choices=("flops", "params", "none"),
        default="flops",
        help="complexity for the normalized EDFs and KS tests (default: flops)",
    )
    p.add_argument("--out", metavar="DIR", help=f"output folder (default: {DEFAULT_ROOT}/<names joined by -vs->)")
    p.add_argument("--bins", type=int, help="normalization bins (default: round(sqrt(smallest n)), at most 20)")
    p.add_argument("--boot", type=int, default=10_000, help="bootstrap resamples (default: 10000)")
    p.add_argument("--permutations", type=int, default=2000, help="permutations of weighted KS tests (default: 2000)")
    p.add_argument("--top", type=int, default=5, help="best models per study in the RegNet width fit (default: 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of every resampling (default: 0)")
    p.add_argument(
        "--margin",
        type=float,
        help="equivalence margin in points of error (default: compare.DEFAULT_MARGIN, 1 pt)",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="level of the verdicts (default: 0.05)")
    p.add_argument(
        "--adjust",
        choices=("holm", "bh", "none"),
        default="holm",
        help="p-value adjustment across the comparisons (default: holm)",
    )
    p.add_argument(
        "--target",
        choices=("uniform", "pooled"),
        default="uniform",
        help="normalization target: uniform over log complexity (the paper's) or the pooled mix (default: uniform)",
    )
    p.add_argument(
        "--link-plots",
        action="store_true",
        help="report.html links its plots (the NAME.svg files beside it) instead of inlining them: "
        "a report of a few kB instead of about 1 MB, which needs its folder (default: self-contained)",
    )
    p.set_defaults(func=run)


def default_out(names: list[str]) -> str:
    """results/analysis/<names joined by -vs->, made filesystem-safe and at most 100 characters."""
    joined = "-vs-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", n).strip("_.") or "study" for n in names)
    if len(joined) > 100:
        joined = f"{joined[:90]}-{zlib.crc32(joined.encode()):08x}"
    return f"{DEFAULT_ROOT}/{joined}"


def run(args: argparse.Namespace) -> int:
    from designspace.analysis.effect import DEFAULT_MARGIN  # deferred: loads scipy (the analysis package)
    from designspace.analysis.inputs import populations  # deferred: loads scipy
    from designspace.analysis.paired import is_paired  # deferred: loads scipy
    from designspace.analysis.pipeline import Options, analyze, write_analysis  # deferred: loads scipy
    from designspace.analysis.report import comparison_text  # deferred: loads scipy

    options = Options(
        normalize=args.normalize,
        bins=args.bins,
        n_boot=args.boot,
        permutations=args.permutations,
        top=args.top,
        seed=args.seed,
        target=args.target,
        margin=DEFAULT_MARGIN if args.margin is None else args.margin,
        alpha=args.alpha,
        adjust=args.adjust,
    )
    frame = load_trials(args.studies, storage=args.storage, csv=args.csv)
    if is_paired(frame):  # paired studies (mode = "paired"): paired differences, docs/paired.md
        return _run_paired(frame, args, options)
    pops = populations(frame, args.studies, known=bool(args.storage))
    out = args.out or default_out([p.name for p in pops])
    source = f"storage {args.storage}" if args.storage else "CSV " + ", ".join(args.csv)
    a = analyze(pops, options, source=source)
    path = write_analysis(a, out, link_plots=args.link_plots)
    if a.comparisons is not None:
        print(comparison_text(a.comparisons))
    print(path)
    return 0


def _run_paired(frame, args: argparse.Namespace, options) -> int:  # noqa: ANN001
    """Paired studies: pairs.csv, paired.csv and the paired-difference plot; the verdicts printed."""
    from designspace.analysis.paired import (
        PRINCIPLE_COLUMN,
        paired_text,
        write_paired,
    )  # deferred: loads scipy

    paired = set(frame.loc[frame[PRINCIPLE_COLUMN].notna(), "study"])  # a study with any paired trial
    others = sorted(set(frame["study"]) - paired)
    if others:
        raise ValueError(f"analyze paired studies apart from populations ({', '.join(others)} are not paired)")
    names = list(dict.fromkeys(frame["study"]))
    out = args.out or default_out(names)
    path, table = write_paired(
        frame,
        out,
        margin=options.margin,
        alpha=options.alpha,
        adjustment=options.adjust,
        n_boot=options.n_boot,
        seed=options.seed,
    )
    print(paired_text(table))
    print(path)
    return 0
