"""Storage URLs -> Optuna storages (plain Optuna storage: optuna-dashboard reads it unchanged).

* ``sqlite:///results/NAME.db``: an embedded file, no set-up (the default, one machine);
* ``postgresql://user:password@host:port/db`` (or ``mysql://...``): a database server, many machines;
* ``journal:PATH``: Optuna's JournalStorage, an append-only log on a shared file system (NFS,
  Lustre...), many machines without a database server.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optuna.storages import BaseStorage

__all__ = ["StorageURL", "default_url", "open_storage", "parse_url"]

_FORMS = "sqlite:///PATH.db, postgresql://USER:PASSWORD@HOST/DB, mysql://... or journal:PATH"


@dataclass(frozen=True)
class StorageURL:
    """A parsed storage URL: ``kind`` is ``sqlite``, ``rdb`` (a server) or ``journal``."""

    url: str
    kind: str
    path: str | None = None  # the file, for sqlite and journal

    def __str__(self) -> str:
        return self.url

    @property
    def display(self) -> str:
        """The URL with any password hidden (for messages)."""
        if self.kind != "rdb":
            return self.url
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


def default_url(study_name: str, results: str | os.PathLike[str] = "results") -> str:
    return f"sqlite:///{Path(results) / f'{study_name}.db'}"


def parse_url(url: str) -> StorageURL:
    """Check a storage URL's form (not whether it can be reached)."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"storage URL {url!r} is empty; use {_FORMS}")
    url = url.strip()
    if url.startswith("journal:"):
        path = url[len("journal:") :]
        path = path[2:] if path.startswith("//") else path
        if not path:
            raise ValueError(f"storage URL {url!r} names no file; use journal:PATH")
        return StorageURL(url=f"journal:{path}", kind="journal", path=path)
    if url.startswith("sqlite:"):
        if not url.startswith("sqlite:///") or url == "sqlite:///":
            raise ValueError(f"storage URL {url!r}: use sqlite:///relative/path.db or sqlite:////absolute/path.db")
        path = url[len("sqlite:///") :]
        if path == ":memory:":
            raise ValueError("storage URL sqlite:///:memory: is not shared between workers; name a file")
        return StorageURL(url=url, kind="sqlite", path=path)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme.split("+", 1)[0] in ("postgresql", "postgres", "mysql", "mariadb", "oracle", "mssql"):
        if scheme.startswith("postgres:") or scheme == "postgres":
            url = "postgresql" + url[len("postgres") :]
        return StorageURL(url=url, kind="rdb")
    raise ValueError(f"storage URL {url!r} is not one of {_FORMS}")


def open_storage(url: str | StorageURL, *, create: bool = True, retries: int = 5) -> BaseStorage:
    """An Optuna storage for ``url``.

    ``create=False`` refuses to create a missing SQLite or journal file (for ``status``/``export``).
    Opening a fresh database from many processes at once can race on creating its tables, so a
    failed open is retried a few times.
    """
    parsed = url if isinstance(url, StorageURL) else parse_url(url)
    if parsed.path is not None:
        path = Path(parsed.path)
        if not create and not path.is_file():
            raise FileNotFoundError(f"storage {parsed.display}: {path} does not exist")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
    if parsed.kind == "journal":
        return _journal(parsed.path)  # type: ignore[arg-type]
    for attempt in range(retries):
        try:
            return _rdb(parsed)
        except (ValueError, ImportError) as e:
            if isinstance(e, ImportError):
                raise ValueError(f"storage {parsed.display}: {_first_line(e)}") from None
            raise
        except Exception as e:  # a lost race creating the schema, a server still starting
            if attempt == retries - 1:
                raise ValueError(f"storage {parsed.display}: cannot open: {_first_line(e)}") from None
            time.sleep(0.2 + random.random() * (attempt + 1))
    raise AssertionError("unreachable")


def _journal(path: str) -> BaseStorage:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(path))


def _rdb(parsed: StorageURL) -> BaseStorage:
    from optuna.storages import RDBStorage

    engine_kwargs: dict = {}
    url = parsed.url
    if parsed.kind == "sqlite":
        # Several local workers write one file: wait for the lock instead of failing.
        engine_kwargs["connect_args"] = {"timeout": 120}
    else:
        engine_kwargs["pool_pre_ping"] = True
        url = _with_driver(url)
    storage = RDBStorage(url, engine_kwargs=engine_kwargs)
    if parsed.kind == "sqlite":
        _immediate_transactions(storage.engine)
    return storage


def _immediate_transactions(engine: Any) -> None:
    """Every SQLite transaction takes the write lock when it begins (``BEGIN IMMEDIATE``).

    pysqlite opens a transaction only at the first write, so Optuna's read-then-update of a trial
    (claiming a WAITING trial: read its state, set RUNNING) could interleave between processes and
    two workers would claim -- and train -- the same trial. SQLAlchemy's recipe for serializable
    SQLite transactions closes that gap; PostgreSQL and MySQL lock the row (``FOR UPDATE``).
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy, not pysqlite, emit BEGIN

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened while creating the schema predate the hooks


def _with_driver(url: str) -> str:
    """``postgresql://`` with whichever driver is installed (SQLAlchemy 2.1 defaults to psycopg 3)."""
    import importlib.util

    scheme, rest = url.split("://", 1)
    if scheme != "postgresql":
        return url
    for module, driver in (("psycopg", "psycopg"), ("psycopg2", "psycopg2")):
        if importlib.util.find_spec(module) is not None:
            return f"postgresql+{driver}://{rest}"
    raise ValueError("postgresql storage needs a driver: pip install 'designspace[postgres]' (psycopg2-binary)")


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
