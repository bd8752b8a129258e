"""Benchmark: how long a `study run` worker takes to start, against the floor a worker cannot beat.

    python benchmarks/bench_worker_start.py [--rounds 3] [--code DIR]

(a) ``designspace study run`` (started from a script file, as the console script is, so a spawned
worker re-imports it as its main module) on a 1-trial synthetic study with one worker: the start
latency is the trial's start time minus the study's creation time (spawn, imports, data, claim);
(b) the floor, measured in the same run: a fresh ``python`` that imports torch and optuna and takes
one SGD step (what any worker must do before its first trial). Rounds alternate (a) and (b); prints
one JSON object with every round, the medians and ``start_over_floor``. ``--code DIR`` puts DIR first
on PYTHONPATH (e.g. a copy of an older ``designspace/`` to compare against).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """
[study]
name = "start"
trials = 1
[space]
name = "anynetx_a"
flops = "1M:3M"
[data]
name = "synthetic:train=128,test=64"
[budget]
epochs = 0.5
[train]
batch_size = 64
"""
ENTRY = "import sys\nfrom designspace.cli import entry\nif __name__ == '__main__':\n    sys.exit(entry())\n"  # as pip's
FLOOR = (
    "import torch, optuna\n"
    "m = torch.nn.Linear(4, 4); o = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True)\n"
    "m(torch.randn(2, 4)).sum().backward(); o.step()\n"
)


def worker_start(env: dict[str, str]) -> float:
    import optuna

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "start.toml").write_text(CONFIG)
        (folder / "entry.py").write_text(ENTRY)
        url = f"sqlite:///{folder / 'study.db'}"
        args = ["study", "run", str(folder / "start.toml"), "--storage", url, "--workers", "1", "--threads", "1"]
        subprocess.run(
            [sys.executable, str(folder / "entry.py"), *args, "--results", tmp, "--no-progress"],
            env=env,
            check=True,
            capture_output=True,
        )
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = optuna.storages.get_storage(url)
        study_id = storage.get_study_id_from_name("start")
        created = float(storage.get_study_system_attrs(study_id)["designspace:created"])
        (trial,) = storage.get_all_trials(study_id)
        return trial.datetime_start.timestamp() - created


def floor(env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR], env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--code", help="a folder holding designspace/ to run instead of the installed one")
    args = ap.parse_args()
    env = {**os.environ, "DESIGNSPACE_NO_DOWNLOAD": "1", "OMP_NUM_THREADS": "1"}
    if args.code:
        paths = [str(Path(args.code).resolve()), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    rounds = []
    for _ in range(args.rounds):
        rounds.append({"worker_start_s": round(worker_start(env), 3), "floor_s": round(floor(env), 3)})
    start = statistics.median(r["worker_start_s"] for r in rounds)
    base = statistics.median(r["floor_s"] for r in rounds)
    print(
        json.dumps(
            {
                "code": args.code or "installed",
                "cpu_count": os.cpu_count(),
                "rounds": rounds,
                "worker_start_median_s": start,
                "floor_median_s": base,
                "start_over_floor": round(start / base, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
