"""``imagefolder:PATH``: any ``PATH/{train,test}/<class>/<image>`` tree, decoded once and cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision

from designspace.data import cache
from designspace.data.dataset import Dataset
from designspace.data.decode import ImageTree, decode_tree
from designspace.data.source import LoadRequest, dataset_from_entry, entry_with_stats


def load_tree(name: str, root: Path, request: LoadRequest, *, flip: bool = True) -> Dataset:
    """Decodes (or reads from the cache) the image tree at ``root``.

    A resize request is served by the native-size cache when its images already have that size
    (CIFAR-10 at 32 px), so the same pixels are not decoded and stored twice.
    """
    tree = ImageTree.scan(root, name)
    label = root.resolve().name or "imagefolder"

    def cache_name(size: int | None) -> str:
        key = cache.fingerprint(tree.rows, "imagefolder", size, torchvision.__version__)
        return cache.cache_name(label, size, key, root)

    if request.resize:
        native = _native_of_size(root, cache_name(None), request.resize)
        if native is not None:
            entry, path = native
            return dataset_from_entry(name, entry, flip=flip, origin=f"{root.resolve()} (cache {path})", cached=True)
    entry, hit, path = cache.cached(
        root,
        cache_name(request.resize),
        lambda: entry_with_stats(decode_tree(tree, request.resize, name, request.progress)),
    )
    origin = f"{root.resolve()}" + (f" (cache {path})" if path else "")
    return dataset_from_entry(name, entry, flip=flip, origin=origin, cached=hit)


def _native_of_size(root: Path, name: str, size: int) -> tuple[dict, Path] | None:
    """The native-size cache entry ``name`` if it exists and its images are ``size`` x ``size``."""
    path = cache.find(root, name)
    if path is None:
        return None
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # unreadable: the resized cache is built instead
        return None
    shapes = [tuple(entry[f"{split}_x"].shape[-2:]) for split in ("train", "test")]
    return (entry, path) if all(s == (size, size) for s in shapes) else None


@dataclass(frozen=True)
class ImageFolderSource:
    summary: str = "any PATH/{train,test}/<class>/<images> tree: --dataset imagefolder:PATH"

    def load(self, request: LoadRequest) -> Dataset:
        if not request.arg:
            raise ValueError("dataset 'imagefolder' needs a path: --dataset imagefolder:PATH")
        return load_tree(request.name, Path(request.arg).expanduser(), request)


IMAGEFOLDER = ImageFolderSource()
