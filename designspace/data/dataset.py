"""The in-memory dataset: whole splits as uint8 NCHW tensors plus what a trainer needs to know."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from designspace.data.subset import stratified_indices


@dataclass(frozen=True, eq=False)
class Dataset:
    """Both splits of an image classification data set, decoded once and kept whole.

    ``train_x``/``test_x`` are uint8 tensors of shape (N, C, H, W) with square images;
    ``train_y``/``test_y`` int64 labels in ``[0, num_classes)``. ``mean``/``std`` are per-channel
    statistics of the (full) training split in [0, 1] units, used for normalization. ``flip``
    says whether a horizontal flip keeps an image's label (True for CIFAR, False for digits).
    ``origin`` says where the data came from; ``cached`` whether it was read from the decode cache.
    """

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    flip: bool = True
    origin: str = ""
    cached: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))
        object.__setattr__(self, "mean", tuple(float(m) for m in self.mean))
        object.__setattr__(self, "std", tuple(float(s) for s in self.std))
        for split in ("train", "test"):
            x, y = getattr(self, f"{split}_x"), getattr(self, f"{split}_y")
            if x.dtype != torch.uint8 or x.dim() != 4:
                raise ValueError(f"{self.name}: {split}_x must be a uint8 tensor of shape (N, C, H, W)")
            if y.dtype != torch.int64 or y.shape != (x.shape[0],):
                raise ValueError(f"{self.name}: {split}_y must be int64 labels, one per image")
        if self.train_x.shape[1:] != self.test_x.shape[1:]:
            raise ValueError(
                f"{self.name}: train images {tuple(self.train_x.shape[1:])} and test images "
                f"{tuple(self.test_x.shape[1:])} differ in shape"
            )
        h, w = self.train_x.shape[2:]
        if h != w:
            raise ValueError(f"{self.name}: images are {h}x{w}, not square; load it with resize=SIZE")
        if not (len(self.mean) == len(self.std) == self.in_channels):
            raise ValueError(f"{self.name}: mean/std need one value per channel ({self.in_channels})")
        if any(s <= 0 for s in self.std):
            raise ValueError(f"{self.name}: std must be positive (a constant channel?)")
        for y in (self.train_y, self.test_y):
            if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
                raise ValueError(f"{self.name}: labels must lie in [0, {self.num_classes})")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def in_channels(self) -> int:
        return int(self.train_x.shape[1])

    @property
    def resolution(self) -> int:
        return int(self.train_x.shape[2])

    def subset(self, train: int | None = None, test: int | None = None, seed: int = 0) -> Dataset:
        """Stratified, seeded subsets of the splits (``None`` keeps a split whole).

        The train and test subsets are drawn from separate streams of ``seed``, so choosing one
        does not change the other. Statistics (mean/std) stay those of the full training split.
        """
        changes: dict[str, torch.Tensor] = {}
        for split, n, stream in (("train", train, 0), ("test", test, 1)):
            if n is None:
                continue
            x, y = getattr(self, f"{split}_x"), getattr(self, f"{split}_y")
            gen = torch.Generator().manual_seed(_stream_seed(seed, stream))
            idx = stratified_indices(y, n, self.num_classes, gen, what=f"{split}_subset")
            changes[f"{split}_x"], changes[f"{split}_y"] = x[idx], y[idx]
        return replace(self, **changes) if changes else self

    def describe(self) -> dict[str, object]:
        """A JSON-able summary (no tensors)."""
        return {
            "name": self.name,
            "train": int(self.train_x.shape[0]),
            "test": int(self.test_x.shape[0]),
            "classes": list(self.classes),
            "num_classes": self.num_classes,
            "in_channels": self.in_channels,
            "resolution": self.resolution,
            "mean": list(self.mean),
            "std": list(self.std),
            "origin": self.origin,
            "cached": self.cached,
        }


def _stream_seed(seed: int, stream: int) -> int:
    return (int(seed) * 2 + stream) % (2**63)


def channel_stats(x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of uint8 images ``x`` (N, C, H, W), in [0, 1] units (exact, via histograms)."""
    values = torch.arange(256, dtype=torch.float64)
    means, stds = [], []
    for c in range(x.shape[1]):
        hist = torch.bincount(x[:, c].reshape(-1), minlength=256).to(torch.float64)
        count = max(1.0, float(hist.sum()))
        mean = float((hist * values).sum()) / count
        var = max(0.0, float((hist * values.square()).sum()) / count - mean**2)
        means.append(mean / 255)
        stds.append(max(var**0.5, 0.255) / 255)  # a constant channel still normalizes to finite values
    return tuple(means), tuple(stds)
