"""A data set torchvision can download, found first in the usual places (see ``locate``).

Accepted layouts in each searched folder ``D`` (for ``name="cifar10"``, ``marker="cifar-10-batches-py"``):
``D/cifar10/{train,test}/<class>/*`` (ImageFolder, any image format), ``D/cifar-10-batches-py`` or
``D/cifar10/cifar-10-batches-py`` (torchvision's own), or ``D`` itself when it is called ``cifar10``
and holds ``train/`` and ``test/``. A new torchvision data set is one ``TorchvisionSource(...)`` line.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torchvision

from designspace.data import cache
from designspace.data.dataset import Dataset
from designspace.data.decode import resize_batch
from designspace.data.imagefolder import load_tree
from designspace.data.locate import data_places, download_dir, downloads_allowed
from designspace.data.source import LoadRequest, dataset_from_entry, entry_with_stats, no_argument
from designspace.errors import UsageError
from designspace.ui.messages import first_line


@dataclass(frozen=True)
class Found:
    layout: str  # "imagefolder" | "torchvision"
    path: Path  # the ImageFolder root, or torchvision's root (the parent of the marker folder)


@dataclass(frozen=True)
class TorchvisionSource:
    name: str  # the folder name and the --dataset name, e.g. "cifar10"
    dataset_class: str  # torchvision.datasets.<dataset_class>, e.g. "CIFAR10"
    marker: str  # the folder torchvision keeps the files in, e.g. "cifar-10-batches-py"
    summary: str
    flip: bool = True  # whether a horizontal flip keeps the label

    def load(self, request: LoadRequest) -> Dataset:
        no_argument(request)
        found = self.locate(request.data_dir) or self.download(request.data_dir)
        if found.layout == "imagefolder":
            return load_tree(request.name, found.path, request, flip=self.flip)
        return self._load_torchvision(found.path, request)

    def locate(self, data_dir: str | None) -> Found | None:
        for place in data_places(data_dir):
            root = place.path
            for cand in (root / self.name, root if root.name == self.name else None):
                if cand is not None and (cand / "train").is_dir() and (cand / "test").is_dir():
                    return Found("imagefolder", cand)
            for cand in (root / self.marker, root / self.name / self.marker):
                if cand.is_dir():
                    return Found("torchvision", cand.parent)
        return None

    def _where(self, data_dir: str | None) -> str:
        return ", ".join(str(p) for p in data_places(data_dir))

    def _hint(self) -> str:
        return (
            f"point at it with --data-dir DIR or DESIGNSPACE_DATA=DIR holding {self.name}/{{train,test}}/<class>/* "
            f"or {self.marker}/"
        )

    def download(self, data_dir: str | None) -> Found:
        searched = self._where(data_dir)
        if not downloads_allowed():
            raise UsageError(
                f"{self.name} not found in {searched}, and downloads are off ($DESIGNSPACE_NO_DOWNLOAD); {self._hint()}"
            )
        target = download_dir(data_dir)
        cls = getattr(torchvision.datasets, self.dataset_class)
        print(f"designspace: {self.name} not found in {searched}; downloading it to {target}", file=sys.stderr)
        try:
            with contextlib.redirect_stdout(sys.stderr):  # keep stdout clean for --json
                for train in (True, False):
                    cls(root=str(target), train=train, download=True)
        except Exception as e:
            raise UsageError(
                f"{self.name} not found in {searched}, and the download failed ({first_line(e)}); {self._hint()}"
            ) from None
        return Found("torchvision", target)

    def _load_torchvision(self, root: Path, request: LoadRequest) -> Dataset:
        rows = cache.folder_rows(root / self.marker)
        key = cache.fingerprint(rows, self.dataset_class, request.resize, torchvision.__version__)

        def build() -> dict[str, Any]:
            cls = getattr(torchvision.datasets, self.dataset_class)
            entry: dict[str, Any] = {}
            for split in ("train", "test"):
                ds = cls(root=str(root), train=split == "train", download=False)
                x = _as_nchw(ds.data)
                if request.resize:
                    x = resize_batch(x, request.resize)
                entry[f"{split}_x"] = x
                entry[f"{split}_y"] = torch.as_tensor(np.asarray(ds.targets), dtype=torch.int64)
                entry["classes"] = list(ds.classes)
            return entry_with_stats(entry)

        entry, hit, path = cache.cached(root, cache.cache_name(f"{self.name}-tv", request.resize, key, root), build)
        origin = f"{(root / self.marker).resolve()}" + (f" (cache {path})" if path else "")
        return dataset_from_entry(request.name, entry, flip=self.flip, origin=origin, cached=hit)


def _as_nchw(data: Any) -> torch.Tensor:
    """torchvision's ``.data`` (numpy NHWC, or uint8 NHW for the MNISTs) as uint8 NCHW."""
    t = data if isinstance(data, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(data))
    if t.dim() == 3:
        t = t[:, None]
    elif t.dim() == 4 and t.shape[-1] in (1, 3) and t.shape[1] not in (1, 3):
        t = t.permute(0, 3, 1, 2)
    return t.to(torch.uint8).contiguous()
