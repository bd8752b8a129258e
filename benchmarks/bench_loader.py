"""Benchmark: the resident-tensor loader vs pure compute and vs a torchvision DataLoader pipeline.

    python benchmarks/bench_loader.py [--models resnet20_cifar anynet_probe] [--threads 2] [--steps 30] [--rounds 2]

Three training throughputs (images/s) of the same model, recipe, precision and memory format,
measured in this one process, interleaved over ``--rounds`` rounds (best of the rounds kept, as
the CPU may be shared):

* ``compute``: forward + backward + SGD step on one pre-made normalized batch (no data work);
* ``full``: ``designspace.train.train`` on a CIFAR-10 subset (steady state: epochs 2..E, from the
  ``on_epoch`` clock), i.e. the loader (index, crop+flip gather, normalize) plus the same steps;
* ``torchvision``: ``ImageFolder`` (PIL) + RandomCrop(32, 4) + RandomHorizontalFlip + ToTensor +
  Normalize through a ``DataLoader`` (shuffle, batch 128, ``num_workers`` 0 and 2: the faster
  counts), feeding the same step.

Targets: full >= 0.9 x compute, full >= 1.5 x torchvision. Prints one JSON object, per model.
``full / torchvision`` is bounded by ``(compute time + torchvision's data time) / compute time``
per batch, so it is largest for small models; ``anynet_probe`` is the ~20 MFLOPs AnyNetX of
bench_workers.py (the study regime).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from torch import nn

import designspace as ds
from designspace.data import load_dataset
from designspace.data.locate import data_places
from designspace.models.network import Network
from designspace.train import Budget, TrainConfig, retarget, train
from designspace.train.device import autocast_dtype, select_channels_last, select_precision
from designspace.train.optim import make_optimizer


class Stepper:
    """The trainer's step (autocast forward, label-smoothed CE, backward, SGD) on a fresh model."""

    def __init__(self, model_name, data, config: TrainConfig) -> None:
        cpu = torch.device("cpu")
        self.dtype = autocast_dtype(select_precision(config.precision, cpu))
        self.channels_last = select_channels_last(config.channels_last, cpu)
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        torch.manual_seed(0)
        self.model = Network(retarget(model_name, data)).to(memory_format=fmt)
        self.opt = make_optimizer(self.model, config)
        self.loss = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        self.fmt = fmt

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        x = x.contiguous(memory_format=self.fmt)
        with torch.autocast("cpu", dtype=self.dtype or torch.bfloat16, enabled=self.dtype is not None):
            loss = self.loss(self.model(x), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        loss.item()


def compute_rate(model, data, config: TrainConfig, steps: int, warmup: int) -> float:
    step = Stepper(model, data, config)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(config.batch_size, data.in_channels, data.resolution, data.resolution, generator=g)
    y = torch.randint(0, data.num_classes, (config.batch_size,), generator=g)
    for _ in range(warmup):
        step(x, y)
    t = time.perf_counter()
    for _ in range(steps):
        step(x, y)
    return steps * config.batch_size / (time.perf_counter() - t)


def full_rate(model, data, config: TrainConfig, epochs: int) -> float:
    marks: list[tuple[float, int]] = []
    train(model, data, Budget(epochs=epochs), seed=0, config=config, on_epoch=lambda e, i: marks.append(i))
    (t1, s1), (t2, s2) = (marks[0]["seconds"], marks[0]["steps"]), (marks[-1]["seconds"], marks[-1]["steps"])
    return (s2 - s1) * config.batch_size / (t2 - t1)


def torchvision_rate(model, data, config: TrainConfig, root: Path, workers: int, steps: int, warmup: int) -> float:
    from torchvision import datasets, transforms

    tf = transforms.Compose(
        [
            transforms.RandomCrop(data.resolution, padding=config.crop_padding),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(data.mean, data.std),
        ]
    )
    ds = datasets.ImageFolder(str(root / "train"), transform=tf)
    loader = torch.utils.data.DataLoader(
        ds,
        batch_size=config.batch_size,
        shuffle=True,
        num_workers=workers,
        drop_last=True,
        persistent_workers=False,
        generator=torch.Generator().manual_seed(0),
    )
    step = Stepper(model, data, config)
    it = iter(loader)
    for _ in range(warmup):
        step(*next(it))
    t = time.perf_counter()
    for _ in range(steps):
        step(*next(it))
    rate = steps * config.batch_size / (time.perf_counter() - t)
    del it
    return rate


def resolve_model(name: str):
    """A zoo name, a spec file, or ``anynet_probe`` (the study-regime model of bench_workers.py)."""
    if name == "anynet_probe":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_workers import ANYNET_PROBE

        return ANYNET_PROBE
    return name


def find_cifar_tree(data_dir: str | None) -> Path:
    for place in data_places(data_dir):
        if (place.path / "cifar10" / "train").is_dir():
            return place.path / "cifar10"
    sys.exit("bench_loader: needs CIFAR-10 in the ImageFolder layout (cifar10/{train,test}/<class>/*)")


def measure(model: str, data, config: TrainConfig, root: Path, steps: int, rounds: int) -> dict:
    warmup = 5
    results: dict[str, list[float]] = {"compute": [], "full": [], "torchvision_w0": [], "torchvision_w2": []}
    for _ in range(rounds):
        results["compute"].append(compute_rate(model, data, config, steps, warmup))
        results["full"].append(full_rate(model, data, config, epochs=3))
        results["torchvision_w0"].append(torchvision_rate(model, data, config, root, 0, steps, warmup))
        results["torchvision_w2"].append(torchvision_rate(model, data, config, root, 2, steps, warmup))
    best = {k: max(v) for k, v in results.items()}
    baseline = max(best["torchvision_w0"], best["torchvision_w2"])
    out = {
        "flops": ds.complexity(retarget(model, data), data.resolution)["flops"],
        "images_per_second": {k: round(v, 1) for k, v in best.items()},
        "all_rounds": {k: [round(x, 1) for x in v] for k, v in results.items()},
        "full_vs_compute": round(best["full"] / best["compute"], 3),
        "full_vs_torchvision": round(best["full"] / baseline, 3),
    }
    out["meets_targets"] = out["full_vs_compute"] >= 0.9 and out["full_vs_torchvision"] >= 1.5
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["resnet20_cifar", "anynet_probe"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30, help="timed steps per measurement")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = TrainConfig(precision=args.precision)
    root = find_cifar_tree(args.data_dir)
    # the full run: epochs of `steps` steps; the first epoch is the warm-up
    data = load_dataset("cifar10", data_dir=args.data_dir, train_subset=args.steps * config.batch_size, test_subset=500)
    out = {
        "threads": args.threads,
        "precision": select_precision(config.precision, torch.device("cpu")),
        "batch_size": config.batch_size,
        "targets": {"full_vs_compute": 0.9, "full_vs_torchvision": 1.5},
        "models": {
            name: measure(resolve_model(name), data, config, root, args.steps, args.rounds) for name in args.models
        },
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
