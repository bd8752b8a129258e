"""``designspace calibrate``: measure how well (and how cheaply) a training protocol ranks models.

    designspace calibrate run PLAN.toml [--part reference|protocols|NAME ...] [--threads 1]
    designspace calibrate status PLAN.toml
    designspace calibrate report PLAN.toml [--out DIR]

``run`` trains what the plan still lacks (resumable; start several at once to share the work);
``status`` counts the trainings left; ``report`` writes ICC, Spearman correlations (between
replicates and against the reference, bootstrap CIs), error levels and core-seconds per protocol
and score. See docs/training.md and :mod:`designspace.calibration`.
"""

from __future__ import annotations

import argparse
import sys

from designspace.cli.command import add_command


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "calibrate")
    cmds = p.add_subparsers(dest="calibrate_command", metavar="ACTION")
    cmds.required = True
    run = cmds.add_parser("run", help="train what the plan still lacks (resumable)")
    run.add_argument("plan", help="calibration plan TOML")
    run.add_argument(
        "--part",
        nargs="+",
        default=["reference", "protocols"],
        help="reference, protocols (all of them) or protocol names, in order (default: reference protocols)",
    )
    run.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    run.add_argument("--threads", type=int, default=1, help="torch threads of this worker (default 1)")
    run.add_argument("--max-trainings", type=int, help="stop after this many trials")
    run.set_defaults(func=_run)
    status = cmds.add_parser("status", help="trainings left per protocol")
    status.add_argument("plan")
    status.set_defaults(func=_status)
    report = cmds.add_parser("report", help="write the calibration's figures (JSON + Markdown)")
    report.add_argument("plan")
    report.add_argument("--out", help="default: results/calibration/<plan name>")
    report.add_argument("--boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    report.set_defaults(func=_report)


def _run(args: argparse.Namespace) -> int:
    from designspace.calibration.plan import load_plan  # deferred: loads pandas and the study stack
    from designspace.calibration.run import run_plan  # deferred: loads pandas and the study stack
    from designspace.study.worker import stop_on_signals  # deferred: loads the study stack

    plan = load_plan(args.plan)
    if args.threads < 1:
        raise ValueError(f"--threads {args.threads}: must be at least 1")
    restore = stop_on_signals()
    try:
        ran = run_plan(
            plan,
            args.part,
            device=args.device,
            threads=args.threads,
            say=lambda m: print(m, file=sys.stderr, flush=True),
            max_trainings=args.max_trainings,
        )
    finally:
        restore()
    print(f"calibrate run: {ran} trial(s) run by this worker", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    from designspace.calibration.plan import load_plan  # deferred: loads pandas and the study stack
    from designspace.calibration.report import collect  # deferred: loads pandas and the study stack
    from designspace.calibration.run import pending  # deferred: loads pandas and the study stack

    plan = load_plan(args.plan)
    left = pending(plan, ["reference", "protocols"])
    frame = collect(plan)
    hours = 0.0
    for name, n in left.items():
        total = plan.size() * plan.replicates_of(name)
        done = frame[frame["protocol"] == name]["cpu_seconds"].dropna() if not frame.empty else []
        each = float(done.median()) if len(done) else None
        hours += n * (each or 0.0) / 3600
        cost = f"{each:5.0f} core-s each (median so far)" if each else "   no training yet"
        print(f"{name:12s} {total - n:4d}/{total} trainings done, {cost}")
    unknown = [k for k, n in left.items() if n and (frame.empty or not (frame["protocol"] == k).any())]
    print(
        f"left: {sum(left.values())} trainings, {hours:.1f} core-hours at the medians so far"
        + (f" + {', '.join(unknown)} (no training yet)" if unknown else "")
    )
    return 0


def _report(args: argparse.Namespace) -> int:
    from designspace.calibration.plan import load_plan  # deferred: loads pandas and the study stack
    from designspace.calibration.report import write_report  # deferred: loads pandas and the study stack

    plan = load_plan(args.plan)
    out = write_report(plan, args.out or f"results/calibration/{plan.name}", n_boot=args.boot)
    print(out.read_text())
    return 0
