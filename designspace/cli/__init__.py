"""``designspace`` command line: a thin layer over the library API.

Each subcommand lives in its own module here and exposes ``register(subparsers)``; the
module's ``run(args) -> int`` does the work. Only the chosen subcommand's module is imported
(``designspace --help`` imports none, so it needs neither torch nor scipy).

Exit status: 0 done; 2 bad input (``ValueError``/``UsageError``/``FileNotFoundError``, or a bad
command line): one line on stderr, never a traceback; ``INTERNAL_ERROR`` (70) any other
exception, a bug: one line that says so and asks for the traceback; 130 interrupted. With
``--traceback`` (anywhere on the line) or ``DESIGNSPACE_DEBUG=1`` the full traceback is printed
too, with the same status. Commands may define more (``train``: 1 diverged).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import traceback
from typing import Any

from designspace import __version__
from designspace.errors import UsageError
from designspace.ui.messages import error_text, first_line

#: the subcommands, in the order ``--help`` lists them, with the line it shows for each
COMMANDS = {
    "describe": "show a model's stages and complexity",
    "analyze": "compare populations of trained models: EDFs, KS tests, good ranges, HTML report",
    "plan": "sample size and power of a comparison, from pilot studies or a noise level",
    "train": "train one model for a budget and report its test error",
    "study": "run, join, inspect and export studies (populations or searches)",
    "spaces": "list design spaces (size, description) or show one",
    "sample": "draw seeded specs from a design space",
    "calibrate": "calibrate training protocols: reliability and validity per core-second",
    "storage": "serve a study storage to many workers (Optuna's gRPC proxy)",
}
USAGE_ERROR = 2
#: sysexits.h's EX_SOFTWARE: the program failed, not the input
INTERNAL_ERROR = 70
TRACEBACK_FLAG = "--traceback"
DEBUG_ENV = "DESIGNSPACE_DEBUG"

#: reStructuredText markup of docstrings, which help text shows as plain text
_ROLE = re.compile(r":(?:func|mod|class|data|meth|attr|obj|exc):`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def plain(text: str | None) -> str | None:
    """Docstring text as help text: ``code`` -> code, :func:`name` -> name."""
    if not text:
        return text
    return _LITERAL.sub(r"\1", _ROLE.sub(r"\1", text))


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``command``'s module registers its full options, the others only their help line
    (``command=None``: none is imported; ``"*"``: all are, as for a check of every command)."""
    parser = argparse.ArgumentParser(
        prog="designspace",
        description="Network design-space research: build, sample, train and analyse populations of CNNs.",
        epilog=f"{TRACEBACK_FLAG} (or {DEBUG_ENV}=1) prints the full traceback of an error. Exit status: 0 done, "
        f"{USAGE_ERROR} bad input, {INTERNAL_ERROR} internal error (a bug), 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"designspace {__version__}")
    parser.add_argument(TRACEBACK_FLAG, action="store_true", help="print the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_line in COMMANDS.items():
        if command in (name, "*"):
            _register(sub, name, help_line)
        else:
            sub.add_parser(name, help=help_line, add_help=False)
    _plain_help(parser)
    return parser


def _register(sub: Any, name: str, help_line: str) -> None:
    """Register ``name``'s full options; a command whose module is not there (yet) says so in one line."""
    module_name = f"designspace.cli.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != module_name:
            raise

        def missing(args: argparse.Namespace) -> int:
            raise UsageError(f"the {name} command is not available in this installation ({module_name} is missing)")

        sub.add_parser(name, help=help_line).set_defaults(func=missing)
        return
    module.register(sub)


def _plain_help(parser: argparse.ArgumentParser) -> None:
    """Strip docstring markup from every description, epilog and option help, subcommands included."""
    parser.description, parser.epilog = plain(parser.description), plain(parser.epilog)
    for action in parser._actions:
        action.help = plain(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = plain(choice.help)
            for child in set(action.choices.values()):
                _plain_help(child)


def _chosen(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is one), if any."""
    for word in argv:
        if word in COMMANDS:
            return word
        if not word.startswith("-"):
            return None
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = TRACEBACK_FLAG in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    argv = [a for a in argv if a != TRACEBACK_FLAG]  # accepted after the subcommand too
    args = make_parser(_chosen(argv)).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, UsageError, FileNotFoundError) as e:
        if debug:
            traceback.print_exc()
        print(f"designspace {args.command}: error: {first_line(e)}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print(f"designspace {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # noqa: BLE001 - a bug: say so in one line (the trace on request)
        if debug:
            traceback.print_exc()
        where = error_text(e)
        hint = "" if debug else f"; run again with {TRACEBACK_FLAG} (or {DEBUG_ENV}=1) and report the traceback"
        print(f"designspace {args.command}: internal error (a bug, not your input): {where}{hint}", file=sys.stderr)
        return INTERNAL_ERROR


def entry() -> None:
    sys.exit(main())
