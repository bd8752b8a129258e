"""Batches straight from the resident uint8 tensors: augmentation and normalization as batched ops.

No per-image Python and no worker processes: a training batch is one index into the whole data
set, one random crop (zero padding) + horizontal flip done as a single gather, one uint8 -> float
conversion with normalization. On a GPU the data set lives on the GPU. All randomness comes from
the ``torch.Generator`` passed in, drawn on the CPU once per epoch, so batches are the same on
every device for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F

Batch = tuple[torch.Tensor, torch.Tensor]


@contextmanager
def serial_on_cpu(device: torch.device) -> Iterator[None]:
    """One intra-op thread for the (small) batch ops on the CPU.

    A batch is ~0.5 MB of uint8: splitting it across threads gains little on an idle machine and
    costs tens of milliseconds in thread hand-offs when the cores are busy. Restores the count.
    """
    n = torch.get_num_threads()
    if device.type != "cpu" or n == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def crop_flip(x: torch.Tensor, top: torch.Tensor, left: torch.Tensor, flip: torch.Tensor, padding: int) -> torch.Tensor:
    """Random-crop-with-padding and horizontal flip of a uint8 batch (B, C, H, W), in one gather.

    Image ``i`` is zero-padded by ``padding`` on each side, cropped back to H x W at
    (``top[i]``, ``left[i]``) in ``[0, 2 * padding]``, and mirrored when ``flip[i]``.
    """
    b, c, h, w = x.shape
    hp, wp = h + 2 * padding, w + 2 * padding
    if padding:
        x = F.pad(x, (padding, padding, padding, padding))
    dev = x.device
    ar_h, ar_w = torch.arange(h, device=dev), torch.arange(w, device=dev)
    rows = top[:, None] + ar_h  # (B, H)
    cols = left[:, None] + torch.where(flip[:, None], w - 1 - ar_w, ar_w)  # (B, W)
    flat = (rows[:, :, None] * wp + cols[:, None, :]).view(b, 1, h * w).expand(b, c, h * w)
    return torch.gather(x.reshape(b, c, hp * wp), 2, flat).view(b, c, h, w)


def take(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``x[idx]`` along the first dimension (a flat ``index_select``: much faster for uint8 images)."""
    return x.reshape(x.shape[0], -1).index_select(0, idx).view(idx.shape[0], *x.shape[1:])


class Normalize:
    """uint8 (B, C, H, W) -> float32 ``(x / 255 - mean) / std``, optionally channels_last."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...], device: torch.device, channels_last: bool):
        c = len(mean)
        self.shift = torch.tensor([m * 255 for m in mean], device=device).view(1, c, 1, 1)
        self.scale = torch.tensor([1 / (s * 255) for s in std], device=device).view(1, c, 1, 1)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous(memory_format=self.memory_format).to(torch.float32)
        return x.sub_(self.shift).mul_(self.scale)


class TrainBatches:
    """Shuffled, augmented, normalized training batches; iterating gives one epoch.

    ``len()`` is the number of steps per epoch: full batches only (the last partial batch is
    dropped, as it would be reshuffled next epoch anyway), or one batch of everything when the
    set is smaller than a batch.
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        *,
        batch_size: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        generator: torch.Generator,
        padding: int = 4,
        flip: bool = True,
        channels_last: bool = False,
        device: torch.device | str = "cpu",
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size}: must be >= 1")
        self.device = torch.device(device)
        self.x = x.to(self.device)
        self.y = y.to(self.device)
        self.n = int(x.shape[0])
        self.batch_size = min(batch_size, self.n)
        self.padding, self.flip = padding, flip
        self.generator = generator
        self.normalize = Normalize(mean, std, self.device, channels_last)

    def __len__(self) -> int:
        return self.n // self.batch_size

    def __iter__(self) -> Iterator[Batch]:
        g, n, p = self.generator, self.n, self.padding
        perm = torch.randperm(n, generator=g)
        top = torch.randint(0, 2 * p + 1, (n,), generator=g)
        left = torch.randint(0, 2 * p + 1, (n,), generator=g)
        flip = torch.randint(0, 2, (n,), generator=g).bool() if self.flip else torch.zeros(n, dtype=torch.bool)
        perm, top, left, flip = (t.to(self.device, non_blocking=True) for t in (perm, top, left, flip))
        bs = self.batch_size
        for i in range(len(self)):
            sl = slice(i * bs, (i + 1) * bs)
            with serial_on_cpu(self.device):
                idx = perm[sl]
                xb = take(self.x, idx)
                if p or self.flip:
                    xb = crop_flip(xb, top[sl], left[sl], flip[sl], p)
                batch = self.normalize(xb), self.y.index_select(0, idx)
            yield batch


class EvalBatches:
    """The split in order, normalized, without augmentation (the last batch may be smaller)."""

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        *,
        batch_size: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        channels_last: bool = False,
        device: torch.device | str = "cpu",
    ) -> None:
        self.device = torch.device(device)
        self.x, self.y = x.to(self.device), y.to(self.device)
        self.batch_size = max(1, batch_size)
        self.normalize = Normalize(mean, std, self.device, channels_last)

    def __len__(self) -> int:
        return -(-int(self.x.shape[0]) // self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        for xb, yb in zip(self.x.split(self.batch_size), self.y.split(self.batch_size)):
            with serial_on_cpu(self.device):
                batch = self.normalize(xb), yb
            yield batch
