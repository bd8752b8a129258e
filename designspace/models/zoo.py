"""Named models as a user would type them: ``zoo.get("regnetx_200mf")`` -> spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from designspace.models.blocks.dense import DENSE_BOTTLENECK
from designspace.models.regnet import regnet
from designspace.registry import Registry
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec


@dataclass(frozen=True)
class ZooEntry:
    make: Callable[[], NetSpec]
    resolution: int  # the input size the model is designed for
    summary: str


ZOO: Registry[ZooEntry] = Registry("model")

# (depth, w0, wa, wm, group width) of the published RegNets (Radosavovic et al. 2020, pycls).
REGNETX = {
    "200mf": (13, 24, 36.44, 2.49, 8),
    "400mf": (22, 24, 24.48, 2.54, 16),
    "600mf": (16, 48, 36.97, 2.24, 24),
    "800mf": (16, 56, 35.73, 2.28, 16),
    "1.6gf": (18, 80, 34.01, 2.25, 24),
    "3.2gf": (25, 88, 26.31, 2.25, 48),
    "4.0gf": (23, 96, 38.65, 2.43, 40),
    "6.4gf": (17, 184, 60.83, 2.07, 56),
    "8.0gf": (23, 80, 49.56, 2.88, 120),
    "12gf": (19, 168, 73.36, 2.37, 112),
    "16gf": (22, 216, 55.59, 2.1, 128),
    "32gf": (23, 320, 69.86, 2.0, 168),
}
REGNETY = {
    "200mf": (13, 24, 36.44, 2.49, 8),
    "400mf": (16, 48, 27.89, 2.09, 8),
    "600mf": (15, 48, 32.54, 2.32, 16),
    "800mf": (14, 56, 38.84, 2.4, 16),
    "1.6gf": (27, 48, 20.71, 2.65, 24),
    "3.2gf": (21, 80, 42.63, 2.66, 24),
    "4.0gf": (22, 96, 31.41, 2.24, 64),
    "6.4gf": (25, 112, 33.22, 2.27, 72),
    "8.0gf": (17, 192, 76.82, 2.19, 56),
    "12gf": (19, 168, 73.36, 2.37, 112),
    "16gf": (18, 200, 106.23, 2.48, 112),
    "32gf": (20, 232, 115.89, 2.53, 232),
}


def _regnet_entry(family: str, size: str, p: tuple[int, int, float, float, int]) -> None:
    d, w0, wa, wm, g = p
    se = 0.25 if family == "y" else 0.0
    ZOO.register(
        f"regnet{family}_{size}",
        ZooEntry(
            lambda: regnet(w0, wa, wm, d, g, se=se),
            224,
            f"RegNet{family.upper()}-{size.upper()} (d={d}, w0={w0}, wa={wa}, wm={wm}, g={g})",
        ),
    )


for _size, _p in REGNETX.items():
    _regnet_entry("x", _size, _p)
for _size, _p in REGNETY.items():
    _regnet_entry("y", _size, _p)

IMAGENET_STRIDES = (1, 2, 2, 2)


def resnet(block: str, depths: tuple[int, ...], widths: tuple[int, ...], b: float = 1.0, groups: int = 1) -> NetSpec:
    """ImageNet ResNet/ResNeXt layout: 7x7 stem, four stages with strides 1, 2, 2, 2.

    ResNeXt keeps the number of ``groups`` fixed, so the group width doubles with each stage.
    """
    stages = tuple(
        StageSpec(block, d, w, s, bottleneck=b, group_width=int(w / b) // groups if groups > 1 else 0)
        for d, w, s in zip(depths, widths, IMAGENET_STRIDES)
    )
    return NetSpec(StemSpec("imagenet", 64), stages, HeadSpec("linear", 1000))


def cifar_resnet(block: str, n: int) -> NetSpec:
    """He et al.'s CIFAR ResNet-(6n+2): 3x3 stem w16, three stages of n blocks, widths 16/32/64."""
    stages = tuple(StageSpec(block, n, w, s) for w, s in ((16, 1), (32, 2), (64, 2)))
    return NetSpec(StemSpec("cifar", 16), stages, HeadSpec("linear", 10))


def densenet(depths: tuple[int, ...], growth: int = 32, stem: int = 64) -> NetSpec:
    stages = tuple(
        StageSpec("dense", d, growth, s, bottleneck=DENSE_BOTTLENECK) for d, s in zip(depths, IMAGENET_STRIDES)
    )
    return NetSpec(StemSpec("imagenet", stem), stages, HeadSpec("linear", 1000))


def vgg(depths: tuple[int, ...], bn: bool = True) -> NetSpec:
    widths, strides = (64, 128, 256, 512, 512), (1, 2, 2, 2, 2)
    stages = tuple(StageSpec("vgg", d, w, s, bn=bn) for d, w, s in zip(depths, widths, strides))
    return NetSpec(StemSpec("none", 3), stages, HeadSpec("vgg", 1000, hidden=(4096, 4096), dropout=0.5))


def lenet5(bn: bool = False) -> NetSpec:
    """LeNet-5 as in d2l (28x28 one-channel input, 10 classes).

    5x5 conv 6 (padding 2), 2x2 average pool, 5x5 conv 16 (no padding), average pool,
    fully connected 120-84-10; sigmoid everywhere. ``bn``: BatchNorm after each conv/FC
    and ReLU instead of sigmoid (convs then drop their bias).
    """
    act = "relu" if bn else "sigmoid"
    stages = (
        StageSpec("conv", 1, 6, kernel=5, bn=bn, activation=act),
        StageSpec("avgpool", 1, 6, 2),
        StageSpec("conv", 1, 16, kernel=5, padding=0, bn=bn, activation=act),
        StageSpec("avgpool", 1, 16, 2),
    )
    head = HeadSpec("flatten", 10, hidden=(120, 84), pool_size=5, activation=act, bn=bn)
    return NetSpec(StemSpec("none", 1, in_channels=1), stages, head)


def alexnet() -> NetSpec:
    """AlexNet as torchvision builds it (one tower, 64/192/384/256/256 channels, no LRN)."""
    stages = (
        StageSpec("conv", 1, 64, 4, kernel=11, padding=2, bn=False),
        StageSpec("maxpool", 1, 64, 2, kernel=3, padding=0),
        StageSpec("conv", 1, 192, kernel=5, bn=False),
        StageSpec("maxpool", 1, 192, 2, kernel=3, padding=0),
        StageSpec("conv", 1, 384, bn=False),
        StageSpec("conv", 2, 256, bn=False),
        StageSpec("maxpool", 1, 256, 2, kernel=3, padding=0),
    )
    head = HeadSpec("flatten", 1000, hidden=(4096, 4096), dropout=0.5, pool_size=6)
    return NetSpec(StemSpec("none", 3), stages, head)


def nin() -> NetSpec:
    """Network in Network for ImageNet as in d2l: three mlpconv blocks with 3x3/2 max-pools,
    dropout, a last mlpconv block to the classes, global average pooling (no FC layer)."""
    stages = (
        StageSpec("nin", 1, 96, 4, kernel=11, padding=0, bn=False),
        StageSpec("maxpool", 1, 96, 2, kernel=3, padding=0),
        StageSpec("nin", 1, 256, kernel=5, bn=False),
        StageSpec("maxpool", 1, 256, 2, kernel=3, padding=0),
        StageSpec("nin", 1, 384, kernel=3, bn=False),
        StageSpec("maxpool", 1, 384, 2, kernel=3, padding=0),
    )
    return NetSpec(StemSpec("none", 3), stages, HeadSpec("nin", 1000, dropout=0.5))


# GoogLeNet's inception modules 3a-5b: (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj), and
# whether a 3x3/2 max-pool precedes the module (Szegedy et al. 2015, Table 1).
GOOGLENET_MODULES = (
    ((64, 96, 128, 16, 32, 32), 2),
    ((128, 128, 192, 32, 96, 64), 1),
    ((192, 96, 208, 16, 48, 64), 2),
    ((160, 112, 224, 24, 64, 64), 1),
    ((128, 128, 256, 24, 64, 64), 1),
    ((112, 144, 288, 32, 64, 64), 1),
    ((256, 160, 320, 32, 128, 128), 1),
    ((256, 160, 320, 32, 128, 128), 2),
    ((384, 192, 384, 48, 128, 128), 1),
)


def googlenet(kernel: int = 5) -> NetSpec:
    """GoogLeNet with BatchNorm after every conv, as torchvision builds it (no auxiliary heads).

    7x7/2 stem with 3x3/2 max-pool, 1x1 conv 64, 3x3 conv 192, nine inception modules, global
    average pool, dropout 0.2, linear. ``kernel`` is the wide branch's kernel: 5 is the paper's;
    torchvision builds 3 (and then has exactly torchvision's parameter count).
    """
    stages = (
        StageSpec("conv", 1, 64, kernel=1),
        StageSpec("conv", 1, 192, kernel=3),
        *(
            StageSpec("inception", 1, c1 + c3 + c5 + cp, s, kernel=kernel, branches=(c1, r3, c3, r5, c5, cp))
            for (c1, r3, c3, r5, c5, cp), s in GOOGLENET_MODULES
        ),
    )
    return NetSpec(StemSpec("imagenet", 64), stages, HeadSpec("linear", 1000, dropout=0.2))


RESNET_WIDTHS = (64, 128, 256, 512)
BOTTLENECK_WIDTHS = (256, 512, 1024, 2048)


def resnext(depths: tuple[int, ...], group_width: int, groups: int = 32) -> NetSpec:
    """ImageNet ResNeXt (``32x4d``: ``groups=32``, ``group_width=4``): the first stage's inner width is
    ``groups * group_width``, the group count fixed over the stages (see :func:`resnet`)."""
    return resnet("res_bottleneck", depths, BOTTLENECK_WIDTHS, BOTTLENECK_WIDTHS[0] // (groups * group_width), groups)


_MODELS: dict[str, tuple[Callable[[], NetSpec], int, str]] = {
    "resnet18": (lambda: resnet("res_basic", (2, 2, 2, 2), RESNET_WIDTHS), 224, "ResNet-18"),
    "resnet34": (lambda: resnet("res_basic", (3, 4, 6, 3), RESNET_WIDTHS), 224, "ResNet-34"),
    "resnet50": (lambda: resnet("res_bottleneck", (3, 4, 6, 3), BOTTLENECK_WIDTHS, 4), 224, "ResNet-50"),
    "resnet101": (lambda: resnet("res_bottleneck", (3, 4, 23, 3), BOTTLENECK_WIDTHS, 4), 224, "ResNet-101"),
    "resnet152": (lambda: resnet("res_bottleneck", (3, 8, 36, 3), BOTTLENECK_WIDTHS, 4), 224, "ResNet-152"),
    "resnext50_32x4d": (lambda: resnext((3, 4, 6, 3), 4), 224, "ResNeXt-50 32x4d"),
    "resnext101_32x4d": (lambda: resnext((3, 4, 23, 3), 4), 224, "ResNeXt-101 32x4d"),
    "resnext152_32x4d": (lambda: resnext((3, 8, 36, 3), 4), 224, "ResNeXt-152 32x4d"),
    "resnext101_32x8d": (lambda: resnext((3, 4, 23, 3), 8), 224, "ResNeXt-101 32x8d"),
    "densenet121": (lambda: densenet((6, 12, 24, 16)), 224, "DenseNet-121 (k=32)"),
    "densenet169": (lambda: densenet((6, 12, 32, 32)), 224, "DenseNet-169 (k=32)"),
    "densenet201": (lambda: densenet((6, 12, 48, 32)), 224, "DenseNet-201 (k=32)"),
    "vgg11_bn": (lambda: vgg((1, 1, 2, 2, 2)), 224, "VGG-11 with BatchNorm"),
    "vgg16_bn": (lambda: vgg((2, 2, 3, 3, 3)), 224, "VGG-16 with BatchNorm"),
    "vgg11": (lambda: vgg((1, 1, 2, 2, 2), bn=False), 224, "VGG-11 (no BatchNorm)"),
    "vgg16": (lambda: vgg((2, 2, 3, 3, 3), bn=False), 224, "VGG-16 (no BatchNorm)"),
    "lenet5": (lenet5, 28, "LeNet-5 (d2l layout: sigmoid, average pools, 28x28x1 input)"),
    "lenet5_bn": (lambda: lenet5(bn=True), 28, "LeNet-5 with BatchNorm and ReLU"),
    "alexnet": (alexnet, 224, "AlexNet (torchvision's one-tower layout)"),
    "nin": (nin, 224, "Network in Network (d2l's ImageNet layout)"),
    "googlenet": (googlenet, 224, "GoogLeNet (paper widths, 5x5 branch, BatchNorm, no aux heads)"),
    "googlenet_3x3": (
        lambda: googlenet(kernel=3),
        224,
        "GoogLeNet as torchvision builds it (3x3 conv in the 5x5 branch)",
    ),
    "resnet20_cifar": (lambda: cifar_resnet("res_basic", 3), 32, "CIFAR ResNet-20"),
    "resnet56_cifar": (lambda: cifar_resnet("res_basic", 9), 32, "CIFAR ResNet-56"),
    "resnet110_cifar": (lambda: cifar_resnet("res_basic", 18), 32, "CIFAR ResNet-110"),
    "vanilla56_cifar": (lambda: cifar_resnet("vanilla", 9), 32, "CIFAR ResNet-56 without shortcuts"),
}
for _name, (_make, _res, _summary) in _MODELS.items():
    ZOO.register(_name, ZooEntry(_make, _res, _summary))


def names() -> list[str]:
    return ZOO.names()


def get(name: str) -> NetSpec:
    return ZOO.get(name).make()


def resolution(name: str) -> int:
    return ZOO.get(name).resolution
