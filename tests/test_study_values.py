"""A study config's value checks: the rules of ``designspace.ui.checks`` with the study's wording, as ``BadValue``."""

from __future__ import annotations

import math

import pytest

from designspace.study.values import (
    BadValue,
    check_int,
    check_positive_int,
    check_positive_number,
    did_you_mean,
    parse_bounds,
    parse_train_seed,
)


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (check_int, 1.5, "k=1.5: must be an integer"),
        (check_int, True, "k=True: must be an integer"),
        (check_positive_int, "2", "k='2': must be an integer"),
        (check_positive_int, 0, "k=0: must be a positive integer"),
        (check_positive_number, 0, "k=0: must be a positive number"),
        (check_positive_number, math.inf, "k=inf: must be a positive number"),
        (check_positive_number, False, "k=False: must be a positive number"),
        (check_positive_number, "lots", "k='lots': must be a positive number"),
        (parse_bounds, "8M:1M", "k='8M:1M': LO > HI"),
        (parse_bounds, ["1M", "x"], "k='x': not a number"),
        (parse_bounds, [1, 2, 3], "k=[1, 2, 3]: must be [low, high] or 'LOW:HIGH'"),
    ],
)
def test_a_bad_value_is_one_bad_value_line_naming_the_key(check, value, message) -> None:
    with pytest.raises(BadValue) as caught:
        check(value, "k")
    assert str(caught.value).startswith(message), str(caught.value)
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)  # no chained trace


def test_good_values_pass_and_bounds_parse() -> None:
    check_int(-3, "k")
    check_positive_int(1, "k")
    check_positive_number(0.5, "k")
    assert parse_bounds("4M:12M", "k") == (4e6, 12e6)
    assert parse_bounds(["4M", 12e6], "k") == (4e6, 12e6)
    assert parse_bounds(":2M", "k") == (0.0, 2e6)
    assert parse_bounds(None, "k") is None
    assert parse_train_seed([3, 1]) == (3, 1)
    with pytest.raises(BadValue, match="distinct"):
        parse_train_seed([1, 1])


def test_did_you_mean_names_the_closest_key_else_lists_them() -> None:
    keys = ["study.trials", "study.seed", "study.mode"]
    assert did_you_mean("study.trails", keys) == " (did you mean 'study.trials'?)"
    assert did_you_mean("zzz", keys) == " (known: study.trials, study.seed, study.mode)"
