"""Docs and docstrings name only commands that exist (issue 26: a ``designspace blocks`` was documented)."""

from __future__ import annotations

import re
from pathlib import Path

from designspace.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
#: a command as the docs quote it: `designspace NAME` (Markdown) or ``designspace NAME`` (reST docstrings)
QUOTED = re.compile(r"`designspace ([a-z][a-z_-]*)")


def _quoted_commands() -> dict[str, list[str]]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "designspace").rglob("*.py"))]
    found: dict[str, list[str]] = {}
    for path in files:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for name in QUOTED.findall(line):
                found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{n}")
    return found


def test_every_quoted_command_exists() -> None:
    found = _quoted_commands()
    missing = {name: where for name, where in found.items() if name not in COMMANDS}
    assert not missing, f"docs name commands that do not exist: {missing}"
    assert "analyze" in found  # the pattern still matches what the docs write
