"""``imagefolder:PATH``: any ``PATH/{train,test}/<class>/<image>`` tree, decoded once and cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torchvision

from designspace.data import cache
from designspace.data.dataset import Dataset
from designspace.data.decode import ImageTree, decode_tree
from designspace.data.source import LoadRequest, dataset_from_entry, entry_with_stats


def load_tree(name: str, root: Path, request: LoadRequest, *, flip: bool = True) -> Dataset:
    """Decodes (or reads from the cache) the image tree at ``root``."""
    tree = ImageTree.scan(root, name)
    key = cache.fingerprint(tree.rows, "imagefolder", request.resize, torchvision.__version__)
    label = root.resolve().name or "imagefolder"
    entry, hit, path = cache.cached(
        root,
        cache.cache_name(label, request.resize, key),
        lambda: entry_with_stats(decode_tree(tree, request.resize, name, request.progress)),
    )
    origin = f"{root.resolve()}" + (f" (cache {path})" if path else "")
    return dataset_from_entry(name, entry, flip=flip, origin=origin, cached=hit)


@dataclass(frozen=True)
class ImageFolderSource:
    summary: str = "any PATH/{train,test}/<class>/<images> tree: --dataset imagefolder:PATH"

    def load(self, request: LoadRequest) -> Dataset:
        if not request.arg:
            raise ValueError("dataset 'imagefolder' needs a path: --dataset imagefolder:PATH")
        return load_tree(request.name, Path(request.arg).expanduser(), request)


IMAGEFOLDER = ImageFolderSource()
