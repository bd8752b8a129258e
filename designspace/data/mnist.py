"""MNIST (LeCun et al. 1998) and Fashion-MNIST (Xiao et al. 2017): 10 classes, 28x28 gray.

60,000 train / 10,000 test images each, one channel (a model built for them takes
``in_channels=1``). Found in torchvision's layout (``D/MNIST/raw/*-ubyte[.gz]``,
``D/FashionMNIST/raw/...``) or an ImageFolder tree (``D/mnist/{train,test}/<class>/*``,
``D/fashion_mnist/...``), else downloaded with torchvision. ``resize`` gives the classic
224/96 px recipes (AlexNet, VGG, NiN, GoogLeNet on Fashion-MNIST as in d2l).
"""

from designspace.data.torchvision_source import TorchvisionSource

MNIST = TorchvisionSource(
    name="mnist",
    dataset_class="MNIST",
    marker="MNIST",
    summary="MNIST: 10 digits, 28x28 gray, 60k train / 10k test (searched, else downloaded)",
    flip=False,  # a mirrored digit is not the same digit
)

FASHION_MNIST = TorchvisionSource(
    name="fashion_mnist",
    dataset_class="FashionMNIST",
    marker="FashionMNIST",
    summary="Fashion-MNIST: 10 clothing classes, 28x28 gray, 60k train / 10k test (searched, else downloaded)",
    flip=True,  # a mirrored garment keeps its class
)
