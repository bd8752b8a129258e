"""Message rules: an exception's first line (alone, or as ``Type: first line``), and did-you-mean."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: how many names an unknown-name message lists when none is close
MAX_LISTED = 40


def first_line(e: BaseException) -> str:
    """The first non-empty line of ``str(e)`` (stripped), or the exception's type name when it has no text."""
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def error_text(e: BaseException) -> str:
    """``Type: first line`` of an error (the type alone when it has no text): a reason or a message."""
    return f"{type(e).__name__}: {first_line(e)}" if str(e).strip() else type(e).__name__


def close_matches(word: str, choices: Iterable[object], n: int = 5) -> list[str]:
    """The ``choices`` close to ``word`` (as :func:`difflib.get_close_matches` with cutoff 0.5), best first."""
    return difflib.get_close_matches(str(word), [str(c) for c in choices], n=n, cutoff=0.5)


def unknown_name_message(kind: str, name: str, known: Iterable[object]) -> str:
    """``unknown <kind> 'x'; did you mean: a, b`` (or the full list, ``known: ...``, when nothing is close)."""
    names = sorted(str(n) for n in known)
    close = close_matches(name, names)
    if close:
        hint = "did you mean: " + ", ".join(close)
    else:
        hint = "known: " + ", ".join(names[:MAX_LISTED]) + (" ..." if len(names) > MAX_LISTED else "")
    return f"unknown {kind} {name!r}; {hint}"
