"""``synthetic[:k=v,...]``: seeded random images whose labels a small network can learn (smoke tests).

Each class has a prototype: a random colour plus a smooth random pattern (4x4 noise upsampled).
An image is its class prototype plus per-pixel Gaussian noise and a random brightness shift.
Options (defaults): ``classes=10, size=32, channels=3, train=5000, test=1000, noise=0.25, seed=0``,
e.g. ``synthetic:channels=1,size=28``. ``load_dataset(resize=N)`` sets the size.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F

from designspace.data.dataset import Dataset, channel_stats
from designspace.data.source import LoadRequest


@dataclass(frozen=True)
class SyntheticOptions:
    classes: int = 10
    size: int = 32
    channels: int = 3
    train: int = 5000
    test: int = 1000
    noise: float = 0.25
    seed: int = 0

    @classmethod
    def parse(cls, text: str | None) -> SyntheticOptions:
        kinds = {f.name: f.type for f in fields(cls)}
        values: dict[str, int | float] = {}
        for part in filter(None, (text or "").split(",")):
            key, sep, raw = part.partition("=")
            key = key.strip()
            if not sep or key not in kinds:
                options = ", ".join(kinds)
                raise ValueError(f"synthetic: bad option {part!r} (options: {options}; e.g. synthetic:size=16)")
            try:
                values[key] = float(raw) if kinds[key] == "float" else int(raw)
            except ValueError:
                raise ValueError(f"synthetic: {key}={raw!r} is not a number") from None
        opts = cls(**values)
        for name in ("classes", "size", "channels", "train", "test"):
            if getattr(opts, name) < 1:
                raise ValueError(f"synthetic: {name}={getattr(opts, name)} must be >= 1")
        if opts.classes < 2:
            raise ValueError("synthetic: classes must be >= 2")
        if opts.noise < 0:
            raise ValueError("synthetic: noise must be >= 0")
        return opts


def make_synthetic(opts: SyntheticOptions) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(opts.seed)
    c, s, k = opts.channels, opts.size, opts.classes
    colour = torch.rand(k, c, 1, 1, generator=g)
    pattern = F.interpolate(torch.rand(k, c, 4, 4, generator=g), size=(s, s), mode="bilinear", align_corners=False)
    prototypes = 0.5 * colour + 0.5 * pattern
    out = {}
    for split, n in (("train", opts.train), ("test", opts.test)):
        y = (torch.arange(n) % k)[torch.randperm(n, generator=g)]
        x = prototypes[y]
        x = x + opts.noise * torch.randn(x.shape, generator=g) + 0.1 * torch.randn(n, 1, 1, 1, generator=g)
        out[f"{split}_x"] = (x.clamp(0, 1) * 255).round().to(torch.uint8)
        out[f"{split}_y"] = y
    return out


@dataclass(frozen=True)
class SyntheticSource:
    summary: str = "seeded random class patterns + noise (smoke tests): synthetic[:size=16,channels=1,...]"

    def load(self, request: LoadRequest) -> Dataset:
        opts = SyntheticOptions.parse(request.arg)
        if request.resize:
            opts = SyntheticOptions(**{**opts.__dict__, "size": request.resize})
        data = make_synthetic(opts)
        mean, std = channel_stats(data["train_x"])
        return Dataset(
            name=request.name,
            classes=tuple(f"class{i}" for i in range(opts.classes)),
            mean=mean,
            std=std,
            flip=True,
            origin=f"generated ({opts})",
            **data,
        )


SYNTHETIC = SyntheticSource()
