"""Benchmark: the study storage under many workers with near-zero-cost trials (issue 27), before/after.

    python benchmarks/bench_storage.py --before /tmp/h4_before [--after TREE] [--out FILE]
    python benchmarks/bench_storage.py --quick     # a few seconds' look, this tree only (the test runs it)

For each storage (``sqlite``, ``postgres``, and ``grpc+sqlite`` / ``grpc+postgres``: Optuna's gRPC
proxy, ``designspace storage serve``, in front of it) and each worker count, one cell
(:mod:`storage_fleet`, a fresh process importing ``designspace`` from the tree under test) creates
a study with ``--prefill`` COMPLETE trials (10,000 by default) and ``--open`` WAITING slots, forks
the workers (the real worker loop, ``run_worker``, with an objective that returns at once) and
measures over ``--window`` seconds: trials/s, SQL statements per trial and per second (every
process's, the proxy's included), worker CPU seconds per trial. The ``idle`` cell holds every slot
RUNNING (by nobody), so ``--idle-workers`` workers only poll: their CPU as % of one core.

With ``--before TREE`` every cell runs for both trees back to back (before, then after: the CPU
may be shared, so compare ratios), and the JSON has both and ``after / before`` per figure. A
tree whose storage URLs lack ``grpc://`` gets no grpc cells. PostgreSQL: ``--postgres URL``
(default ``$DESIGNSPACE_BENCH_POSTGRES``) names a database the benchmark owns: its Optuna
tables are emptied before each cell. Without one the postgres cells are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLEET = HERE / "storage_fleet.py"
DEFAULTS = {  # full run, --quick
    "storages": ("sqlite,postgres,grpc+sqlite,grpc+postgres", "sqlite"),
    "workers": ("1,4,8,16,64", "2"),
    "idle_workers": (16, 2),
    "prefill": (10_000, 300),
    "open": (1500, 100),
    "window": (12.0, 1.5),
}
POSTGRES_HELP = (
    "an administration database URL of a role with CREATEDB (default $DESIGNSPACE_BENCH_POSTGRES): the "
    "benchmark creates and drops its databases designspace_bench_PID_* there; without it no postgres cells"
)
FIGURES = ("trials_per_s", "sql_per_trial", "sql_per_s", "worker_cpu_s_per_trial", "worker_cpu_pct_of_one_core")


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
        flags = next((line for line in out.splitlines() if line.startswith("Flags")), "")
        return model + (" (AVX512-BF16)" if "avx512_bf16" in flags else "")
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown"


def supports_grpc(tree: Path) -> bool:
    return (tree / "designspace" / "study" / "grpc_proxy.py").is_file() and "grpc://" in (
        tree / "designspace" / "study" / "storage.py"
    ).read_text()


def run_cell(tree: Path, spec: dict, timeout: float) -> dict:
    """One storage_fleet.py run with ``designspace`` imported from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "DESIGNSPACE_NO_DOWNLOAD": "1"}
    with tempfile.TemporaryDirectory(prefix="bench_storage_") as tmp:
        spec = {"dir": tmp, **spec}
        start = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, str(FLEET), json.dumps(spec)],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        err = proc.stderr.strip().splitlines()
        return {"error": f"exit {proc.returncode}: {err[-1] if err else ''}"}
    out = json.loads(lines[-1])
    if Path(out["designspace"]).resolve() != tree.resolve():
        return {"error": f"imported designspace from {out['designspace']}, not {tree}"}
    out["cell_s"] = round(time.monotonic() - start, 1)
    return out


def ratios(before: dict, after: dict) -> dict:
    out = {}
    for key in (*FIGURES, "server_cpu_pct_of_one_core"):
        b, a = before.get(key), after.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
            out[key] = round(a / b, 3)
    return out


def checks(cells: dict, tree: str) -> dict:
    """Issue 27's done-when figures for one tree (None where not measured)."""

    def fig(storage: str, workers: str, key: str):  # noqa: ANN202
        return cells.get(storage, {}).get(workers, {}).get(tree, {}).get(key)

    out = {}
    for storage in cells:
        one, eight = fig(storage, "1", "trials_per_s"), fig(storage, "8", "trials_per_s")
        sql = [fig(storage, w, "sql_per_trial") for w in cells[storage] if w != "idle"]
        sql = [s for s in sql if s is not None]
        idle = fig(storage, "idle", "worker_cpu_pct_of_one_core")
        out[storage] = {
            "max_sql_per_trial": max(sql) if sql else None,
            "sql_per_trial_le_15": max(sql) <= 15 if sql else None,
            "eight_workers_ge_one": (eight >= one) if one is not None and eight is not None else None,
            "idle_cpu_pct_of_one_core": idle,
            "idle_under_10pct": idle < 10 if idle is not None else None,
        }
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--after", default=str(HERE.parent), help="the tree measured as 'after' (default: this one)")
    p.add_argument("--before", help="a checkout of the old code, measured in the same run")
    p.add_argument("--storages", help="default: sqlite,postgres,grpc+sqlite,grpc+postgres (--quick: sqlite)")
    p.add_argument("--workers", help="worker counts, comma-separated (default 1,4,8,16,64; --quick: 2)")
    p.add_argument("--idle-workers", type=int, help="workers of the idle cell (default 16; --quick: 2; 0: none)")
    p.add_argument("--prefill", type=int, help="COMPLETE trials in the study (default 10,000; --quick: 300)")
    p.add_argument("--open", type=int, help="WAITING slots the workers may claim (default 1,500; --quick: 100)")
    p.add_argument("--window", type=float, help="seconds measured per cell (default 12; --quick: 1.5)")
    p.add_argument("--warmup-max", type=float, default=90.0, help="at most this long for every worker to start")
    p.add_argument("--stop-grace", type=float, default=30.0, help="seconds from SIGTERM to SIGKILL of a cell's workers")
    p.add_argument("--min-free-gib", type=float, default=3.0, help="a cell stops early when less memory is left")
    p.add_argument("--postgres", default=os.environ.get("DESIGNSPACE_BENCH_POSTGRES"), help=POSTGRES_HELP)
    p.add_argument("--quick", action="store_true", help="a few seconds' look (other defaults)")
    p.add_argument("--out", help="also write the JSON here")
    args = p.parse_args(argv)
    for key, (full, quick) in DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    trees = {"after": Path(args.after).resolve()}
    if args.before:
        trees = {"before": Path(args.before).resolve(), **trees}
    for name, tree in trees.items():
        if not (tree / "designspace" / "__init__.py").is_file():
            raise SystemExit(f"bench_storage: --{name} {tree}: no designspace package there")
    storages = [s for s in args.storages.split(",") if s]
    if not args.postgres:
        storages = [s for s in storages if not s.endswith("postgres")]
    counts = [*args.workers.split(","), *(["idle"] if args.idle_workers else [])]
    cells: dict = {}
    started = time.monotonic()
    templates = Path(tempfile.mkdtemp(prefix="bench_storage_templates_"))
    built: dict = {}
    timeout = args.warmup_max + args.window + 2 * args.stop_grace + 240
    uses = Counter(
        (name, s.removeprefix("grpc+"), w == "idle")
        for s in storages
        for w in counts
        for name, tree in trees.items()
        if not s.startswith("grpc") or supports_grpc(tree)
    )
    for storage in storages:
        for workers in counts:
            row = cells.setdefault(storage, {}).setdefault(workers, {})
            for name, tree in trees.items():
                if storage.startswith("grpc") and not supports_grpc(tree):
                    row[name] = {"error": "no grpc:// storage in this tree"}
                    continue
                kind, idle = storage.removeprefix("grpc+"), workers == "idle"
                spec = {
                    "storage": kind,
                    "grpc": storage.startswith("grpc"),
                    "postgres": args.postgres,
                    "workers": args.idle_workers if workers == "idle" else int(workers),
                    "idle": workers == "idle",
                    "prefill": args.prefill,
                    "open": args.open,
                    "window": args.window,
                    "warmup_max": args.warmup_max,
                    "stop_grace": args.stop_grace,
                    "min_free_gib": args.min_free_gib,
                    "templates": str(templates),
                    "template": f"designspace_bench_{os.getpid()}_{name}_{'idle' if idle else 'busy'}",
                }
                key = (name, kind, idle)
                if key not in built and uses[key] > 1:  # the study, once per tree and kind: cells copy it
                    built[key] = run_cell(tree, {**spec, "build": "only", "dir": str(templates)}, timeout)
                    if "error" in built[key]:
                        row[name] = {"error": f"prefill: {built[key]['error']}"}
                        continue
                elif key not in built:  # its only cell builds it in the same process
                    spec["build"], built[key] = "then measure", {}
                row[name] = run_cell(tree, spec, timeout=timeout)
                print(f"bench_storage: {storage} {workers} {name}: {row[name]}", file=sys.stderr, flush=True)
            if "before" in row and "error" not in row["before"] and "error" not in row.get("after", {"error": 1}):
                row["after_over_before"] = ratios(row["before"], row["after"])
    result = {
        "benchmark": "bench_storage",
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "command": "python benchmarks/bench_storage.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "trees": {k: str(v) for k, v in trees.items()},
        "settings": {
            "prefill": args.prefill,
            "open": args.open,
            "window_s": args.window,
            "idle_workers": args.idle_workers,
            "warmup_max_s": args.warmup_max,
            "poll_s": 1.0,
            "storages": storages,
        },
        "cells": cells,
        "issue27": {name: checks(cells, name) for name in trees},
        "prefill_s": {f"{t} {k} {'idle' if i else 'busy'}": v.get("prefill_s") for (t, k, i), v in built.items()},
        "total_s": round(time.monotonic() - started, 1),
    }
    shutil.rmtree(templates, ignore_errors=True)
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    print(text)
    return result


if __name__ == "__main__":
    main()
