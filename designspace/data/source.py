"""What a data set plugin is: a ``DataSource`` turns a :class:`LoadRequest` into a :class:`Dataset`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch

from designspace.data.dataset import Dataset, channel_stats


@dataclass(frozen=True)
class LoadRequest:
    """One ``load_dataset`` call as a source sees it.

    ``arg`` is the text after the colon of ``name:arg`` (``imagefolder:PATH``), or None.
    """

    name: str
    arg: str | None = None
    data_dir: str | None = None
    resize: int | None = None
    progress: bool | None = None


class DataSource(Protocol):
    """A registered data set kind (see :data:`designspace.data.registry.DATASETS`)."""

    summary: str

    def load(self, request: LoadRequest) -> Dataset: ...


def entry_with_stats(entry: dict[str, Any]) -> dict[str, Any]:
    """Adds the training split's per-channel mean/std to a decoded entry (what the cache stores)."""
    mean, std = channel_stats(entry["train_x"])
    return {**entry, "mean": list(mean), "std": list(std)}


def dataset_from_entry(name: str, entry: dict[str, Any], *, flip: bool, origin: str, cached: bool) -> Dataset:
    return Dataset(
        name=name,
        train_x=entry["train_x"],
        train_y=entry["train_y"].to(torch.int64),
        test_x=entry["test_x"],
        test_y=entry["test_y"].to(torch.int64),
        classes=tuple(entry["classes"]),
        mean=tuple(entry["mean"]),
        std=tuple(entry["std"]),
        flip=flip,
        origin=origin,
        cached=cached,
    )


def no_argument(request: LoadRequest) -> None:
    if request.arg is not None:
        kind = request.name.partition(":")[0]
        raise ValueError(f"dataset {kind!r} takes no ':' argument (got {request.name!r})")
