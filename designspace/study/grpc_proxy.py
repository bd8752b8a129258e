"""Optuna's gRPC storage proxy: many workers talk to one server process instead of the database.

``designspace storage serve URL`` (:func:`serve`) opens a storage (SQLite, PostgreSQL, MySQL: not a
journal file, which Optuna's proxy does not support) and serves it over gRPC; workers reach it as
``grpc://HOST:PORT`` (:func:`open_grpc`). The server keeps Optuna's cache of finished trials, so
the database sees one reader, not one per worker. Needs ``pip install 'designspace[grpc]'``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optuna.storages import BaseStorage

__all__ = ["DEFAULT_PORT", "open_grpc", "serve"]

#: Optuna's own default port for the proxy
DEFAULT_PORT = 13000
_INSTALL = "the grpc storage needs grpcio and protobuf: pip install 'designspace[grpc]'"


def _check_grpc() -> None:
    """A clear error when grpcio/protobuf are missing or too old for Optuna's generated code."""
    try:
        import grpc  # noqa: F401
        from optuna.storages._grpc.auto_generated import api_pb2_grpc  # noqa: F401
    except ImportError as e:
        raise ValueError(f"{_INSTALL} ({e})") from None
    except RuntimeError as e:  # grpcio older than the version Optuna's stubs were generated with
        raise ValueError(f"{_INSTALL} ({str(e).splitlines()[0]})") from None


def _check_address(host: str, port: int) -> None:
    if not host or not isinstance(host, str):
        raise ValueError(f"grpc host {host!r} is empty")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ValueError(f"grpc port {port!r}: must be an integer in 1..65535")


def open_grpc(host: str, port: int, *, timeout: float = 30.0) -> BaseStorage:
    """A client of the proxy at ``host:port``, once the server answers (``timeout`` seconds at most)."""
    _check_address(host, port)
    _check_grpc()
    from optuna.exceptions import ExperimentalWarning
    from optuna.storages import GrpcStorageProxy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        storage = GrpcStorageProxy(host=host, port=port)
    try:
        storage.wait_server_ready(timeout=timeout)
    except ConnectionError:
        storage.close()
        raise ValueError(
            f"storage grpc://{host}:{port}: no server answered within {timeout:g} s "
            f"(start one with: designspace storage serve STORAGE_URL --host {host} --port {port})"
        ) from None
    return storage


def serve(
    storage_url: str,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    threads: int = 10,
    on_start: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> None:
    """Serve ``storage_url`` over gRPC at ``host:port`` until interrupted (or ``stop()`` is true).

    ``on_start`` gets ``grpc://HOST:PORT`` once the port is bound. KeyboardInterrupt (SIGINT, or
    SIGTERM under :func:`designspace.study.worker.stop_on_signals`) stops the server and propagates.
    """
    from concurrent.futures import ThreadPoolExecutor

    from designspace.study.storage import open_storage, parse_url

    _check_address(host, port)
    if threads < 1:
        raise ValueError(f"threads {threads}: must be at least 1")
    parsed = parse_url(storage_url)
    if parsed.kind == "journal":
        raise ValueError(f"storage {parsed.display}: Optuna's gRPC proxy cannot serve a journal file; use a database")
    _check_grpc()
    import optuna

    # get_storage adds Optuna's cache of finished trials (what run_grpc_proxy_server asks for).
    storage = optuna.storages.get_storage(open_storage(parsed, create=True))
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        server = _make_server(storage, host, port, pool)
    except RuntimeError:  # grpc: "Failed to bind to address ..."
        pool.shutdown(wait=False)
        raise ValueError(f"cannot listen on {host}:{port}: the port is taken or {host} is not this machine's") from None
    server.start()
    try:
        if on_start is not None:
            on_start(f"grpc://{host}:{port}")
        while not (stop is not None and stop()):
            if not server.wait_for_termination(timeout=0.5):  # True: timed out, still serving
                break
    finally:
        server.stop(grace=1.0).wait(5.0)
        pool.shutdown(wait=False, cancel_futures=True)


def _make_server(storage: BaseStorage, host: str, port: int, pool: Any) -> Any:
    """Optuna's ``run_grpc_proxy_server`` less its wait, and without SO_REUSEPORT.

    Holding the server lets a signal stop it cleanly, and the start line comes only once the port
    is bound. gRPC's default SO_REUSEPORT would let a second server bind the same port and share
    the workers with the first: each with its own cache of the study.
    """
    import grpc
    from optuna.storages._grpc.auto_generated import api_pb2_grpc
    from optuna.storages._grpc.servicer import OptunaStorageProxyService

    server = grpc.server(pool, options=[("grpc.so_reuseport", 0)])
    api_pb2_grpc.add_StorageServiceServicer_to_server(OptunaStorageProxyService(storage), server)
    server.add_insecure_port(f"{host}:{port}")
    return server
