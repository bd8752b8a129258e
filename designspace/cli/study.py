"""``designspace study run|worker|status|export``: studies of many trained models (Optuna storage).

run CONFIG      N workers on this machine with a progress bar; resumable; ends with the EDF plot
worker CONFIG   one worker (start N copies anywhere on one --storage: SLURM, Kubernetes, ssh)
submit CONFIG   N workers as a SLURM job array (submitit; [cluster] table or flags)
status [STUDY]  counts per state, best trials, throughput
export STUDY    one row per trial as .csv or .parquet
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from designspace.cli import main
from designspace.cli.command import add_command

STORAGE_HELP = "sqlite:///FILE.db (default: results/STUDY.db), postgresql://USER:PASS@HOST/DB or journal:PATH"


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "study", __doc__, raw=True)
    ss = p.add_subparsers(dest="study_command", metavar="ACTION")
    ss.required = True

    r = ss.add_parser("run", help="run a study's trials with N local workers (resumable)")
    r.add_argument("config", help="the study's TOML file (e.g. experiments/quickstart.toml)")
    r.add_argument("--storage", help=STORAGE_HELP)
    r.add_argument("--workers", type=int, help="worker processes (default: one per core on CPU, one per GPU)")
    r.add_argument("--trials", type=int, help="the study's budget (overrides study.trials; can only grow)")
    _add_where(
        r,
        device="default: cuda if present",
        threads="torch threads per CPU worker (default: cores / workers)",
        results="folder for the default storage, CSV and plot",
    )
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(func=run_run)

    w = ss.add_parser("worker", help="run trials of a study until its budget is met (start many)")
    w.add_argument("config", help="the study's TOML file")
    w.add_argument("--storage", help=STORAGE_HELP)
    _add_where(w, threads="torch threads (default: torch's)")
    w.add_argument("--quiet", action="store_true", help="no line per trial")
    w.set_defaults(func=run_worker)

    b = ss.add_parser("submit", help="N workers as a SLURM job array (submitit; [cluster] in the TOML)")
    b.add_argument("config", help="the study's TOML file (on a file system the compute nodes share)")
    b.add_argument("--storage", help=STORAGE_HELP + "; one every node reaches")
    b.add_argument("--workers", type=int, help="array size: worker tasks (cluster.workers)")
    b.add_argument("--partition", help="SLURM partition (cluster.partition)")
    b.add_argument("--time", type=int, help="minutes per worker (cluster.time)")
    b.add_argument("--gpus", type=int, help="GPUs per worker (cluster.gpus_per_worker)")
    b.add_argument("--cpus", type=int, help="cores per worker, its torch threads (cluster.cpus_per_worker)")
    b.add_argument("--mem-gb", type=float, help="memory per worker (cluster.mem_gb)")
    b.add_argument("--folder", help="submitit's scripts and logs (cluster.folder)")
    b.add_argument(
        "--cluster",
        default="auto",
        choices=("auto", "slurm", "local"),
        help="slurm, local (processes on this machine) or auto (default: slurm where sbatch exists)",
    )
    _add_where(b)
    b.add_argument("--wait", action="store_true", help="wait for every worker; exit 1 if one failed")
    b.set_defaults(func=run_submit)

    s = ss.add_parser("status", help="a study's progress, best trials and throughput")
    _add_studies(s, "?", "study name or TOML file (default: list the storage's studies)")
    s.add_argument("--top", type=int, default=5, help="best trials to show")
    s.add_argument("--json", action="store_true", help="one JSON object")
    s.set_defaults(func=run_status)

    e = ss.add_parser("export", help="one row per trial (the analysis input) as .csv or .parquet")
    _add_studies(e, "+", "study names (or TOML files)")
    e.add_argument("--out", required=True, help="FILE.csv or FILE.parquet")
    e.set_defaults(func=run_export)


def _add_where(
    p: argparse.ArgumentParser,
    *,
    device: str | None = None,
    threads: str | None = None,
    results: str = "folder for the default storage",
) -> None:
    """``--device``, ``--threads`` (when it has a help line) and ``--results``: where workers train and write."""
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help=device)
    if threads is not None:
        p.add_argument("--threads", type=int, help=threads)
    p.add_argument("--results", default="results", help=results)


def _add_studies(p: argparse.ArgumentParser, nargs: str, what: str) -> None:
    """The studies a command reads (names or TOML files), ``--storage`` and ``--results``."""
    p.add_argument("study", nargs=nargs, help=what)
    p.add_argument("--storage", help=STORAGE_HELP)
    p.add_argument("--results", default="results", help="folder of the default storage")


def _storage_for(args: argparse.Namespace, name: str, config_storage: str | None = None) -> str:
    from designspace.study.storage import default_url, parse_url  # deferred: loads numpy

    url = args.storage or config_storage or default_url(name, args.results)
    return parse_url(url).url


def _name_and_storage(args: argparse.Namespace, study: str) -> tuple[str, str]:
    """A study argument is a name or a TOML file (then its name and storage)."""
    if study.endswith(".toml"):
        from designspace.study.config import load_config  # deferred: loads numpy

        config = load_config(study)
        return config.name, _storage_for(args, config.name, config.storage)
    return study, _storage_for(args, study)


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def _open_for_run(args: argparse.Namespace):  # -> (config, url, handle)
    """The command's study: its TOML file checked, its data present, the study created or joined."""
    from designspace.study.config import load_config  # deferred: loads numpy
    from designspace.study.objective import check_config, ensure_data  # deferred: loads numpy
    from designspace.study.worker import open_study  # deferred: loads numpy

    _quiet_optuna()
    config = load_config(args.config, trials=getattr(args, "trials", None))
    check_config(config)
    ensure_data(config)
    url = _storage_for(args, config.name, config.storage)
    handle = open_study(config, url)
    if config.source:  # keep the local path for messages
        handle.config = replace(handle.config, source=config.source)
    return config, url, handle


def run_run(args: argparse.Namespace) -> int:
    from designspace.study.runner import plan_run, run_study  # deferred: loads numpy
    from designspace.study.worker import stop_on_signals  # deferred: loads numpy

    config, url, handle = _open_for_run(args)
    ledger = handle.ledger()
    say = _say
    remaining = ledger.budget - len(ledger.settled)
    if handle.created:
        say(f"study {config.name}: created in {handle.url.display} ({config.mode}, {ledger.budget} trials)")
    elif remaining:
        say(f"study {config.name}: resuming in {handle.url.display}: {len(ledger.settled)}/{ledger.budget} done")
    if remaining:
        plan = plan_run(args.device, args.workers, args.threads, remaining)
        threads = f", {plan.threads} thread(s) each" if plan.threads else ""
        say(f"{plan.workers} worker(s) on {plan.device}{threads}")
        restore = stop_on_signals()
        try:
            code = run_study(handle.config, url, plan, handle, progress=not args.no_progress, say=say)
        finally:
            restore()
        if code:
            return code
    else:
        say(f"study {config.name}: already complete ({ledger.budget} trials) in {handle.url.display}")
    return _finish(handle, Path(args.results))


def _finish(handle, results: Path) -> int:  # noqa: ANN001
    from designspace.study.export import trials_frame, write_frame  # deferred: loads numpy
    from designspace.study.status import render_status, study_summary  # deferred: loads optuna

    print(render_status(study_summary(handle)))
    frame = trials_frame(handle.url.url, [handle.name])
    results.mkdir(parents=True, exist_ok=True)  # the run's own results directory (export makes none)
    csv = write_frame(frame, results / f"{handle.name}.csv")
    print(f"trials: {csv}")
    if handle.config.mode == "paired":  # values are paired differences, not errors: no error EDF
        print(f"paired differences: designspace analyze {handle.name} --storage {handle.url.display}")
        return 0
    failed = sum(1 for t in handle.ledger().settled.values() if t.state.name == "FAIL")
    plot = _edf_plot(frame, handle.name, results, failed)
    print(f"EDF plot: {plot}" if plot else "EDF plot: not drawn (it needs 2+ complete trials)")
    return 0


def _edf_plot(frame, name: str, results: Path, failed: int) -> Path | None:  # noqa: ANN001
    """The study's error EDF (None when :mod:`designspace.analysis` is missing or < 2 complete)."""
    try:
        from designspace.study.plot import edf_plot  # deferred: loads numpy

        return edf_plot(frame, name, results, failed=failed)
    except ImportError:
        return None


def run_worker(args: argparse.Namespace) -> int:
    from designspace.study.objective import DeviceFault  # deferred: loads numpy
    from designspace.study.runner import DEVICE_FAULT_EXIT  # deferred: loads numpy
    from designspace.study.worker import run_worker as work  # deferred: loads numpy
    from designspace.study.worker import stop_on_signals  # deferred: loads numpy

    config, url, handle = _open_for_run(args)
    restore = stop_on_signals()
    try:
        on_event = (lambda m: None) if args.quiet else _say
        report = work(handle.config, url, handle=handle, device=args.device, threads=args.threads, on_event=on_event)
    except KeyboardInterrupt:
        _say(
            f"interrupted; the running trial is re-queued; resume with: designspace study worker {args.config}"
            f" --storage {handle.url.display}"
        )
        return 130
    except DeviceFault as e:  # this process cannot use the GPU again; a new one can
        _say(
            f"device fault: {e}; the trial is re-queued; start the worker again: designspace study worker"
            f" {args.config} --storage {handle.url.display}"
        )
        return DEVICE_FAULT_EXIT
    finally:
        restore()
    ledger = handle.ledger()
    _say(
        f"worker done: ran {report.ran} trial(s), re-queued {report.lost_marked} lost; "
        f"study {handle.name}: {len(ledger.settled)}/{ledger.budget} with a result"
    )
    return 0


def run_submit(args: argparse.Namespace) -> int:
    from designspace.study.submit import resolve_cluster, submit_workers, worker_argv  # deferred: loads numpy

    config, url, handle = _open_for_run(args)  # created now: errors here, not in N array tasks
    flags = dict(workers=args.workers, partition=args.partition, time=args.time, gpus_per_worker=args.gpus)
    flags.update(cpus_per_worker=args.cpus, mem_gb=args.mem_gb, folder=args.folder)
    spec = config.cluster_spec().overridden(**flags)  # a bad flag's error names its cluster.KEY (see --help)
    cluster = resolve_cluster(args.cluster)
    if handle.url.kind == "sqlite" and cluster != "local":
        _say(f"warning: {handle.url.display} is a SQLite file: workers on other nodes need postgresql:// or journal:")
    threads = spec.cpus_per_worker
    argv = worker_argv(args.config, handle.url.url, device=args.device, threads=threads, results=args.results)
    submission = submit_workers(spec, config.name, argv, main, cluster=cluster)
    _say(
        f"study {config.name}: {spec.workers} worker(s) submitted ({submission.cluster}), jobs"
        f" {', '.join(submission.job_ids)}; logs in {submission.folder}; progress: designspace study status"
        f" {config.name} --storage {handle.url.display}"
    )
    codes = submission.wait() if args.wait else []
    submission.jobs.clear()  # submitit's job objects clean up now, not at interpreter exit (noise there)
    if not args.wait:
        return 0
    ledger = handle.ledger()
    _say(f"workers ended {codes}; study {config.name}: {len(ledger.settled)}/{ledger.budget} with a result")
    return 0 if all(c == 0 for c in codes) else 1


def run_status(args: argparse.Namespace) -> int:
    from designspace.study.join import open_existing  # deferred: loads numpy
    from designspace.study.status import list_studies, render_status, study_summary  # deferred: loads optuna

    _quiet_optuna()
    if args.study is None:
        if not args.storage:
            raise ValueError("give a STUDY (name or TOML file) or --storage URL to list its studies")
        rows = list_studies(_storage_for(args, ""))
        if args.json:
            print(json.dumps(rows))
            return 0
        if not rows:
            print("no studies")
        for r in rows:
            budget = f"{r['settled']}/{r['budget']}" if r["budget"] else f"{r['trials']} trials"
            print(f"{r['study']:<24} {r['mode']:<10} {r['space']:<16} {budget:>9}  running {r['running']}")
        return 0
    name, url = _name_and_storage(args, args.study)
    summary = study_summary(open_existing(url, name), top=args.top)
    print(json.dumps(summary) if args.json else render_status(summary))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from designspace.study.export import trials_frame, write_frame  # deferred: loads numpy

    _quiet_optuna()
    pairs = [_name_and_storage(args, s) for s in args.study]
    urls = {u for _, u in pairs}
    if len(urls) > 1:
        raise ValueError("the studies live in different storages; give --storage")
    frame = trials_frame(urls.pop(), [n for n, _ in pairs])
    out = write_frame(frame, args.out)
    print(f"{len(frame)} trials -> {out}")
    return 0


def _say(text: str) -> None:
    """A timestamped line on stderr (a log file says when each thing happened)."""
    from designspace.study.logline import stamped  # deferred: loads numpy

    print(stamped(text), file=sys.stderr, flush=True)
