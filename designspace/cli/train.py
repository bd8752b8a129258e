"""``designspace train MODEL|SPEC.json --dataset NAME``: train one model for a budget, report its error.

Data sets: cifar10 (searched in --data-dir, $DESIGNSPACE_DATA, ~/.cache/designspace, ./data,
../shared/data, else downloaded), imagefolder:PATH ({train,test}/<class>/<images>), synthetic[:opts].
Decoded images are cached in $DESIGNSPACE_CACHE, else ~/.cache/designspace/cache (in the data
folder only with DESIGNSPACE_CACHE_BESIDE_DATA=1). Exit status: 0 trained, 1 diverged (a NaN/inf
or exploded loss), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from designspace.cli.command import add_command


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "train", __doc__, raw=True)
    p.add_argument("model", help="a zoo name (e.g. resnet20_cifar) or a spec JSON file")
    p.add_argument(
        "--dataset", default="cifar10", help="cifar10 | imagefolder:PATH | synthetic[:opts] (default cifar10)"
    )
    p.add_argument("--data-dir", default=None, help="folder searched first for the data set")
    p.add_argument("--resize", type=int, default=None, metavar="N", help="resize images to N x N px")
    p.add_argument("--train-subset", type=int, default=None, metavar="N", help="stratified subset of N training images")
    p.add_argument("--test-subset", type=int, default=None, metavar="N", help="stratified subset of N test images")
    p.add_argument("--subset-seed", type=int, default=0, help="seed of the subsets (default 0: same data every run)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=float, default=None, help="budget in epochs (default 10)")
    budget.add_argument("--time-limit", type=float, default=None, metavar="S", help="budget in seconds of training")
    p.add_argument("--seed", type=int, default=0, help="training seed: init, data order, augmentation (default 0)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's, one per core)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:N] (default auto)")
    p.add_argument("--config", default=None, help="TrainConfig as a JSON file or inline JSON object")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default 0.8)")
    p.add_argument("--batch-size", type=int, default=None, help="batch size (default 128)")
    p.add_argument("--schedule", default=None, help="onecycle | cosine | constant (default onecycle)")
    p.add_argument("--precision", default=None, help="auto | fp32 | bf16 | fp16 (default auto)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout")
    p.set_defaults(func=run)


def _config(args: argparse.Namespace):  # -> TrainConfig
    from designspace.train import TrainConfig  # deferred: loads torch

    base: dict = {}
    if args.config:
        text = args.config
        if not text.lstrip().startswith("{"):
            path = Path(text)
            if not path.is_file():
                raise ValueError(f"--config {text!r}: no such file (give a JSON file or an inline JSON object)")
            text = path.read_text()
        try:
            base = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"--config: not valid JSON ({e})") from None
        if isinstance(base, dict) and "config" in base and isinstance(base["config"], dict):
            base = base["config"]  # a `train --json` record
    flags = {"lr": args.lr, "batch_size": args.batch_size, "schedule": args.schedule, "precision": args.precision}
    return TrainConfig.from_dict({**base, **{k: v for k, v in flags.items() if v is not None}})


def run(args: argparse.Namespace) -> int:
    from designspace.data import load_dataset  # deferred: loads torch
    from designspace.train import Budget, train  # deferred: loads torch

    config = _config(args)
    budget = Budget(seconds=args.time_limit) if args.time_limit is not None else Budget(epochs=args.epochs or 10)
    progress = False if args.no_progress else sys.stderr.isatty()
    data = load_dataset(
        args.dataset,
        data_dir=args.data_dir,
        train_subset=args.train_subset,
        test_subset=args.test_subset,
        seed=args.subset_seed,
        resize=args.resize,
        progress=None if not args.no_progress else False,
    )
    result = train(
        args.model,
        data,
        budget,
        seed=args.seed,
        config=config,
        device=args.device,
        threads=args.threads,
        progress=progress,
    )
    if args.json:
        record = {
            **result.to_dict(),
            "model": args.model,
            "dataset": data.name,
            "train_images": int(data.train_x.shape[0]),
            "test_images": int(data.test_x.shape[0]),
            "resolution": data.resolution,
            "budget": budget.to_dict(),
            "config": config.to_dict(),
        }
        print(json.dumps(record))
    if not result.ok:
        print(f"designspace train: diverged: {result.reason}", file=sys.stderr)
        return 1
    if not args.json:
        threads = f", {result.threads} threads" if result.threads else ""
        print(
            f"{args.model} on {data.name} ({data.train_x.shape[0]} train / {data.test_x.shape[0]} test images, "
            f"{data.resolution} px): test error {result.test_error:.2f}%, train loss {result.train_loss:.3f}, "
            f"{result.epochs:g} epochs in {result.seconds:.1f} s ({result.images_per_second:.0f} img/s, "
            f"{result.device} {result.precision}{threads}); {result.flops / 1e6:.1f} MFLOPs, "
            f"{result.params / 1e6:.3f} M params"
        )
    return 0
