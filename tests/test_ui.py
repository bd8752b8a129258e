"""designspace.ui: the one home of input checks, messages, SI numbers and text tables."""

from __future__ import annotations

import math

import pytest

from designspace.ui import checks
from designspace.ui.messages import first_line, unknown_name_message
from designspace.ui.numbers import si
from designspace.ui.table import format_table


@pytest.mark.parametrize(
    "x, fmt, text",
    [
        (12_500_000, ".4g", "12.5M"),
        (12_500_000, ".2f", "12.50M"),
        (999, ".2f", "999"),
        (1000, ".4g", "1k"),
        (-2.5e9, ".4g", "-2.5G"),
        (0.5, ".4g", "0.5"),
        (math.inf, ".4g", "inf"),
    ],
)
def test_si(x: float, fmt: str, text: str) -> None:
    assert si(x, fmt) == text


def test_format_table_aligns_rules_and_strips() -> None:
    rows = [("name", "n", "note"), ("a", "10", ""), ("bbb", "2", "x")]
    assert format_table(rows, right=(1,), rules=(0, 1)).splitlines() == [
        "name   n  note",
        "----  --  ----",
        "a     10",
        "----  --  ----",
        "bbb    2  x",
    ]


def test_first_line() -> None:
    assert first_line(ValueError("  one\ntwo")) == "one"
    assert first_line(KeyError()) == "KeyError"


def test_unknown_name_message() -> None:
    assert unknown_name_message("stem", "cifra", ["cifar", "simple"]) == "unknown stem 'cifra'; did you mean: cifar"
    assert unknown_name_message("stem", "zzz", ["b", "a"]) == "unknown stem 'zzz'; known: a, b"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: checks.integer("d", 1.5), "d=1.5: must be an integer"),
        (lambda: checks.integer("d", True), "d=True: must be an integer"),
        (lambda: checks.integer("d", 0, low=1), "d=0: must be an integer >= 1"),
        (lambda: checks.integer("d", 1.5, low=1), "d=1.5: must be an integer >= 1"),
        (lambda: checks.number("lr", math.nan), "lr=nan: must be a finite number"),
        (lambda: checks.number("lr", 0, low=0, open_low=True), "lr=0: must be > 0"),
        (lambda: checks.number("m", 2, high=1), "m=2: must be <= 1"),
        (lambda: checks.choice("x", "c", ("a", "b")), "x='c': must be one of a, b"),
        (lambda: checks.flag("bn", 1), "bn=1: must be true or false"),
        (lambda: checks.keys("head", [], {"a"}), "head: must be a JSON object, got []"),
        (lambda: checks.keys("head", {"b": 1}, {"a"}), "head: unknown key 'b' (allowed: a)"),
        (lambda: checks.keys("head", {}, {"a"}, ["a"]), "head: missing key 'a'"),
    ],
)
def test_checks_say_name_value_and_why(call, message: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError) as e:
        call()
    assert str(e.value) == message


def test_checks_return_the_clean_value() -> None:
    assert checks.number("lr", 1) == 1.0 and isinstance(checks.number("lr", 1), float)
    assert checks.integer("d", 3, low=1) == 3
    assert checks.choice("x", "a", ["a"]) == "a"


def test_load_toml_says_what_is_wrong_in_one_line(tmp_path) -> None:  # noqa: ANN001
    from designspace.tomlfile import load_toml

    with pytest.raises(FileNotFoundError, match=r"^study config '.*nope.toml' does not exist$"):
        load_toml(tmp_path / "nope.toml", "study config")
    bad = tmp_path / "bad.toml"
    bad.write_text("a = \n")
    with pytest.raises(ValueError, match=r"bad.toml: invalid TOML: ") as e:
        load_toml(bad, "study config")
    assert "\n" not in str(e.value)
    bad.write_text("a = 1\n")
    assert load_toml(bad, "study config") == {"a": 1}
