"""Data sets, the decode cache, subsets and the batch loader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from torchvision.io import ImageReadMode, decode_image, read_file, write_png

from designspace.cli import main
from designspace.data import DATASETS, Dataset, EvalBatches, TrainBatches, load_dataset
from designspace.data.cache import atomic_save
from designspace.data.loader import crop_flip
from designspace.data.subset import stratified_indices
from designspace.errors import UsageError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CIFAR = SHARED / "cifar10"
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding and encoding:DeprecationWarning")
needs_cifar = pytest.mark.skipif(not (CIFAR / "train").is_dir(), reason=f"CIFAR-10 not found at {CIFAR}")


@pytest.fixture(autouse=True)
def _private_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Caches go to tmp_path, nothing is downloaded, no stray data folder is picked up."""
    monkeypatch.setenv("DESIGNSPACE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DESIGNSPACE_NO_DOWNLOAD", "1")
    for name in ("DESIGNSPACE_DATA", "DESIGNSPACE_CACHE_BESIDE_DATA", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)


# -- real data ---------------------------------------------------------------------------------
@needs_cifar
def test_cifar10_from_shared_data_subset(monkeypatch: pytest.MonkeyPatch, cifar_cache: Path) -> None:
    monkeypatch.setenv("DESIGNSPACE_CACHE", str(cifar_cache))
    before = sorted(p.name for p in CIFAR.iterdir())  # whatever another run may have left there
    data = load_dataset("cifar10", data_dir=SHARED, train_subset=300, test_subset=200, seed=0)
    assert data.train_x.shape == (300, 3, 32, 32) and data.train_x.dtype == torch.uint8
    assert data.test_x.shape == (200, 3, 32, 32)
    assert data.train_y.dtype == torch.int64
    assert data.classes == CIFAR_CLASSES
    assert (data.num_classes, data.in_channels, data.resolution) == (10, 3, 32)
    assert torch.bincount(data.train_y, minlength=10).tolist() == [30] * 10  # stratified
    assert torch.bincount(data.test_y, minlength=10).tolist() == [20] * 10
    # statistics of the full training split (shared/README.md)
    assert data.mean == pytest.approx((0.491, 0.482, 0.447), abs=2e-3)
    assert data.std == pytest.approx((0.245, 0.243, 0.261), abs=2e-3)
    # this call's cache is in the folder it was given, and it wrote nothing into the shared data
    assert f"(cache {cifar_cache}" in data.origin and list(cifar_cache.glob("cifar10-*.pt"))
    assert sorted(p.name for p in CIFAR.iterdir()) == before, "nothing may be written into the shared data"


@needs_cifar
def test_cifar10_cache_hit_and_labels_match_files(monkeypatch: pytest.MonkeyPatch, cifar_cache: Path) -> None:
    monkeypatch.setenv("DESIGNSPACE_CACHE", str(cifar_cache))
    first = load_dataset("cifar10", data_dir=SHARED)  # decoded by the test above, or now
    second = load_dataset("cifar10", data_dir=SHARED)
    assert second.cached, "the second load must come from the cache"
    assert torch.equal(first.train_x, second.train_x) and torch.equal(first.test_y, second.test_y)
    assert len(list(cifar_cache.glob("cifar10-*.pt"))) == 1
    assert not list(cifar_cache.glob("*.tmp")), "atomic writes leave no temporary files"
    # images are in class order, files sorted: spot-check pixels and labels against the files
    for split, x, y in (("train", second.train_x, second.train_y), ("test", second.test_x, second.test_y)):
        per_class = len(y) // 10
        for k in (0, 7):
            f = sorted((CIFAR / split / CIFAR_CLASSES[k]).iterdir())[3]
            i = k * per_class + 3
            assert torch.equal(x[i], decode_image(read_file(str(f)), mode=ImageReadMode.RGB))
            assert int(y[i]) == k


def test_search_order_and_offline_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DESIGNSPACE_DATA", str(tmp_path / "env"))
    with pytest.raises(UsageError) as e:
        load_dataset("cifar10", data_dir=tmp_path / "given")
    msg = str(e.value)
    assert "\n" not in msg
    for place in ("given (--data-dir)", "env ($DESIGNSPACE_DATA)", "home/.cache/designspace", "data", "shared/data"):
        assert place in msg
    assert msg.index("given") < msg.index("env (") < msg.index("home/") < msg.index("shared/data")
    assert "--data-dir" in msg and "DESIGNSPACE_DATA=" in msg
    # ./data is searched: an ImageFolder layout there is found
    _write_tree(tmp_path / "data" / "cifar10", classes=("a", "b"), per_class=2, size=8)
    data = load_dataset("cifar10", data_dir=tmp_path / "given")
    assert data.classes == ("a", "b") and data.resolution == 8


# -- image folders -----------------------------------------------------------------------------
def _write_tree(root: Path, classes: tuple[str, ...], per_class: int, size: int, channels: int = 3, vary: bool = False):
    g = torch.Generator().manual_seed(0)
    for split in ("train", "test"):
        for k, c in enumerate(classes):
            (root / split / c).mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                s = size + (i % 2) * 3 if vary else size
                img = torch.randint(0, 256, (channels, s, s + (1 if vary else 0)), generator=g, dtype=torch.uint8)
                img[:, 0, 0] = k  # the label, readable back from the pixels
                write_png(img, str(root / split / c / f"{i:03d}.png"))


def test_imagefolder_grayscale_resize_and_errors(tmp_path: Path) -> None:
    root = tmp_path / "digits"
    _write_tree(root, classes=("zero", "one", "two"), per_class=4, size=10, channels=1, vary=True)
    with pytest.raises(ValueError, match="resize"):
        load_dataset(f"imagefolder:{root}")  # sizes differ
    data = load_dataset(f"imagefolder:{root}", resize=8)
    assert data.train_x.shape == (12, 1, 8, 8) and data.in_channels == 1 and data.resolution == 8
    assert data.classes == ("one", "two", "zero")  # sorted folder names
    assert len(data.mean) == 1
    again = load_dataset(f"imagefolder:{root}", resize=8)
    assert again.cached and torch.equal(again.train_x, data.train_x)
    other = load_dataset(f"imagefolder:{root}", resize=6)  # another size: another cache entry
    assert not other.cached and other.resolution == 6
    with pytest.raises(ValueError, match="no train/ folder"):
        load_dataset(f"imagefolder:{tmp_path}")
    with pytest.raises(ValueError, match="not a folder"):
        load_dataset(f"imagefolder:{tmp_path / 'missing'}")
    with pytest.raises(ValueError, match="needs a path"):
        load_dataset("imagefolder")


def test_native_cache_serves_a_resize_to_its_own_size(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    _write_tree(root, classes=("a", "b"), per_class=3, size=8)
    native = load_dataset(f"imagefolder:{root}")
    same = load_dataset(f"imagefolder:{root}", resize=8)  # what a 32-px study asks of CIFAR-10
    assert same.cached and torch.equal(same.train_x, native.train_x) and torch.equal(same.test_y, native.test_y)
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 1  # no second copy of the same pixels
    smaller = load_dataset(f"imagefolder:{root}", resize=4)
    assert not smaller.cached and smaller.resolution == 4
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 2


def test_cache_key_follows_content(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _write_tree(root, classes=("a", "b"), per_class=3, size=6)
    first = load_dataset(f"imagefolder:{root}")
    assert not first.cached and load_dataset(f"imagefolder:{root}").cached
    _write_tree(root, classes=("a", "b", "c"), per_class=3, size=6)  # a new class
    changed = load_dataset(f"imagefolder:{root}")
    assert not changed.cached and changed.num_classes == 3
    labels_from_pixels = changed.train_x[:, 0, 0, 0].to(torch.int64)
    assert torch.equal(labels_from_pixels, changed.train_y)


def test_a_new_cache_file_supersedes_the_old_one_of_the_same_folder(tmp_path: Path) -> None:
    """A folder copied afresh (new mtimes) is decoded again, and its old cache file goes."""
    roots = [tmp_path / "one" / "tree", tmp_path / "two" / "tree"]  # same name, different folders
    for root in roots:
        _write_tree(root, classes=("a", "b"), per_class=3, size=6)
        assert not load_dataset(f"imagefolder:{root}").cached
    before = sorted(p.name for p in (tmp_path / "cache").glob("*.pt"))
    assert len(before) == 2 and all(name.startswith("tree-native-") for name in before)
    for f in roots[0].rglob("*.png"):
        os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    again = load_dataset(f"imagefolder:{roots[0]}")
    assert not again.cached  # the key follows the files' mtimes
    after = sorted(p.name for p in (tmp_path / "cache").glob("*.pt"))
    assert len(after) == 2 and len(set(after) - set(before)) == 1  # the other folder's file is kept
    assert load_dataset(f"imagefolder:{roots[0]}").cached and load_dataset(f"imagefolder:{roots[1]}").cached


def test_cache_goes_to_the_user_cache_folder_unless_asked_to_go_beside_the_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DESIGNSPACE_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "tree"
    _write_tree(root, classes=("a", "b"), per_class=2, size=4)
    beside = root / ".designspace-cache"
    # default: ~/.cache/designspace/cache, never the (writable) data folder
    first = load_dataset(f"imagefolder:{root}")
    home_cache = tmp_path / "home" / ".cache" / "designspace" / "cache"
    assert not first.cached and len(list(home_cache.glob("tree-*.pt"))) == 1 and not beside.exists()
    assert load_dataset(f"imagefolder:{root}").cached
    # $XDG_CACHE_HOME moves it
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert not load_dataset(f"imagefolder:{root}", resize=2).cached
    assert len(list((tmp_path / "xdg" / "designspace" / "cache").glob("tree-2-*.pt"))) == 1 and not beside.exists()
    # beside the data only when asked
    monkeypatch.setenv("DESIGNSPACE_CACHE_BESIDE_DATA", "1")
    assert not load_dataset(f"imagefolder:{root}", resize=3).cached
    assert len(list(beside.glob("tree-3-*.pt"))) == 1
    # a cache found beside the data is read even when not asked to write there
    monkeypatch.delenv("DESIGNSPACE_CACHE_BESIDE_DATA")
    assert load_dataset(f"imagefolder:{root}", resize=3).cached


def test_atomic_save_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "c" / "entry.pt"
    atomic_save({"x": torch.arange(3)}, path)
    atomic_save({"x": torch.arange(5)}, path)
    assert torch.load(path, weights_only=True)["x"].tolist() == [0, 1, 2, 3, 4]
    assert os.listdir(path.parent) == ["entry.pt"]


# -- names, subsets, synthetic -----------------------------------------------------------------
def test_unknown_dataset_name() -> None:
    with pytest.raises(ValueError, match="did you mean: cifar10"):
        load_dataset("cifar1O")
    assert {"cifar10", "imagefolder", "synthetic"} <= set(DATASETS.names())


def test_stratified_indices() -> None:
    labels = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    gen = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    idx = stratified_indices(labels, 10, 3, gen(0))
    assert torch.bincount(labels[idx], minlength=3).tolist() == [5, 3, 2]
    assert torch.equal(idx, stratified_indices(labels, 10, 3, gen(0)))
    assert not torch.equal(idx, stratified_indices(labels, 10, 3, gen(1)))
    assert idx.unique().numel() == 10
    odd = stratified_indices(labels, 7, 3, gen(0))  # 3.5, 2.1, 1.4 -> remainders to classes 0 and 2
    assert torch.bincount(labels[odd], minlength=3).tolist() == [4, 2, 1]
    for bad in (0, 101, -1):
        with pytest.raises(ValueError, match="subset"):
            stratified_indices(labels, bad, 3, gen(0))


def test_subsets_are_seeded_and_independent() -> None:
    a = load_dataset("synthetic:size=8,train=400,test=200", train_subset=100, test_subset=50, seed=3)
    b = load_dataset("synthetic:size=8,train=400,test=200", train_subset=100, seed=3)
    c = load_dataset("synthetic:size=8,train=400,test=200", train_subset=100, test_subset=50, seed=4)
    assert torch.equal(a.train_x, b.train_x)  # the test subset does not shift the train subset
    assert b.test_x.shape[0] == 200
    assert not torch.equal(a.train_x, c.train_x)
    assert torch.bincount(a.train_y, minlength=10).tolist() == [10] * 10


def test_synthetic_options() -> None:
    data = load_dataset("synthetic:channels=1,size=12,classes=4,train=40,test=20")
    assert data.train_x.shape == (40, 1, 12, 12) and data.num_classes == 4 and data.in_channels == 1
    assert torch.equal(data.train_x, load_dataset("synthetic:channels=1,size=12,classes=4,train=40,test=20").train_x)
    assert load_dataset("synthetic:train=40,test=20", resize=20).resolution == 20
    with pytest.raises(ValueError, match="bad option"):
        load_dataset("synthetic:colour=3")
    with pytest.raises(ValueError, match="takes no"):
        load_dataset("cifar10:x")


def test_dataset_validates_fields() -> None:
    x = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
    y = torch.zeros(4, dtype=torch.int64)
    with pytest.raises(ValueError, match="uint8"):
        Dataset("d", x.float(), y, x, y, ("a",), (0.5,) * 3, (0.2,) * 3)
    with pytest.raises(ValueError, match="labels"):
        Dataset("d", x, y + 5, x, y, ("a",), (0.5,) * 3, (0.2,) * 3)
    with pytest.raises(ValueError, match="square"):
        Dataset("d", x[..., :6], y, x[..., :6], y, ("a",), (0.5,) * 3, (0.2,) * 3)


# -- loader ------------------------------------------------------------------------------------
def _reference_crop_flip(x: torch.Tensor, top: torch.Tensor, left: torch.Tensor, flip: torch.Tensor, p: int):
    out = []
    for img, t, lft, f in zip(x, top.tolist(), left.tolist(), flip.tolist()):
        padded = torch.nn.functional.pad(img, (p, p, p, p))
        crop = padded[:, t : t + img.shape[1], lft : lft + img.shape[2]]
        out.append(crop.flip(-1) if f else crop)
    return torch.stack(out)


def test_crop_flip_matches_per_image_reference() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (16, 3, 10, 10), generator=g, dtype=torch.uint8)
    top, left = torch.randint(0, 9, (16,), generator=g), torch.randint(0, 9, (16,), generator=g)
    flip = torch.randint(0, 2, (16,), generator=g).bool()
    assert torch.equal(crop_flip(x, top, left, flip, 4), _reference_crop_flip(x, top, left, flip, 4))
    zeros = torch.zeros(16, dtype=torch.int64)
    assert torch.equal(crop_flip(x, zeros, zeros, torch.zeros(16, dtype=torch.bool), 0), x)


def test_train_batches_are_deterministic_and_normalized() -> None:
    data = load_dataset("synthetic:size=16,train=600,test=100")

    def epoch(seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        tb = TrainBatches(
            data.train_x,
            data.train_y,
            batch_size=128,
            mean=data.mean,
            std=data.std,
            generator=torch.Generator().manual_seed(seed),
            channels_last=True,
        )
        assert len(tb) == 4  # full batches only
        return list(tb)

    a, b, c = epoch(1), epoch(1), epoch(2)
    assert all(torch.equal(xa, xb) and torch.equal(ya, yb) for (xa, ya), (xb, yb) in zip(a, b))
    assert not torch.equal(a[0][0], c[0][0])
    x0, y0 = a[0]
    assert x0.shape == (128, 3, 16, 16) and x0.dtype == torch.float32 and y0.dtype == torch.int64
    assert x0.is_contiguous(memory_format=torch.channels_last)
    evb = EvalBatches(data.train_x, data.train_y, batch_size=256, mean=data.mean, std=data.std)
    ev = torch.cat([xb for xb, _ in evb])
    assert ev.shape[0] == 600
    assert ev.mean(dim=(0, 2, 3)).abs().max() < 1e-3 and (ev.std(dim=(0, 2, 3)) - 1).abs().max() < 1e-2


# -- CLI ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "dataset, message",
    [("cifar100", "unknown dataset"), ("imagefolder:/no/such/dir", "not a folder"), ("synthetic:size=x", "number")],
)
def test_cli_bad_dataset_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture, dataset: str, message: str):
    spec = tmp_path / "tiny.json"
    spec.write_text(json.dumps(TINY))
    assert main(["train", str(spec), "--dataset", dataset, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and err.startswith("designspace train: error:")


TINY = {
    "stem": {"kind": "cifar", "width": 8},
    "stages": [{"block": "res_basic", "depth": 1, "width": 16, "stride": 2}],
    "head": {"kind": "linear", "num_classes": 10},
}
