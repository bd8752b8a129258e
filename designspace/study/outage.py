"""Storage outages: which errors mean "the database is away" (retry), and waiting them out.

A running worker that loses its database (a server restart, a network cut) waits with back-off
and says so once per outage; it gives up with one line after ``patience`` seconds
(``DESIGNSPACE_STORAGE_PATIENCE``, default 300). Errors that retrying cannot cure (a read-only or
corrupt SQLite file) are not outages: they end the worker at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from designspace.study.storage import StorageError, first_line

__all__ = ["PATIENCE_ENV", "Outage", "cause_of", "is_permanent", "is_unreachable", "patience_from_env"]

PATIENCE_ENV = "DESIGNSPACE_STORAGE_PATIENCE"
DEFAULT_PATIENCE = 300.0
#: SQLite errors no retry cures (the file, not the moment)
_PERMANENT = ("readonly", "read-only", "unable to open", "not a database", "malformed", "disk i/o", "no such table")


def patience_from_env() -> float:
    """Seconds a worker waits for its storage to come back (``DESIGNSPACE_STORAGE_PATIENCE``)."""
    text = os.environ.get(PATIENCE_ENV, "").strip()
    if not text:
        return DEFAULT_PATIENCE
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{PATIENCE_ENV}={text!r}: give a number of seconds") from None
    if value < 0:
        raise ValueError(f"{PATIENCE_ENV}={text!r}: must be 0 or more")
    return value


def _chain(e: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def is_unreachable(e: BaseException) -> bool:
    """Whether ``e`` (or what caused it) says the storage cannot be reached right now.

    Optuna wraps every database error in ``StorageInternalError`` ("invalid data ... exceeding max
    length"); the cause underneath tells a closed connection from bad data.
    """
    try:
        from sqlalchemy import exc
    except ImportError:  # pragma: no cover - optuna needs it
        return False
    for err in _chain(e):
        if isinstance(err, exc.DBAPIError) and err.connection_invalidated:
            return True
        if isinstance(err, (exc.OperationalError, exc.InterfaceError)):
            return not any(p in str(err).lower() for p in _PERMANENT)
        if isinstance(err, (ConnectionError, TimeoutError)):
            return True
    return False


def is_permanent(e: BaseException) -> bool:
    """Whether ``e`` says the storage file itself is unusable (corrupt, read-only, not a file):
    no retry cures it. Anything else may be a race or a server still starting."""
    return any(p in str(err).lower() for err in _chain(e) for p in _PERMANENT)


def cause_of(e: BaseException) -> str:
    """The deepest error's first line (the driver's words, not Optuna's wrapper)."""
    return first_line(list(_chain(e))[-1])


class Outage:
    """Waits out one storage outage after another: back-off, one line each, a limit."""

    def __init__(
        self,
        say: Callable[[str], None],
        patience: float | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        first_delay: float = 0.5,
        max_delay: float = 8.0,
    ) -> None:
        self.say, self.sleep = say, sleep
        self.patience = patience_from_env() if patience is None else patience
        self.first_delay, self.max_delay = first_delay, max_delay
        self.since: float | None = None
        self.tries = 0
        self.outages = 0

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def wait(self, error: BaseException) -> None:
        """The storage failed (``error``, an outage): sleep before the next try, or give up."""
        now = time.monotonic()
        if self.since is None:
            self.since, self.tries = now, 0
            self.outages += 1
            limit = f" for up to {self.patience:.0f} s" if self.patience != float("inf") else ""
            self.say(f"storage unreachable ({cause_of(error)}); retrying with back-off{limit}")
        self.tries += 1
        waited = now - self.since
        if waited >= self.patience:
            raise StorageError(
                f"storage unreachable for {waited:.0f} s ({self.tries} tries), giving up: {cause_of(error)}"
            )
        delay = min(self.first_delay * 2 ** (self.tries - 1), self.max_delay, self.patience - waited)
        self.sleep(max(delay, 0.05))

    def ok(self) -> bool:
        """The storage answered; True when that ends an outage (said in one line)."""
        if self.since is None:
            return False
        self.say(f"storage reachable again after {time.monotonic() - self.since:.1f} s ({self.tries} tries)")
        self.since = None
        return True
