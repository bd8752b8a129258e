"""Benchmark: trainings per core-hour of a CIFAR study protocol, against pure forward+backward.

    python benchmarks/bench_train.py [--spaces anynetx_a anynetx_e regnetx] [--train-images 5000]
                                     [--precision auto] [--plan cal1.toml] [--protocols h1 f3 f4]

On one model per space (the first model of the middle flops bin of experiments/calibration/cal1.toml:
4-8 MF at 32 px), one thread, in one run:

1. baseline: forward + backward + SGD step on one resident batch (no data pipeline, no
   augmentation, no schedule or checks), CPU images/s per batch size;
2. the trainer (``designspace.train.train``, today's recipe at each batch size) for
   ``--train-images`` images: CPU images/s of the whole training (set-up included) and its ratio
   to the baseline;
3. one pass over the 10k test images at each evaluation batch size (1000: today's default).

From these, the core-seconds of one training and trainings per core-hour of today's protocol
(1 epoch x 20k images, batch 128, one test pass at evaluation batch 1000) and of each named
protocol of the calibration plan (its images, batch and evaluation batch; one test pass, the
final-error score), and each one's ratio to today's. Core-seconds are process CPU time
(unaffected by other processes sharing the cores). Prints one JSON object.
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


#: profiler op-name fragments -> category (first match wins; the rest is "other")
CATEGORIES = (
    ("convolution", ("convolution", "conv2d", "mkldnn_conv")),
    ("batch_norm", ("batch_norm",)),
    ("relu_add", ("relu", "threshold", "aten::add", "aten::add_")),
    ("optimizer", ("_foreach", "sgd")),
    ("casts_copies", ("aten::to", "_to_copy", "copy_", "contiguous", "clone")),
    ("linear_loss", ("addmm", "linear", "mm", "cross_entropy", "log_softmax", "nll_loss")),
)


def profile(spec: object, data: object, precision: str, batch: int = 128, steps: int = 6) -> dict[str, float]:
    """Share of self CPU time per op category over forward + backward + SGD steps."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

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

    step()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    totals: dict[str, float] = {}
    for event in prof.key_averages():
        name = event.key.lower()
        cat = next((c for c, keys in CATEGORIES if any(k in name for k in keys)), "other")
        totals[cat] = totals.get(cat, 0.0) + event.self_cpu_time_total
    whole = sum(totals.values()) or 1.0
    return {k: round(v / whole, 3) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


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


def protocol_costs(plan_path: str, names: list[str]) -> dict[str, tuple[float, int, int]]:
    """(training images, batch size, evaluation batch size) of each named protocol of the plan."""
    from designspace.calibration.plan import load_plan

    plan = load_plan(plan_path)
    out = {}
    for name in names:
        p = plan.protocol(name)
        train = dict(p.train)
        defaults = TrainConfig()
        batch = int(train.get("batch_size", defaults.batch_size))
        out[name] = (p.images(), batch, int(train.get("eval_batch_size", defaults.eval_batch_size)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spaces", nargs="+", default=["anynetx_a", "anynetx_e", "regnetx"])
    ap.add_argument("--train-images", type=int, default=5000, help="images of the measured training")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--plan", default="experiments/calibration/cal1.toml")
    ap.add_argument(
        "--protocols", nargs="+", default=["h1", "f3", "f4"], help="the plan's protocols to cost against today's"
    )
    ap.add_argument("--profile", action="store_true", help="also: self CPU time share per op category")
    args = ap.parse_args()
    torch.set_num_threads(1)
    precision = select_precision(args.precision, torch.device("cpu"))
    today = (20000.0, 128, 1000)  # 1 epoch x 20k images, batch 128, evaluation batch 1000
    protocols = {"today": today, **protocol_costs(args.plan, args.protocols)}
    batches = sorted({b for _, b, _ in protocols.values()})
    eval_batches = sorted({e for _, _, e in protocols.values()})
    data = load_dataset("cifar10", train_subset=args.train_images, seed=0, progress=False)
    # the measured trainings evaluate on 200 test images (negligible); test passes are timed apart
    small = load_dataset("cifar10", train_subset=args.train_images, test_subset=200, seed=0, progress=False)
    rows = []
    for name, spec in models(args.spaces):
        row: dict = {"space": name, "eval_cpu_seconds": {}, "batch": {}}
        for e in eval_batches:
            row["eval_cpu_seconds"][e] = round(eval_seconds(spec, data, precision, e), 2)
        for batch in batches:
            cfg = TrainConfig(precision=precision, batch_size=batch)
            r = train(spec, small, Budget(epochs=1), seed=0, config=cfg, threads=1, device="cpu")
            row["flops"] = r.flops
            train_cpu = r.cpu_seconds  # set-up and training (and the 200-image test pass)
            base = step_rate(spec, data, precision, batch)
            if args.profile and batch == 128:
                row["profile_batch128"] = profile(spec, data, precision)
            row["batch"][batch] = {
                "baseline_images_per_cpu_second": round(base, 1),
                "trainer_images_per_cpu_second": round(r.images / train_cpu, 1),
                "trainer_vs_baseline": round(r.images / train_cpu / base, 3),
            }
        rows.append(row)

    def cost(images: float, batch: int, eval_batch: int) -> float:
        """Mean core-seconds of one training (one test pass for its score) over the models."""
        return statistics.mean(
            images / x["batch"][batch]["trainer_images_per_cpu_second"] + x["eval_cpu_seconds"][eval_batch]
            for x in rows
        )

    seconds = {k: cost(*v) for k, v in protocols.items()}
    out = {
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "torch": torch.__version__,
        "precision": precision,
        "threads": 1,
        "train_images_measured": args.train_images,
        "protocols": {k: {"images": v[0], "batch": v[1], "eval_batch": v[2]} for k, v in protocols.items()},
        "models": rows,
        "core_seconds_per_training": {k: round(v, 1) for k, v in seconds.items()},
        "trainings_per_core_hour": {k: round(3600 / v, 1) for k, v in seconds.items()},
        "ratio_vs_today": {k: round(seconds["today"] / v, 3) for k, v in seconds.items() if k != "today"},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
