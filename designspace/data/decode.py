"""Reading image trees (``{train,test}/<class>/*``) and decoding them into uint8 tensors."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision.io import ImageReadMode, decode_image, read_file
from torchvision.transforms.v2 import functional as TF
from tqdm import tqdm

from designspace.data.cache import file_row
from designspace.ui.messages import first_line

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff")
SPLITS = ("train", "test")
_PIL_GRAY = ("1", "L", "LA", "I", "I;16", "F")


@dataclass(frozen=True)
class ImageTree:
    """The files of an ImageFolder tree ``root/{train,test}/<class>/<image>``, found in one pass."""

    root: Path
    classes: tuple[str, ...]
    files: dict[str, list[tuple[str, int]]]  # split -> sorted (path, label)
    rows: tuple[str, ...]  # cache.file_row of every image (relative path, size, mtime)

    @classmethod
    def scan(cls, root: Path, what: str) -> ImageTree:
        if not root.is_dir():
            raise ValueError(f"{what}: {root} is not a folder (expected {root}/{{train,test}}/<class>/<images>)")
        for split in SPLITS:
            if not (root / split).is_dir():
                raise ValueError(f"{what}: {root} has no {split}/ folder (expected {root}/{{train,test}}/<class>/*)")
        classes = _subfolders(root / "train")
        if not classes:
            raise ValueError(f"{what}: {root / 'train'} has no class folders")
        test_classes = _subfolders(root / "test")
        if test_classes != classes:
            odd = sorted(set(test_classes) ^ set(classes))
            raise ValueError(f"{what}: train/ and test/ have different class folders ({', '.join(odd[:5])})")
        files: dict[str, list[tuple[str, int]]] = {}
        rows: list[str] = []
        for split in SPLITS:
            found = []
            for label, c in enumerate(classes):
                with os.scandir(root / split / c) as it:
                    for e in it:
                        if e.name.lower().endswith(IMAGE_EXTENSIONS) and not e.name.startswith(".") and e.is_file():
                            found.append((e.name, label, e.path))
                            rows.append(file_row(f"{split}/{c}/{e.name}", e.stat()))
            if not found:
                raise ValueError(f"{what}: no images under {root / split} ({', '.join(IMAGE_EXTENSIONS)})")
            found.sort(key=lambda t: (t[1], t[0]))
            files[split] = [(path, label) for _, label, path in found]
        return cls(root, tuple(classes), files, tuple(rows))


def _subfolders(folder: Path) -> list[str]:
    return sorted(d.name for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))


def _channels_of(path: str | Path, what: str) -> int:
    img = _decode(path, ImageReadMode.UNCHANGED, what)
    return 1 if img.shape[0] in (1, 2) else 3  # gray(+alpha) -> 1, RGB(A)/palette -> 3


def _decode(path: str | Path, mode: ImageReadMode, what: str) -> torch.Tensor:
    """torchvision's fast decoders (JPEG, PNG, GIF, WebP); PIL for the other formats."""
    try:
        return decode_image(read_file(str(path)), mode=mode)
    except RuntimeError as e:
        try:
            import numpy as np
            from PIL import Image

            with Image.open(path) as im:
                gray = mode == ImageReadMode.GRAY or (mode == ImageReadMode.UNCHANGED and im.mode in _PIL_GRAY)
                a = np.asarray(im.convert("L" if gray else "RGB"))
        except Exception:
            raise ValueError(f"{what}: cannot decode {path}: {first_line(e)}") from None
        t = torch.from_numpy(a.copy())
        return t[None] if t.dim() == 2 else t.permute(2, 0, 1).contiguous()


def fit_size(img: torch.Tensor, size: int) -> torch.Tensor:
    """Resize so the shorter side is ``size`` (antialiased), then center-crop to size x size."""
    if img.shape[-2:] == (size, size):
        return img
    return TF.center_crop(TF.resize(img, size, antialias=True), [size, size])


@contextmanager
def _quiet_deprecation() -> Iterator[None]:
    """torchvision 0.29 warns on every decode that its image I/O moves to TorchCodec; its decoders
    are still the fastest available here (4x PIL on CIFAR JPEGs), so say it once, not 60,000 times."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The image decoding and encoding", category=DeprecationWarning)
        yield


def decode_tree(tree: ImageTree, resize: int | None, what: str, progress: bool | None) -> dict[str, object]:
    """Decodes every image of ``tree`` into ``{split}_x`` uint8 (N, C, H, W) and ``{split}_y``."""
    with _quiet_deprecation():
        return _decode_tree(tree, resize, what, progress)


def _decode_tree(tree: ImageTree, resize: int | None, what: str, progress: bool | None) -> dict[str, object]:
    first = tree.files["train"][0][0]
    channels = _channels_of(first, what)
    mode = ImageReadMode.GRAY if channels == 1 else ImageReadMode.RGB
    out: dict[str, object] = {"classes": list(tree.classes)}
    size: tuple[int, int] | None = (resize, resize) if resize else None
    for split in SPLITS:
        rows = tree.files[split]
        xs: torch.Tensor | None = None
        bar = tqdm(rows, desc=f"decoding {what} {split}", unit="img", file=sys.stderr, disable=_quiet(progress))
        for i, (path, _) in enumerate(bar):
            img = _decode(path, mode, what)
            if resize:
                img = fit_size(img, resize)
            if size is None:
                size = (int(img.shape[1]), int(img.shape[2]))
            if xs is None:
                xs = torch.empty((len(rows), channels, *size), dtype=torch.uint8)
            if tuple(img.shape[1:]) != size:
                raise ValueError(
                    f"{what}: {path} is {img.shape[1]}x{img.shape[2]}, others are {size[0]}x{size[1]}; "
                    "pass a size to resize to (--resize N)"
                )
            xs[i] = img
        out[f"{split}_x"] = xs
        out[f"{split}_y"] = torch.tensor([label for _, label in rows], dtype=torch.int64)
    return out


def resize_batch(x: torch.Tensor, size: int, chunk: int = 2048) -> torch.Tensor:
    """:func:`fit_size` for a whole uint8 (N, C, H, W) tensor."""
    if x.shape[-2:] == (size, size):
        return x
    return torch.cat([fit_size(part, size) for part in x.split(chunk)])


def _quiet(progress: bool | None) -> bool | None:
    """tqdm's ``disable``: None shows the bar only on a terminal."""
    return None if progress is None else not progress
