"""``designspace`` command line: a thin layer over the library API.

Each subcommand lives in its own module here and exposes ``register(subparsers)``; the
module's ``run(args) -> int`` does the work. Bad input (``ValueError``/``UsageError``) becomes
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from designspace import __version__
from designspace.errors import UsageError

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = ("describe", "analyze", "plan", "train", "study", "spaces", "sample", "calibrate")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="designspace",
        description="Network design-space research: build, sample, train and analyse populations of CNNs.",
    )
    parser.add_argument("--version", action="version", version=f"designspace {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"designspace.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, UsageError, FileNotFoundError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"designspace {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"designspace {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def entry() -> None:
    sys.exit(main())
