"""``mnist`` / ``fashion_mnist``: found in torchvision's raw layout or an ImageFolder tree (no downloads).

The data written here is small and synthetic (28x28, one channel) in the exact formats the real
data sets come in: torchvision's IDX files under ``MNIST/raw`` and a ``{train,test}/<class>/*.png`` tree.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import designspace as ds
from designspace.data import DATASETS, load_dataset
from designspace.errors import UsageError

N_TRAIN, N_TEST = 30, 10


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only tmp_path is searched: no real data, no downloads, no cache outside tmp_path."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DESIGNSPACE_NO_DOWNLOAD", "1")
    monkeypatch.delenv("DESIGNSPACE_DATA", raising=False)
    monkeypatch.delenv("DESIGNSPACE_CACHE", raising=False)
    monkeypatch.chdir(tmp_path)


def images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def write_idx(raw: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """torchvision's MNIST files (uncompressed IDX) in ``raw``; returns what was written."""
    raw.mkdir(parents=True)
    written = {}
    for split, prefix, n, seed in (("train", "train", N_TRAIN, 0), ("test", "t10k", N_TEST, 1)):
        x, y = images(n, seed)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x803, n, 28, 28) + x.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, n) + y.tobytes())
        written[split] = (x, y)
    return written


def write_tree(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """An ImageFolder tree of gray PNGs, classes ``0``..``9``."""
    written = {}
    for split, n, seed in (("train", N_TRAIN, 2), ("test", N_TEST, 3)):
        x, y = images(n, seed)
        for i, (img, label) in enumerate(zip(x, y)):
            folder = root / split / str(label)
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img, mode="L").save(folder / f"{i:03d}.png")
        written[split] = (x, y)
    return written


def check(data, written: dict[str, tuple[np.ndarray, np.ndarray]], *, ordered: bool) -> None:
    for split in ("train", "test"):
        x, y = getattr(data, f"{split}_x"), getattr(data, f"{split}_y")
        wx, wy = written[split]
        assert x.shape == (len(wx), 1, 28, 28) and x.dtype == torch.uint8
        if ordered:
            assert torch.equal(x[:, 0], torch.from_numpy(wx)) and torch.equal(y, torch.from_numpy(wy).long())
        else:  # ImageFolder order: by class folder, then file name
            assert sorted(map(bytes, x[:, 0].numpy())) == sorted(map(bytes, wx))
            assert sorted(y.tolist()) == sorted(wy.tolist())
    assert data.train_x.shape[1] == len(data.mean) == len(data.std) == 1


@pytest.mark.parametrize("name, folder, flip", [("mnist", "MNIST", False), ("fashion_mnist", "FashionMNIST", True)])
def test_torchvision_layout(tmp_path: Path, name: str, folder: str, flip: bool) -> None:
    written = write_idx(tmp_path / "d" / folder / "raw")
    data = load_dataset(name, data_dir=tmp_path / "d")
    check(data, written, ordered=True)
    assert len(data.classes) == 10 and data.flip is flip
    assert load_dataset(name, data_dir=tmp_path / "d").cached  # decoded once


def test_imagefolder_layout_and_resize(tmp_path: Path) -> None:
    written = write_tree(tmp_path / "d" / "mnist")
    data = load_dataset("mnist", data_dir=tmp_path / "d")
    check(data, written, ordered=False)
    assert data.classes == tuple(str(i) for i in range(10))
    big = load_dataset("mnist", data_dir=tmp_path / "d", resize=96, train_subset=10, test_subset=5)
    assert big.train_x.shape == (10, 1, 96, 96) and big.test_x.shape == (5, 1, 96, 96)


def test_found_through_data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_idx(tmp_path / "elsewhere" / "fashion_mnist" / "FashionMNIST" / "raw")
    monkeypatch.setenv("DESIGNSPACE_DATA", str(tmp_path / "elsewhere"))
    assert load_dataset("fashion_mnist").train_x.shape == (N_TRAIN, 1, 28, 28)


def test_missing_without_download_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="mnist not found in .*downloads are off"):
        load_dataset("mnist", data_dir=tmp_path / "empty")
    assert {"mnist", "fashion_mnist"} <= set(DATASETS.names())


def test_one_channel_data_feeds_the_models(tmp_path: Path) -> None:
    """LeNet takes the 28x28 images as they are; a 3-channel zoo model is built with in_channels=1."""
    write_idx(tmp_path / "MNIST" / "raw")
    data = load_dataset("mnist", data_dir=tmp_path)
    x = data.train_x[:4].float() / 255
    channels = data.train_x.shape[1]
    assert ds.build_model("lenet5", in_channels=channels)(x).shape == (4, 10)
    model = ds.build_model("resnet20_cifar", num_classes=len(data.classes), in_channels=channels)
    assert model(x).shape == (4, 10)
