"""Where data sets are looked for, where the decode cache goes, and whether a folder is writable.

Search order for a named data set (e.g. ``cifar10``), first hit wins:

1. ``--data-dir`` / ``load_dataset(data_dir=...)``, when given;
2. ``$DESIGNSPACE_DATA``, when set;
3. the user's cache folder, ``$XDG_CACHE_HOME/designspace`` (``~/.cache/designspace`` when unset);
4. ``./data`` and 5. ``../shared/data``, relative to the current directory.

A missing data set is downloaded into the first of 1-3 (torchvision), unless
``$DESIGNSPACE_NO_DOWNLOAD`` is set (CI, offline machines).

The decode cache is written to ``$DESIGNSPACE_CACHE`` when set, else to the user's cache folder,
``$XDG_CACHE_HOME/designspace/cache`` (``~/.cache/designspace/cache``). A data folder is written
to only when asked: with ``$DESIGNSPACE_CACHE_BESIDE_DATA=1`` the cache goes into the data set's
own ``.designspace-cache/`` when that is writable (else the user's folder). A cache file is read
from whichever of these holds it (a cache found beside the data is used even when not asked to
write there), except that an explicit ``$DESIGNSPACE_CACHE`` is the only folder used. A folder
without any write permission bit counts as read-only even for root, so a shared read-only data
folder is never written to.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

CACHE_SUBDIR = ".designspace-cache"


def user_folder() -> Path:
    """``$XDG_CACHE_HOME/designspace``, or ``~/.cache/designspace``: downloads and (below it) the decode cache."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base).expanduser() if base and Path(base).expanduser().is_absolute() else Path("~/.cache").expanduser()
    return root / "designspace"


def beside_data_asked() -> bool:
    """``$DESIGNSPACE_CACHE_BESIDE_DATA`` set (and not 0): cache decoded data in the data set's folder."""
    return os.environ.get("DESIGNSPACE_CACHE_BESIDE_DATA", "") not in ("", "0")


@dataclass(frozen=True)
class Place:
    """A folder to search and what put it on the list (for error messages)."""

    path: Path
    why: str

    def __str__(self) -> str:
        where = os.path.abspath(self.path)
        return f"{where} ({self.why})" if self.why[0] in "-$" else where


def data_places(data_dir: str | os.PathLike[str] | None = None) -> list[Place]:
    """The folders searched for a named data set, in order, without duplicates."""
    places = []
    if data_dir is not None and str(data_dir) != "":
        places.append(Place(Path(data_dir).expanduser(), "--data-dir"))
    if os.environ.get("DESIGNSPACE_DATA"):
        places.append(Place(Path(os.environ["DESIGNSPACE_DATA"]).expanduser(), "$DESIGNSPACE_DATA"))
    places.append(Place(user_folder(), "default"))
    places.append(Place(Path("data"), "./data"))
    places.append(Place(Path("..") / "shared" / "data", "../shared/data"))
    seen, unique = set(), []
    for p in places:
        key = os.path.abspath(p.path)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def download_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where a download goes: the first of --data-dir, $DESIGNSPACE_DATA, the user's cache folder."""
    return data_places(data_dir)[0].path


def downloads_allowed() -> bool:
    return os.environ.get("DESIGNSPACE_NO_DOWNLOAD", "") in ("", "0")


def is_writable(folder: Path) -> bool:
    """True when we may create files in ``folder`` (or create it below a writable parent)."""
    p = folder
    while not p.exists():
        if p.parent == p:
            return False
        p = p.parent
    if not p.is_dir():
        return False
    mode = p.stat().st_mode
    return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) and os.access(p, os.W_OK)


def cache_dirs(dataset_dir: Path | None) -> list[Path]:
    """Folders that may hold cache files, in the order they are searched (and preferred for writing).

    ``$DESIGNSPACE_CACHE``, when set, is the only one: an explicit cache folder is never mixed
    with caches found elsewhere. Otherwise the user's cache folder comes first, and the data
    set's ``.designspace-cache/`` second (first when ``$DESIGNSPACE_CACHE_BESIDE_DATA`` asks for it).
    """
    if os.environ.get("DESIGNSPACE_CACHE"):
        return [Path(os.environ["DESIGNSPACE_CACHE"]).expanduser()]
    dirs = [user_folder() / "cache"]
    if dataset_dir is not None:
        beside = dataset_dir / CACHE_SUBDIR
        dirs.insert(0 if beside_data_asked() else 1, beside)
    return dirs


def cache_dir_for_writing(dataset_dir: Path | None) -> Path | None:
    """The first writable cache folder, or None (then nothing is cached).

    A data set's own folder is a candidate only when ``$DESIGNSPACE_CACHE_BESIDE_DATA`` asks for it.
    """
    for d in cache_dirs(dataset_dir):
        if d.name == CACHE_SUBDIR and dataset_dir is not None and d.parent == dataset_dir and not beside_data_asked():
            continue
        if is_writable(d):
            return d
    return None
