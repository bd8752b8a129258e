"""Study throughput on this machine: worker scaling and the study's overhead over training.

Runs the same population study (CIFAR-10 subset, AnyNetX-A 4-8 MF at 32 px, a fixed training
time per trial) twice with ``designspace study run``: with 1 worker (K trials) and with 2 workers
(2K trials), one thread per worker, and prints JSON:

* ``scaling``: trials per hour with 2 workers / with 1 worker (2.0 is perfect on 2 idle cores);
* ``efficiency``: the sum of the trials' training-loop seconds / (wall seconds x workers), for the
  whole command (start-up, data loading and the final CSV/plot included) and for the study's span
  (first trial start to last trial end); the target is >= 0.9 with 30-second trials;
* the machine's load average before and after (the CPUs may be shared: compare ratios only).

    python benchmarks/bench_study.py                 # 30 s trials, K=4: about 5 minutes
    python benchmarks/bench_study.py --seconds 5 --trials 2   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """
[study]
name = "bench"
trials = {trials}
seed = {seed}

[space]
name = "anynetx_a"
flops = "4M:8M"

[data]
name = "{dataset}"
train_subset = 4000
test_subset = 1000

[budget]
seconds = {seconds}
"""


def run_study(tmp: Path, workers: int, trials: int, seconds: float, dataset: str, seed: int) -> dict:
    """One ``study run`` in a fresh storage; wall time, trial times and throughput."""
    from designspace.study.join import open_existing

    folder = tmp / f"w{workers}"
    folder.mkdir()
    config = folder / "bench.toml"
    config.write_text(CONFIG.format(trials=trials, seconds=seconds, dataset=dataset, seed=seed))
    url = f"sqlite:///{folder / 'bench.db'}"
    cmd = [sys.executable, "-c", "from designspace.cli import entry; entry()", "study", "run", str(config)]
    cmd += ["--storage", url, "--workers", str(workers), "--threads", "1", "--results", str(folder), "--no-progress"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"study run failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    trials_done = [t for t in open_existing(url, "bench").trials() if t.state.name == "COMPLETE"]
    train = sum(float(t.user_attrs["seconds"]) for t in trials_done)
    total = sum(float(t.user_attrs.get("total_seconds", t.user_attrs["seconds"])) for t in trials_done)
    span = (max(t.datetime_complete for t in trials_done) - min(t.datetime_start for t in trials_done)).total_seconds()
    return {
        "workers": workers,
        "trials": len(trials_done),
        "wall_seconds": round(wall, 1),
        "span_seconds": round(span, 1),
        "train_seconds": round(train, 1),
        "train_call_seconds": round(total, 1),
        "trials_per_hour": round(3600 * len(trials_done) / wall, 1),
        "trials_per_hour_span": round(3600 * len(trials_done) / span, 1),
        "efficiency": round(train / (wall * workers), 3),
        "efficiency_span": round(train / (span * workers), 3),
        "overhead_seconds_per_trial": round((span * workers - train) / len(trials_done), 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=30.0, help="training seconds per trial (default 30)")
    p.add_argument("--trials", type=int, default=4, help="trials of the 1-worker run, K (default 4)")
    p.add_argument("--dataset", default="cifar10", help="default cifar10 (synthetic for a machine without it)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        one = run_study(Path(tmp), 1, args.trials, args.seconds, args.dataset, args.seed)
        two = run_study(Path(tmp), 2, 2 * args.trials, args.seconds, args.dataset, args.seed)
    print(
        json.dumps(
            {
                "benchmark": "study",
                "config": {"seconds_per_trial": args.seconds, "k": args.trials, "dataset": args.dataset},
                "cpus": len(os.sched_getaffinity(0)),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "one_worker": one,
                "two_workers": two,
                "scaling": round(two["trials_per_hour"] / one["trials_per_hour"], 3),
                "scaling_span": round(two["trials_per_hour_span"] / one["trials_per_hour_span"], 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
