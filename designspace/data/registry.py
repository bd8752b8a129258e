"""The data set registry. Adding a data set = one small file (a ``DataSource``) + one line here."""

from __future__ import annotations

from designspace.data.cifar10 import CIFAR10
from designspace.data.imagefolder import IMAGEFOLDER
from designspace.data.mnist import FASHION_MNIST, MNIST
from designspace.data.source import DataSource
from designspace.data.synthetic import SYNTHETIC
from designspace.registry import Registry

DATASETS: Registry[DataSource] = Registry("dataset")
DATASETS.register("cifar10", CIFAR10)
DATASETS.register("imagefolder", IMAGEFOLDER)
DATASETS.register("synthetic", SYNTHETIC)
DATASETS.register("mnist", MNIST)
DATASETS.register("fashion_mnist", FASHION_MNIST)
