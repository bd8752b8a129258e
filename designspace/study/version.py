"""The code version stored with every trial: the package version and, when known, the git commit.

``+dirty`` means the code that ran differed from the commit: uncommitted changes to the package
(``designspace/``) or ``pyproject.toml``. Other tracked files do not count: a study's own storage
(``results/*.db``, tracked so that results are committed) changes while the study runs, and
before this rule every trial of a committed run was recorded as ``+dirty`` for that reason.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import designspace

__all__ = ["CODE_PATHS", "code_version"]

#: what "the code" is, relative to the checkout's root: changes elsewhere do not make it dirty
CODE_PATHS = ("designspace", "pyproject.toml")


@functools.cache
def code_version() -> dict[str, str | None]:
    """``{"version": "0.1.0", "commit": "<sha>[+dirty]" | None}`` (the commit of a source checkout)."""
    return {"version": designspace.__version__, "commit": git_commit(Path(__file__).resolve().parents[2])}


def git_commit(root: Path, paths: tuple[str, ...] = CODE_PATHS) -> str | None:
    """HEAD's sha, ``+dirty`` when tracked files under ``paths`` differ from it; None outside git."""
    if not (root / ".git").exists():
        return None
    try:
        sha = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no", "--", *paths)
    except (OSError, subprocess.SubprocessError):
        return None
    if not sha:
        return None
    return sha + ("+dirty" if dirty else "")


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True)
    return out.stdout.strip()
