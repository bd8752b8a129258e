"""Small validators of a study config's values: one-line errors naming the TOML key."""

from __future__ import annotations

import difflib
import math
from typing import Any


class BadValue(ValueError):
    """A bad value in a study config (the message names its key)."""


def bad_value(key: str, value: object, why: str) -> BadValue:
    return BadValue(f"{key}={value!r}: {why}")


def check_int(value: object, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_value(key, value, "must be an integer")


def parse_train_seed(value: object) -> int | tuple[int, ...] | None:
    """``study.train_seed``: None, an integer, or a non-empty list of distinct integers (a tuple)."""
    if value is None or not isinstance(value, (list, tuple)):
        if value is not None:
            check_int(value, "study.train_seed")
        return value  # type: ignore[return-value]
    for v in value:
        check_int(v, "study.train_seed")
    if not value or len(set(value)) != len(value):
        raise bad_value("study.train_seed", list(value), "a list must hold distinct integers")
    return tuple(value)


def check_positive_int(value: object, key: str) -> None:
    check_int(value, key)
    if value < 1:  # type: ignore[operator]
        raise bad_value(key, value, "must be a positive integer")


def check_positive_number(value: object, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise bad_value(key, value, "must be a positive number")


def parse_bounds(value: object, key: str) -> tuple[float, float] | None:
    """``"4M:12M"`` (an open side: ``":12M"``) or ``[low, high]`` (numbers or ``"4M"``) -> (low, high)."""
    if value is None:
        return None
    from designspace.spaces.regime import parse_quantity, parse_range

    if isinstance(value, (list, tuple)):
        if len(value) != 2 or any(isinstance(v, bool) for v in value):
            raise bad_value(key, value, "must be [low, high] or 'LOW:HIGH', e.g. '4M:12M'")
        try:
            value = tuple(parse_quantity(v, key) if isinstance(v, str) else v for v in value)
        except ValueError as e:
            raise BadValue(str(e)) from None
    elif not isinstance(value, str):
        raise bad_value(key, value, "must be [low, high] or 'LOW:HIGH', e.g. '4M:12M'")
    try:
        lo, hi = parse_range(value, key)
    except ValueError as e:
        raise BadValue(str(e)) from None
    return (lo, hi)


def bounds_text(bounds: tuple[float, float]) -> str:
    """(4e6, inf) -> '4000000:' (exact, JSON-safe, read back by :func:`_range`)."""
    return ":".join("" if math.isinf(b) else (str(int(b)) if float(b).is_integer() else repr(float(b))) for b in bounds)


def frozen_value(value: Any, key: str) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(frozen_value(v, key) for v in value)
    if value is None or isinstance(value, dict) or not isinstance(value, (bool, int, float, str)):
        raise bad_value(key, value, "must be a number, a string, a boolean or a list of them")
    return value


def thawed_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [thawed_value(v) for v in value]
    return value


def did_you_mean(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {match[0]!r}?)" if match else f" (known: {', '.join(choices)})"
