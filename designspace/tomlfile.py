"""Reading TOML on every supported Python: ``tomllib`` (3.11+) or its backport ``tomli`` (3.10).

:func:`load_toml` reads a user's TOML file with the one-line errors every command gives for it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised by CI's Python 3.10 run
    import tomli as tomllib

__all__ = ["load_toml", "tomllib"]


def load_toml(path: str | Path, what: str) -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; ``FileNotFoundError`` ("``what`` 'path' does not exist") or a
    one-line ``ValueError`` ("path: invalid TOML: ...")."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: invalid TOML: {e}") from None
