"""Reading TOML on every supported Python: ``tomllib`` (3.11+) or its backport ``tomli`` (3.10)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised by CI's Python 3.10 run
    import tomli as tomllib

__all__ = ["tomllib"]
