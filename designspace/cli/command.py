"""How a command's module adds its parser: the help line is the listing's (:data:`designspace.cli.COMMANDS`)."""

from __future__ import annotations

import argparse
from typing import Any

from designspace.cli import COMMANDS


def add_command(sub: Any, name: str, description: str | None = None, *, raw: bool = False) -> argparse.ArgumentParser:
    """The parser of command ``name`` under ``sub``, with the help line the top-level listing shows.

    ``description`` (the module's docstring) is shown by ``designspace NAME --help``; ``raw`` keeps its
    line breaks (argparse's ``RawDescriptionHelpFormatter``) instead of re-wrapping it.
    """
    options: dict[str, Any] = {"help": COMMANDS[name], "description": description}
    if raw:
        options["formatter_class"] = argparse.RawDescriptionHelpFormatter
    return sub.add_parser(name, **options)
