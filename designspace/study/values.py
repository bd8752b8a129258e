"""Small validators of a study config's values: one-line errors naming the TOML key.

The rules are :mod:`designspace.ui.checks`' (and :mod:`designspace.ui.messages`' for a close name); here they
raise :class:`BadValue`, which the config loader tells from other errors, with the study's wording.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from designspace.regime import parse_quantity, parse_range
from designspace.ui import checks
from designspace.ui.messages import close_matches


class BadValue(ValueError):
    """A bad value in a study config (the message names its key)."""


def bad_value(key: str, value: object, why: str) -> BadValue:
    """``key=value: why`` (:func:`designspace.ui.checks.fail`'s form) as a :class:`BadValue`."""
    return BadValue(str(checks.fail(key, value, why)))


@contextmanager
def as_bad_value() -> Iterator[None]:
    """A ``ValueError`` raised inside (a check of :mod:`designspace.ui.checks`, a range) as a :class:`BadValue`."""
    try:
        yield
    except ValueError as e:
        raise BadValue(str(e)) from None


def check_int(value: object, key: str) -> None:
    with as_bad_value():
        checks.integer(key, value)


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
    """A finite number > 0 (not a bool): else ``key=value: must be a positive number``."""
    try:
        checks.number(key, value, low=0, open_low=True)
    except ValueError:
        raise bad_value(key, value, "must be a positive number") from None


def parse_bounds(value: object, key: str) -> tuple[float, float] | None:
    """``"4M:12M"`` (an open side: ``":12M"``) or ``[low, high]`` (numbers or ``"4M"``) -> (low, high)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or any(isinstance(v, bool) for v in value):
            raise bad_value(key, value, "must be [low, high] or 'LOW:HIGH', e.g. '4M:12M'")
        with as_bad_value():
            value = tuple(parse_quantity(v, key) if isinstance(v, str) else v for v in value)
    elif not isinstance(value, str):
        raise bad_value(key, value, "must be [low, high] or 'LOW:HIGH', e.g. '4M:12M'")
    with as_bad_value():
        return parse_range(value, key)


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
    """`` (did you mean 'x'?)`` with the closest of ``choices`` (:func:`designspace.ui.messages.close_matches`),
    else `` (known: a, b)``: the tail of an unknown key's message."""
    match = close_matches(word, choices, n=1)
    return f" (did you mean {match[0]!r}?)" if match else f" (known: {', '.join(choices)})"
