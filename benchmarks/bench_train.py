"""Benchmark: trainings per core-hour of a CIFAR study protocol, against pure forward+backward.

    python benchmarks/bench_train.py [--spaces anynetx_a anynetx_e regnetx] [--train-images 5000]
                                     [--protocol-images 20000] [--precision auto] [--batch-sizes 128 256]

On one model per space (the first model of the middle flops bin of experiments/calibration/cal1.toml:
4-8 MF at 32 px), one thread, in one run:

1. baseline: forward + backward + SGD step on one resident batch (no data pipeline, no
   augmentation, no schedule or checks), CPU images/s per batch size;
2. the trainer (``designspace.train.train``, today's recipe) for ``--train-images`` images: CPU
   images/s of the whole training (set-up included) and its ratio to the baseline;
3. one pass over the 10k test images at evaluation batch 1000 (today's default) and 250.

From these, the core-seconds of one training of the study protocol (``--protocol-images``
training images, one test pass) and trainings per core-hour: today (batch 128, evaluation batch
1000) and the candidate (evaluation batch 250, and each training batch size given). Core-seconds
are process CPU time (unaffected by other processes sharing the cores). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch
from torch import nn

from designspace.data import load_dataset
from designspace.data.loader import EvalBatches
from designspace.models.network import Network
from designspace.train import Budget, TrainConfig, retarget, select_precision, train
from designspace.train.device import autocast_dtype, cpu_model
from designspace.train.evaluate import evaluate
from designspace.train.optim import make_optimizer


def models(spaces: list[str]) -> list[tuple[str, object]]:
    """(name, spec): the first model of cal1's middle flops bin in each space."""
    import optuna

    from designspace import spaces as registry
    from designspace.calibration.plan import load_plan
    from designspace.study.population import population_params

    plan = load_plan("experiments/calibration/cal1.toml")
    configs = {c.space: c for c in plan.studies("f1") if c.name.endswith(".f1") and ".r0." in c.name}
    out = []
    for name in spaces:
        params = population_params(configs[name], 1)[0]
        out.append((name, registry.get(name).suggest(optuna.trial.FixedTrial(params), resolution=32)))
    return out


def step_rate(spec: object, data: object, precision: str, batch: int, steps: int = 10) -> float:
    """CPU images/s of forward + backward + SGD on one resident batch (channels_last)."""
    torch.manual_seed(0)
    net = Network(retarget(spec, data)).to(memory_format=torch.channels_last)
    opt = make_optimizer(net, TrainConfig())
    crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    x = torch.randn(batch, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    dtype = autocast_dtype(precision)

    def step() -> None:
        with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            loss = crit(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    t = time.process_time()
    for _ in range(steps):
        step()
    return steps * batch / (time.process_time() - t)


def eval_seconds(spec: object, data: object, precision: str, batch: int) -> float:
    """CPU seconds of one pass over the test split."""
    net = Network(retarget(spec, data)).to(memory_format=torch.channels_last)
    batches = EvalBatches(
        data.test_x, data.test_y, batch_size=batch, mean=data.mean, std=data.std, channels_last=True,
        device=torch.device("cpu"),
    )  # fmt: skip
    evaluate(net, batches, autocast_dtype(precision))  # warm-up (oneDNN primitives)
    t = time.process_time()
    evaluate(net, batches, autocast_dtype(precision))
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spaces", nargs="+", default=["anynetx_a", "anynetx_e", "regnetx"])
    ap.add_argument("--train-images", type=int, default=5000, help="images of the measured training")
    ap.add_argument("--protocol-images", type=int, default=20000, help="images of one study training")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 256])
    args = ap.parse_args()
    torch.set_num_threads(1)
    precision = select_precision(args.precision, torch.device("cpu"))
    data = load_dataset("cifar10", train_subset=args.train_images, seed=0, progress=False)
    rows = []
    for name, spec in models(args.spaces):
        row: dict = {"space": name}
        for batch in args.batch_sizes:
            cfg = TrainConfig(precision=precision, batch_size=batch)
            r = train(spec, data, Budget(epochs=1), seed=0, config=cfg, threads=1, device="cpu")
            ev = eval_seconds(spec, data, precision, 1000)
            train_cpu = r.cpu_seconds - ev  # the run's own test pass was at batch 1000 (the default)
            row[f"batch{batch}"] = {
                "baseline_images_per_cpu_second": round(step_rate(spec, data, precision, batch), 1),
                "trainer_images_per_cpu_second": round(r.images / train_cpu, 1),
                "test_error": r.test_error,
            }
            row[f"batch{batch}"]["trainer_vs_baseline"] = round(
                row[f"batch{batch}"]["trainer_images_per_cpu_second"]
                / row[f"batch{batch}"]["baseline_images_per_cpu_second"],
                3,
            )
        row["flops"] = r.flops
        row["eval_cpu_seconds"] = {
            "batch1000": round(ev, 2),
            "batch250": round(eval_seconds(spec, data, precision, 250), 2),
        }
        rows.append(row)

    def core_seconds(batch: int, eval_batch: int) -> float:
        per = [
            args.protocol_images / x[f"batch{batch}"]["trainer_images_per_cpu_second"]
            + x["eval_cpu_seconds"][f"batch{eval_batch}"]
            for x in rows
        ]
        return statistics.mean(per)

    today = core_seconds(128, 1000)
    candidates = {f"batch{b}_eval250": core_seconds(b, 250) for b in args.batch_sizes}
    out = {
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "torch": torch.__version__,
        "precision": precision,
        "threads": 1,
        "train_images_measured": args.train_images,
        "protocol": f"1 epoch x {args.protocol_images} images + one pass over 10k test images",
        "models": rows,
        "core_seconds_per_training": {"today": round(today, 1), **{k: round(v, 1) for k, v in candidates.items()}},
        "trainings_per_core_hour": {
            "today": round(3600 / today, 1),
            **{k: round(3600 / v, 1) for k, v in candidates.items()},
        },
        "ratio_vs_today": {k: round(today / v, 3) for k, v in candidates.items()},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
