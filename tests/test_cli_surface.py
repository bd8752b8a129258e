"""The command line's surface: fast help without markup, and errors that tell bad input from bugs."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from designspace.cli import COMMANDS, INTERNAL_ERROR, USAGE_ERROR, main, make_parser
from designspace.cli import describe as describe_cli


def _all_help(parser: argparse.ArgumentParser) -> list[str]:
    texts = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                texts.extend(_all_help(child))
    return texts


def test_top_level_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom designspace.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'scipy', 'matplotlib', 'pandas', 'optuna') if m in sys.modules)\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "HEAVY []" in out
    for name, line in COMMANDS.items():
        assert name in out and line.split(":")[0][:30] in " ".join(out.split())


def test_every_command_registers_the_help_line_the_listing_shows() -> None:
    parser = make_parser("*")  # every module, fully
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == list(COMMANDS)
    assert {c.dest: c.help for c in sub._choices_actions} == COMMANDS


def test_help_text_has_no_docstring_markup() -> None:
    for text in _all_help(make_parser("*")):
        assert "``" not in text and ":func:" not in text and ":mod:" not in text, text[:200]


def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture) -> None:
    assert main(["describe", "no_such_model"]) == USAGE_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("designspace describe: error:")


def _boom(args: argparse.Namespace) -> int:
    return {}["a bug"]  # a KeyError: not the user's input


def test_an_internal_error_is_told_apart_and_asks_for_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(describe_cli, "run", _boom)
    monkeypatch.delenv("DESIGNSPACE_DEBUG", raising=False)
    assert main(["describe", "resnet18"]) == INTERNAL_ERROR != USAGE_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" in err[0] and "KeyError" in err[0] and "--traceback" in err[0]
    # the trace on request, after the subcommand or through the environment; the same status
    assert main(["describe", "resnet18", "--traceback"]) == INTERNAL_ERROR
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "_boom" in err
    monkeypatch.undo()  # the real command again, the trace asked for through the environment
    monkeypatch.setenv("DESIGNSPACE_DEBUG", "1")
    assert main(["describe", "no_such_model"]) == USAGE_ERROR
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("designspace describe: error:")
