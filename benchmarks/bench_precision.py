"""Benchmark: bf16 autocast vs fp32 on the CPU (throughput and test error), and channels_last.

    python benchmarks/bench_precision.py [--model resnet20_cifar] [--train-subset 20000] [--epochs 3]
                                         [--seeds 0 1] [--threads 2]

1. Training runs with ``designspace.train.train`` on CIFAR-10 (full test set), fp32 and bf16 for
   each seed, same budget, same recipe, channels_last on: images/s and test error of each.
   Targets where the CPU has native bf16: bf16 >= 1.3 x fp32 images/s, mean test error within
   1.5 points of fp32's.
2. Pure compute steps (forward + backward + SGD on one batch) for fp32/bf16 x NCHW/channels_last,
   the evidence behind ``channels_last="auto"`` (on).

Runs are interleaved (fp32, bf16 per seed; step measurements over ``--rounds``, best kept) since
the CPU may be shared; the speedup is reported from the training runs (mean and best) and from the
steps, and the target is checked on the smaller of best-of-runs and steps. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

from designspace.data import load_dataset
from designspace.models.network import Network
from designspace.train import Budget, TrainConfig, cpu_has_native_bf16, retarget, train
from designspace.train.optim import make_optimizer


def step_rate(model: str, data, precision: str, channels_last: bool, steps: int = 12, warmup: int = 3) -> float:
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    torch.manual_seed(0)
    net = Network(retarget(model, data)).to(memory_format=fmt)
    opt = make_optimizer(net, TrainConfig())
    crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    x = torch.randn(128, data.in_channels, data.resolution, data.resolution).contiguous(memory_format=fmt)
    y = torch.randint(0, data.num_classes, (128,))

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = crit(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * 128 / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet20_cifar")
    ap.add_argument("--train-subset", type=int, default=20000)
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the step measurements")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset("cifar10", data_dir=args.data_dir, train_subset=args.train_subset)
    runs: dict[str, list[dict]] = {"fp32": [], "bf16": []}
    for seed in args.seeds:
        for precision in ("fp32", "bf16"):
            r = train(args.model, data, Budget(epochs=args.epochs), seed=seed, config=TrainConfig(precision=precision))
            runs[precision].append(
                {"seed": seed, "test_error": r.test_error, "images_per_second": round(r.images_per_second, 1)}
            )
    rate = {p: statistics.mean(x["images_per_second"] for x in v) for p, v in runs.items()}
    err = {p: statistics.mean(x["test_error"] for x in v) for p, v in runs.items()}
    formats: dict[str, float] = {}
    for _ in range(args.rounds):  # interleaved; best of the rounds
        for precision in ("fp32", "bf16"):
            for cl in (False, True):
                key = f"{precision}_{'channels_last' if cl else 'nchw'}"
                formats[key] = round(max(formats.get(key, 0.0), step_rate(args.model, data, precision, cl)), 1)
    best = {p: max(x["images_per_second"] for x in v) for p, v in runs.items()}
    out = {
        "model": args.model,
        "threads": args.threads,
        "budget": {"train_images": args.train_subset, "epochs": args.epochs, "test_images": int(data.test_x.shape[0])},
        "cpu_native_bf16": cpu_has_native_bf16(),
        "runs": runs,
        "mean_images_per_second": {p: round(v, 1) for p, v in rate.items()},
        "mean_test_error": {p: round(v, 2) for p, v in err.items()},
        "bf16_speedup_training_mean": round(rate["bf16"] / rate["fp32"], 3),
        "bf16_speedup_training_best": round(best["bf16"] / best["fp32"], 3),
        "bf16_speedup_steps": round(formats["bf16_channels_last"] / formats["fp32_channels_last"], 3),
        "bf16_error_minus_fp32": round(err["bf16"] - err["fp32"], 2),
        "step_images_per_second": formats,
        "channels_last_speedup": {
            p: round(formats[f"{p}_channels_last"] / formats[f"{p}_nchw"], 3) for p in ("fp32", "bf16")
        },
        "targets": {"bf16_speedup": 1.3, "abs_error_difference": 1.5},
    }
    speedup = min(out["bf16_speedup_training_best"], out["bf16_speedup_steps"])
    out["meets_targets"] = speedup >= 1.3 and abs(out["bf16_error_minus_fp32"]) <= 1.5
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
