"""CIFAR-10 (Krizhevsky 2009): 10 classes, 32x32 RGB, 50,000 train / 10,000 test images."""

from designspace.data.torchvision_source import TorchvisionSource

CIFAR10 = TorchvisionSource(
    name="cifar10",
    dataset_class="CIFAR10",
    marker="cifar-10-batches-py",
    summary="CIFAR-10: 10 classes, 32x32 RGB, 50k train / 10k test (searched, else downloaded)",
)
