"""Benchmark: anytime search -- best error found against core-seconds spent, with and without pruning.

    python benchmarks/bench_anytime.py [--budget 150] [--seeds 0 1 2] [--out results/search/anytime]

Each (method, seed) is one search study run by the real worker (``designspace.study.worker.run_worker``,
one trial at a time, in a fresh process with one torch thread, on the CPU) on a small problem: AnyNetX-A
at 32 px in a 1-3 MF regime, trained 2 epochs on a fixed 2000-image CIFAR-10 subset and scored on 500
test images (one full training: ~4-9 core-seconds here). Methods: ``random`` (uniform draws from the
regime), ``tpe`` (the study's multivariate TPE proposals) and ``tpe+hyperband`` (the same, with
``pruner = "hyperband"``: 2 reports per epoch, so 4 per training, reduction factor 2). Every run stops
after the trial that crosses ``--budget`` core-seconds (CPU time of the worker process after its data
are loaded: training, evaluations, proposals and storage all count).

Printed (and written to OUT.json, with the plot OUT.png): per run the trace (cumulative core-seconds,
best complete error so far after each trial); per method the median best error over seeds (and its
range) on a grid of core-seconds; and the baseline-relative figure: the core-seconds each method's median
curve needs to reach the random search's final median best error, and random's core-seconds over it
(``speedup_vs_random``; > 1: reaches random's end result sooner). The methods run
the three methods of a seed side by side (three processes at once), then the next seed, so that a
load change on a shared machine touches all of them alike.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METHODS = {"random": ("random", "none"), "tpe": ("tpe", "none"), "tpe+hyperband": ("tpe", "hyperband")}


def _config(method: str, seed: int, args: argparse.Namespace):  # -> StudyConfig
    from designspace.study.config import StudyConfig

    sampler, pruner = METHODS[method]
    pruning = ()
    if pruner != "none":
        pruning = (("reports_per_epoch", args.reports_per_epoch), ("reduction_factor", args.eta))
    return StudyConfig(
        name=f"{method.replace('+', '-')}-{seed}",
        space=args.space,
        trials=args.max_trials,
        mode="search",
        sampler=sampler,
        seed=seed,
        flops=tuple(args.flops),
        dataset="cifar10",
        data_dir=args.data_dir,
        train_subset=args.train_subset,
        test_subset=args.test_subset,
        epochs=args.epochs,
        pruner=pruner,
        pruning=pruning,
        heartbeat_interval=60.0,
        grace_period=3600.0,
    )


def one_run(method: str, seed: int, args: argparse.Namespace) -> dict:
    """One search until ``args.budget`` core-seconds; the trace of the best complete error."""
    import optuna

    from designspace.study.join import open_existing
    from designspace.study.objective import TrainObjective
    from designspace.study.worker import run_worker
    from designspace.train.device import select_device, select_precision

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    config = _config(method, seed, args)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/study.db"
        objective = TrainObjective(config, device="cpu", threads=1)
        objective.prepare()  # data loading: before the clock
        start = time.process_time()
        trace, seen, best = [], set(), float("inf")
        states: dict[str, int] = {}
        reasons: list[str] = []  # of FAIL trials (none expected)
        while time.process_time() - start < args.budget:
            run_worker(config, url, objective=objective, max_trials=1, poll=0.05, on_event=lambda m: None)
            spent = time.process_time() - start
            handle = open_existing(url, config.name)
            for t in handle.trials():
                if t.number in seen or t.state.name in ("WAITING", "RUNNING"):
                    continue
                seen.add(t.number)
                states[t.state.name] = states.get(t.state.name, 0) + 1
                if t.state.name == "FAIL":
                    reasons.append(str(t.user_attrs.get("reason", "")))
                if t.state.name == "COMPLETE" and t.value is not None:
                    best = min(best, float(t.value))
            trace.append((round(spent, 3), best if np.isfinite(best) else None))
            if len(seen) >= config.trials:
                break
        precision = select_precision(objective.recipe.precision, select_device("cpu"))  # what "auto" trained in
    run = {"method": method, "seed": seed, "trace": trace, "states": states, "fail_reasons": reasons}
    return {**run, "precision": precision}


def _curve(trace: list, grid: np.ndarray) -> np.ndarray:
    """Best error found by each grid point of core-seconds (NaN before the first complete trial)."""
    out = np.full(len(grid), np.nan)
    for spent, best in trace:
        if best is not None:
            out[grid >= spent] = np.fmin(out[grid >= spent], best)
    return out


def _time_to(curve: np.ndarray, grid: np.ndarray, target: float) -> float | None:
    hit = np.nonzero(curve <= target + 1e-9)[0]
    return float(grid[hit[0]]) if len(hit) else None


def summarize(runs: list[dict], budget: float) -> dict:
    grid = np.linspace(0.0, budget, 181)
    methods: dict[str, dict] = {}
    for method in METHODS:
        mine = [r for r in runs if r["method"] == method]
        if not mine:
            continue
        curves = np.array([_curve(r["trace"], grid) for r in mine])
        with np.errstate(all="ignore"):
            methods[method] = {
                "median": np.nanmedian(curves, axis=0).tolist() if len(mine) else [],
                "low": np.nanmin(curves, axis=0).tolist(),
                "high": np.nanmax(curves, axis=0).tolist(),
                "final_best": [float(c[-1]) for c in curves],
                "trials": [sum(r["states"].values()) for r in mine],
                "pruned": [r["states"].get("PRUNED", 0) for r in mine],
            }
    out: dict = {"grid_core_seconds": grid.tolist(), "methods": methods}
    if "random" in methods:
        target = methods["random"]["median"][-1]
        t_random = _time_to(np.array(methods["random"]["median"]), grid, target)
        out["target_error"] = target
        out["core_seconds_to_target"] = {}
        out["speedup_vs_random"] = {}
        for method, m in methods.items():
            t = _time_to(np.array(m["median"]), grid, target)
            out["core_seconds_to_target"][method] = t
            out["speedup_vs_random"][method] = (t_random / t) if t and t_random else None
    return out


def plot(summary: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.array(summary["grid_core_seconds"])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for method, m in summary["methods"].items():
        (line,) = ax.plot(grid, m["median"], label=f"{method} (median of {len(m['final_best'])})")
        ax.fill_between(grid, m["low"], m["high"], color=line.get_color(), alpha=0.15, linewidth=0)
    if summary.get("target_error") is not None:
        ax.axhline(summary["target_error"], color="grey", linestyle=":", linewidth=1, label="random's final median")
    ax.set_xlabel("cumulative core-seconds (worker CPU time)")
    ax.set_ylabel("best test error found (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _cpu() -> str:
    from designspace.train.device import cpu_model

    return cpu_model()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=150.0, help="core-seconds per run")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--space", default="anynetx_a")
    ap.add_argument("--flops", type=float, nargs=2, default=[1e6, 3e6])
    ap.add_argument("--data-dir", default="/work/shared/data")
    ap.add_argument("--train-subset", type=int, default=2000)
    ap.add_argument("--test-subset", type=int, default=500)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--reports-per-epoch", type=int, default=2)
    ap.add_argument("--eta", type=int, default=2, help="hyperband's reduction factor")
    ap.add_argument("--max-trials", type=int, default=200, help="each study's trial budget (a cap)")
    ap.add_argument("--out", default="results/search/anytime", help="OUT.json and OUT.png")
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one_run(args.one[0], int(args.one[1]), args)))
        return 0
    passthrough = [a for a in (argv if argv is not None else sys.argv[1:])]
    runs = []
    t0 = time.time()
    for seed in args.seeds:  # the methods of one seed side by side: the same load on each
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, *passthrough, "--one", method, str(seed)], stdout=subprocess.PIPE, text=True
            )
            for method in args.methods
        ]
        for method, proc in zip(args.methods, procs):
            stdout, _ = proc.communicate()
            if proc.returncode:
                raise SystemExit(f"{method} seed {seed} failed (exit {proc.returncode})")
            runs.append(json.loads(stdout.strip().splitlines()[-1]))
            print(f"{method} seed {seed}: {runs[-1]['states']}, best {runs[-1]['trace'][-1][1]}", file=sys.stderr)
    summary = summarize(runs, args.budget)
    out = {
        "cpu": _cpu(),
        "machine": platform.machine(),
        "precision": sorted({r["precision"] for r in runs}),
        "threads": 1,
        "setup": {k: v for k, v in vars(args).items() if k not in ("one", "out")},
        "wall_seconds": round(time.time() - t0, 1),
        "target_error": summary.get("target_error"),
        "core_seconds_to_target": summary.get("core_seconds_to_target"),
        "speedup_vs_random": summary.get("speedup_vs_random"),
        "final_best": {m: s["final_best"] for m, s in summary["methods"].items()},
        "trials": {m: s["trials"] for m, s in summary["methods"].items()},
        "pruned": {m: s["pruned"] for m, s in summary["methods"].items()},
        "summary": summary,
        "runs": runs,
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    title = (
        f"{args.space} {args.flops[0] / 1e6:g}-{args.flops[1] / 1e6:g} MF, CIFAR-10 {args.train_subset} imgs x"
        f" {args.epochs:g} ep, {out['cpu']}, {'/'.join(out['precision'])}, 1 thread"
    )
    plot(summary, path.with_suffix(".png"), title)
    print(json.dumps({k: v for k, v in out.items() if k not in ("summary", "runs")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
