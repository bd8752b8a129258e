"""Data sets for short training runs: decoded once, cached, kept whole as uint8 tensors.

``load_dataset("cifar10" | "imagefolder:PATH" | "synthetic[:opts]", data_dir=None, train_subset=None,
test_subset=None, seed=0, resize=None) -> Dataset``. Named data sets are looked for in ``data_dir``,
``$DESIGNSPACE_DATA``, ``$XDG_CACHE_HOME/designspace`` (``~/.cache/designspace``), ``./data``,
``../shared/data`` (in that order) and downloaded with torchvision otherwise; decoded images are
cached in ``$DESIGNSPACE_CACHE``, else the user's cache folder (beside the data only when
``$DESIGNSPACE_CACHE_BESIDE_DATA=1`` asks; details: :mod:`designspace.data.locate`).
:class:`TrainBatches`/:class:`EvalBatches` serve augmented, normalized batches from the resident
tensors with batched tensor ops. New data sets register in :data:`DATASETS`.
"""

from designspace.data.dataset import Dataset
from designspace.data.load import load_dataset
from designspace.data.loader import EvalBatches, TrainBatches
from designspace.data.registry import DATASETS

__all__ = ["DATASETS", "Dataset", "EvalBatches", "TrainBatches", "load_dataset"]
