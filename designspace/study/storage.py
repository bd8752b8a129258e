"""Storage URLs -> Optuna storages (plain Optuna storage: optuna-dashboard reads it unchanged).

* ``sqlite:///results/NAME.db``: an embedded file, no set-up (the default, one machine);
* ``postgresql://user:password@host:port/db`` (or ``mysql://...``): a database server, many machines;
* ``journal:PATH``: Optuna's JournalStorage, an append-only log on a shared file system (NFS,
  Lustre...), many machines without a database server;
* ``grpc://HOST:PORT``: a storage served by ``designspace storage serve`` (Optuna's gRPC proxy),
  many workers without one database connection each.

A storage that cannot be opened (unreachable, corrupt, read-only) raises :class:`StorageError`:
one line, exit 2. A one-shot open (``create=False``: status, export) fails within seconds; only
opening for a worker (``create=True``) retries, since workers starting together race to create
the schema.
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

from designspace.errors import UsageError

__all__ = ["READ_ONLY", "StorageError", "StorageURL", "default_url", "first_line", "open_storage", "parse_url"]

_FORMS = "sqlite:///PATH.db, postgresql://USER:PASSWORD@HOST/DB, mysql://..., journal:PATH or grpc://HOST:PORT"
#: seconds to wait for a database server's answer when connecting (one-shot commands, workers)
CONNECT_TIMEOUT = {False: 2, True: 10}
#: execution option of a connection that only reads: on SQLite its transaction takes no write lock
READ_ONLY = "designspace_read_only"


class StorageError(UsageError, ValueError):
    """The storage cannot be opened or used (unreachable, corrupt, read-only): one line, exit 2.

    A ``ValueError`` too, as a storage that cannot be opened always was here."""


@dataclass(frozen=True)
class StorageURL:
    """A parsed storage URL: ``kind`` is ``sqlite``, ``rdb`` (a server) or ``journal``."""

    url: str
    kind: str
    path: str | None = None  # the file, for sqlite and journal
    host: str | None = None  # grpc
    port: int | None = None  # grpc

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
    if url.startswith("grpc://"):
        host, _, port = url[len("grpc://") :].rstrip("/").rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"storage URL {url!r}: use grpc://HOST:PORT")
        return StorageURL(url=url, kind="grpc", host=host, port=int(port))
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme.split("+", 1)[0] in ("postgresql", "postgres", "mysql", "mariadb", "oracle", "mssql"):
        if scheme.startswith("postgres:") or scheme == "postgres":
            url = "postgresql" + url[len("postgres") :]
        return StorageURL(url=url, kind="rdb")
    raise ValueError(f"storage URL {url!r} is not one of {_FORMS}")


def open_storage(url: str | StorageURL, *, create: bool = True, retries: int = 5) -> BaseStorage:
    """An Optuna storage for ``url``; :class:`StorageError` (one line) when it cannot be opened.

    ``create=False`` refuses to create a missing SQLite or journal file (for ``status``/``export``)
    and tries once, with a short connection timeout: a corrupt or unreachable storage is reported
    within seconds. ``create=True`` (a worker) creates the file's directory if missing and retries a
    failed open a few times: opening a fresh database from many processes at once can race on
    creating its tables. Errors no retry cures (a corrupt or read-only file) are not retried.
    """
    parsed = url if isinstance(url, StorageURL) else parse_url(url)
    if parsed.kind == "grpc":
        return _grpc(parsed)
    if parsed.path is not None:
        _check_file(parsed, create)
    if parsed.kind == "journal":
        try:
            return _journal(parsed.path)  # type: ignore[arg-type]
        except OSError as e:
            raise StorageError(f"storage {parsed.display}: cannot open: {first_line(e)}") from None
    tries = retries if create else 1
    for attempt in range(tries):
        try:
            return _rdb(parsed, CONNECT_TIMEOUT[create])
        except (ValueError, ImportError) as e:
            if isinstance(e, ImportError):
                raise ValueError(f"storage {parsed.display}: {first_line(e)}") from None
            raise
        except Exception as e:  # a lost race creating the schema, a server still starting
            if attempt == tries - 1 or _permanent(e):
                raise StorageError(f"storage {parsed.display}: cannot open: {_cause(e)}") from None
            time.sleep(0.2 + random.random() * (attempt + 1))
    raise AssertionError("unreachable")


def _check_file(parsed: StorageURL, create: bool) -> None:
    """The storage file can be what it must: an existing file, or one its directory can take."""
    path = Path(parsed.path)  # type: ignore[arg-type]
    if path.is_dir():
        raise StorageError(f"storage {parsed.display}: {path} is a directory, not a file")
    if not create:
        if not path.is_file():
            raise FileNotFoundError(f"storage {parsed.display}: {path} does not exist")
        return
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(f"storage {parsed.display}: cannot create its directory {parent}: {first_line(e)}") from None
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.R_OK | os.W_OK)):
        raise StorageError(f"storage {parsed.display}: {path if path.exists() else parent} is not writable")


def _permanent(e: BaseException) -> bool:
    """An open that fails this way fails again: a corrupt or read-only file."""
    from designspace.study.outage import is_permanent

    return is_permanent(e)


def _cause(e: BaseException) -> str:
    from designspace.study.outage import cause_of

    return cause_of(e)


def _grpc(parsed: StorageURL) -> BaseStorage:
    try:
        from designspace.study.grpc_proxy import open_grpc
    except ImportError as e:
        why = first_line(e)
        raise StorageError(f"storage {parsed.display}: the gRPC storage is not available here ({why})") from None
    return open_grpc(parsed.host, parsed.port)


def _journal(path: str) -> BaseStorage:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(path))


def _rdb(parsed: StorageURL, connect_timeout: float = 10) -> BaseStorage:
    from optuna.storages import RDBStorage

    engine_kwargs: dict = {}
    url = parsed.url
    if parsed.kind == "sqlite":
        # Several local workers write one file: wait for the lock instead of failing.
        engine_kwargs["connect_args"] = {"timeout": 120}
    else:
        engine_kwargs["pool_pre_ping"] = True
        # One connection kept per worker (a second, when two are in use at once, is closed after
        # use): the pool kept two, and 64 workers then overran PostgreSQL's default 100 connections.
        engine_kwargs["pool_size"] = 1
        url = _with_driver(url)
        if url.startswith("postgresql"):
            engine_kwargs["connect_args"] = {"connect_timeout": max(1, int(connect_timeout))}
    storage = RDBStorage(url, engine_kwargs=engine_kwargs)
    if parsed.kind == "sqlite":
        _immediate_transactions(storage.engine)
    return storage


def _immediate_transactions(engine: Any) -> None:
    """Every SQLite transaction takes the write lock when it begins (``BEGIN IMMEDIATE``), but a
    read-only one (a connection with the :data:`READ_ONLY` execution option).

    pysqlite opens a transaction only at the first write, so Optuna's read-then-update of a trial
    (claiming a WAITING trial: read its state, set RUNNING) could interleave between processes and
    two workers would claim -- and train -- the same trial. SQLAlchemy's recipe for serializable
    SQLite transactions closes that gap; PostgreSQL and MySQL lock the row (``FOR UPDATE``). A
    read that writes nothing needs no such lock: with it, a worker reading a large study shut
    every other worker out for as long as the read took.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy, not pysqlite, emit BEGIN

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

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


def first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
