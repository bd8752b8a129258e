"""The code version stored with every trial: the package version and, when known, the git commit."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

__all__ = ["code_version"]


@functools.cache
def code_version() -> dict[str, str | None]:
    """``{"version": "0.1.0", "commit": "<sha>[+dirty]" | None}`` (the commit of a source checkout)."""
    from designspace import __version__

    return {"version": __version__, "commit": _git_commit(Path(__file__).resolve().parents[2])}


def _git_commit(root: Path) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        sha = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    if not sha:
        return None
    return sha + ("+dirty" if dirty else "")


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True)
    return out.stdout.strip()
