"""The decode cache: decoded splits stored as one uint8 tensor file, keyed by content and size.

The key hashes the sorted relative paths, sizes and modification times of the source files, the
requested image size and the decoder's version, so editing, adding or removing an image, or asking
for another size, gives a new file. The file name also carries a short hash of the source folder's
path: a new file for the same folder and size supersedes the older ones there, which are deleted
(a data folder copied afresh, with new modification times, does not leave a stale copy behind each
time). Files are written to a temporary name and renamed into place, so processes loading at the
same time never see a half-written cache, and one still reading a superseded file keeps its data
(on POSIX an open or memory-mapped file outlives its deletion).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch

from designspace.data.locate import cache_dir_for_writing, cache_dirs

CACHE_FORMAT = 1


def fingerprint(rows: Iterable[str], *extra: object) -> str:
    """sha256 of ``rows`` (one per file: relative path, size, mtime; see :func:`file_row`) and ``extra``."""
    h = hashlib.sha256(f"designspace-cache-v{CACHE_FORMAT}".encode())
    for item in extra:
        h.update(repr(item).encode() + b"\0")
    for row in sorted(rows):
        h.update(row.encode() + b"\n")
    return h.hexdigest()


def file_row(relpath: str, st: os.stat_result) -> str:
    return f"{relpath}\0{st.st_size}\0{st.st_mtime_ns}"


def folder_rows(folder: Path) -> list[str]:
    """:func:`file_row` of every file below ``folder`` (hidden files and folders left out)."""
    rows = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                full = os.path.join(dirpath, name)
                rows.append(file_row(os.path.relpath(full, folder), os.stat(full)))
    return rows


def cache_name(label: str, size: int | None, key: str, source: Path) -> str:
    """``<label>-<size>-<source>-<key>.pt``; the part before the key names what a new file supersedes."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in label) or "data"
    where = hashlib.sha256(str(Path(source).resolve()).encode()).hexdigest()[:8]
    return f"{safe}-{size or 'native'}-{where}-{key[:24]}.pt"


def drop_superseded(path: Path) -> list[Path]:
    """Delete the other cache files of ``path``'s source and size in its folder; returns them."""
    prefix = path.name[: path.name.rindex("-") + 1]
    gone = []
    for old in path.parent.glob(f"{prefix}*.pt"):
        if old.name != path.name and len(old.name) == len(path.name):
            try:
                old.unlink()
                gone.append(old)
            except OSError:  # in use (Windows) or not ours to delete: it stays
                pass
    return gone


def find(dataset_dir: Path | None, name: str) -> Path | None:
    for d in cache_dirs(dataset_dir):
        p = d / name
        if p.is_file():
            return p
    return None


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cache is as readable as the data
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cached(
    dataset_dir: Path | None, name: str, build: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool, Path | None]:
    """The cache entry ``name`` (loaded, memory-mapped) or ``build()`` saved under it.

    Returns ``(entry, hit, path)``. When no cache folder is writable the entry is built and not
    saved (a note goes to stderr).
    """
    hit = find(dataset_dir, name)
    if hit is not None:
        try:
            return torch.load(hit, map_location="cpu", weights_only=True, mmap=True), True, hit
        except Exception as e:  # a corrupt or foreign file: rebuild it
            print(f"designspace: ignoring unreadable cache {hit}: {e}", file=sys.stderr)
    entry = build()
    folder = cache_dir_for_writing(dataset_dir)
    if folder is None:
        print("designspace: no writable cache folder; set DESIGNSPACE_CACHE to cache decoded data", file=sys.stderr)
        return entry, False, None
    path = folder / name
    try:
        atomic_save(entry, path)
    except OSError as e:
        print(f"designspace: could not write cache {path}: {e}", file=sys.stderr)
        return entry, False, None
    drop_superseded(path)
    return entry, False, path
