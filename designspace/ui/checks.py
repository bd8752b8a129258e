"""The validator kit: each check returns the clean value or raises ``ValueError`` as ``name=value: why``.

Specs, training configs, calibration plans and analysis options check their fields with these, so a
bad value reads the same wherever it is given.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from typing import Any


def fail(name: str, value: object, why: str) -> ValueError:
    """The error of one bad value: ``name=value: why`` (raise it)."""
    return ValueError(f"{name}={value!r}: {why}")


def integer(name: str, value: Any, *, low: int | None = None) -> int:
    """An integer (not a bool), at least ``low``: else "must be an integer" (">= low" when there is one)."""
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low):
        raise fail(name, value, "must be an integer" + (f" >= {low}" if low is not None else ""))
    return value


def number(
    name: str, value: Any, *, low: float | None = None, high: float | None = None, open_low: bool = False
) -> float:
    """A finite number (not a bool) in ``[low, high]`` (``(low, high]`` with ``open_low``), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise fail(name, value, "must be a finite number")
    if low is not None and (value < low or (open_low and value == low)):
        raise fail(name, value, f"must be {'>' if open_low else '>='} {low}")
    if high is not None and value > high:
        raise fail(name, value, f"must be <= {high}")
    return float(value)


def choice(name: str, value: Any, options: Iterable[str]) -> str:
    """One of ``options``."""
    options = tuple(options)
    if value not in options:
        raise fail(name, value, f"must be one of {', '.join(options)}")
    return value


def flag(name: str, value: Any) -> bool:
    """``True`` or ``False`` (not 0 or 1)."""
    if not isinstance(value, bool):
        raise fail(name, value, "must be true or false")
    return value


def keys(where: str, data: Any, allowed: Collection[str], required: Iterable[str] = ()) -> dict[str, Any]:
    """A JSON object (dict) with only ``allowed`` keys and every ``required`` one."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: must be a JSON object, got {data!r}")
    for key in data:
        if key not in allowed:
            raise ValueError(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in data:
            raise ValueError(f"{where}: missing key {key!r}")
    return data
