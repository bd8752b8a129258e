"""``load_dataset``: a registered data set by name, optionally resized and subset."""

from __future__ import annotations

import os

from designspace.data.dataset import Dataset
from designspace.data.registry import DATASETS
from designspace.data.source import LoadRequest
from designspace.ui import checks


def load_dataset(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    train_subset: int | None = None,
    test_subset: int | None = None,
    seed: int = 0,
    resize: int | None = None,
    *,
    progress: bool | None = None,
) -> Dataset:
    """The data set ``name`` (``cifar10``, ``imagefolder:PATH``, ``synthetic[:opts]``, ...).

    ``data_dir`` is searched first (see :mod:`designspace.data.locate` for the search order and
    the cache location). ``train_subset``/``test_subset`` take stratified subsets drawn with
    ``seed``; ``resize`` makes the images ``resize`` x ``resize`` (shorter side, then center crop).
    ``progress``: a decoding progress bar on stderr (None: only on a terminal).
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"dataset={name!r}: give a data set name ({', '.join(DATASETS.names())})")
    if resize is not None:
        checks.integer("resize", resize, low=1)
    checks.integer("seed", seed)
    kind, sep, arg = name.partition(":")
    source = DATASETS.get(kind)
    request = LoadRequest(name, arg if sep else None, None if data_dir is None else str(data_dir), resize, progress)
    data = source.load(request)
    return data.subset(train_subset, test_subset, seed)
