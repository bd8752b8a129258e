"""Benchmark: two single-thread worker processes vs one two-thread process (the study default).

    python benchmarks/bench_workers.py [--model anynet_probe] [--train-subset 5120] [--epochs 2] [--jobs 2] [--rounds 3]

The same ``--jobs`` training runs (``designspace.train.train``, CIFAR-10 subset, distinct seeds) are
done twice: (a) in one process with 2 threads, one after another; (b) split over two processes with
1 thread each, side by side. Throughput = all training images / wall time of the training calls
(data loading and start-up excluded). The two set-ups alternate over ``--rounds`` (the CPU may be
shared); prints one JSON object with every round, the best of each and their ratio
``two_workers_vs_one_process`` (> 1: two single-thread workers get more done).

``anynet_probe`` is an AnyNetX-like model of the study regime (~20 MFLOPs at 32 px: stem w24,
X blocks d 1/2/2/1, w 32/64/128/128, strides 1/2/2/2); ``--model`` also takes zoo names and spec files.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time

from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec

ANYNET_PROBE = NetSpec(
    StemSpec("cifar", 24),
    (
        StageSpec("res_bottleneck", 1, 32, 1, bottleneck=1.0, group_width=8),
        StageSpec("res_bottleneck", 2, 64, 2, bottleneck=1.0, group_width=8),
        StageSpec("res_bottleneck", 2, 128, 2, bottleneck=2.0, group_width=16),
        StageSpec("res_bottleneck", 1, 128, 2, bottleneck=1.0, group_width=16),
    ),
    HeadSpec("linear", 10),
)


def _model(name: str):
    return ANYNET_PROBE if name == "anynet_probe" else name


def run_jobs(model: str, subset: int, epochs: float, seeds: list[int], threads: int, data_dir: str | None) -> dict:
    """Trains one model per seed in this process; returns wall-clock start/end and images."""
    from designspace.data import load_dataset
    from designspace.train import Budget, train

    data = load_dataset("cifar10", data_dir=data_dir, train_subset=subset, test_subset=1000)
    start = time.time()
    images, errors = 0, []
    for seed in seeds:
        r = train(_model(model), data, Budget(epochs=epochs), seed=seed, threads=threads)
        images += r.images
        errors.append(r.test_error)
    return {"start": start, "end": time.time(), "images": images, "errors": errors}


def _worker(args: tuple, queue: mp.Queue) -> None:
    queue.put(run_jobs(*args))


def one_process(common: tuple, seeds: list[int], data_dir: str | None) -> tuple[float, float, list[float]]:
    r = run_jobs(*common, seeds, 2, data_dir)
    return r["images"] / (r["end"] - r["start"]), r["end"] - r["start"], r["errors"]


def two_processes(common: tuple, seeds: list[int], data_dir: str | None) -> tuple[float, float, list[float]]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    halves = [seeds[0::2], seeds[1::2]]
    procs = [ctx.Process(target=_worker, args=((*common, half, 1, data_dir), queue)) for half in halves]
    for p in procs:
        p.start()
    parts = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    wall = max(p["end"] for p in parts) - min(p["start"] for p in parts)
    return sum(p["images"] for p in parts) / wall, wall, [e for p in parts for e in p["errors"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="anynet_probe")
    ap.add_argument("--train-subset", type=int, default=5120)
    ap.add_argument("--epochs", type=float, default=2)
    ap.add_argument("--jobs", type=int, default=2, help="training runs per configuration (even)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating repeats; the best of each is kept")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    seeds = list(range(args.jobs))
    common = (args.model, args.train_subset, args.epochs)
    rounds = []
    for i in range(args.rounds):
        order = (("one", one_process), ("two", two_processes))
        row = {}
        for name, fn in order if i % 2 == 0 else order[::-1]:
            rate, seconds, errors = fn(common, seeds, args.data_dir)
            row[name] = {"images_per_second": round(rate, 1), "seconds": round(seconds, 1), "test_errors": errors}
        rounds.append(row)
    best_one = max(r["one"]["images_per_second"] for r in rounds)
    best_two = max(r["two"]["images_per_second"] for r in rounds)
    ratios = [r["two"]["images_per_second"] / r["one"]["images_per_second"] for r in rounds]
    out = {
        "model": args.model,
        "jobs": args.jobs,
        "budget": {"train_images": args.train_subset, "epochs": args.epochs},
        "best_images_per_second": {"one_process_2_threads": best_one, "two_processes_1_thread": best_two},
        "two_workers_vs_one_process": round(best_two / best_one, 3),
        "ratio_per_round": [round(x, 3) for x in ratios],
        "rounds": rounds,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
