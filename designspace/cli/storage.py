"""``designspace storage serve``: Optuna's gRPC proxy in front of a study storage.

    designspace storage serve STORAGE_URL [--host 127.0.0.1] [--port 13000] [--threads 10]

Workers then use ``--storage grpc://HOST:PORT``: one server process reads and writes the
database (SQLite, PostgreSQL, MySQL) for all of them, with Optuna's cache of finished trials.
Ctrl-C or SIGTERM stops it. Needs ``pip install 'designspace[grpc]'``. See docs/studies.md.
"""

from __future__ import annotations

import argparse
import os
import sys

from designspace.cli.command import add_command


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "storage")
    cmds = p.add_subparsers(dest="storage_command", metavar="ACTION")
    cmds.required = True
    serve = cmds.add_parser(
        "serve",
        help="serve STORAGE_URL over gRPC until Ctrl-C/SIGTERM; workers use --storage grpc://HOST:PORT",
    )
    serve.add_argument("storage_url", metavar="STORAGE_URL", help="sqlite:///PATH.db or postgresql://...")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0: all)")
    serve.add_argument("--port", type=int, default=13000, help="port to listen on (default 13000)")
    serve.add_argument("--threads", type=int, default=10, help="server threads answering workers (default 10)")
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # gRPC's C core logs a failed bind beside our one-line error
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per study a worker creates
    from designspace.study.grpc_proxy import serve  # deferred: the study package loads numpy
    from designspace.study.signals import stop_on_signals  # deferred: the study package loads numpy
    from designspace.study.storage import parse_url  # deferred: the study package loads numpy

    display = parse_url(args.storage_url).display

    def started(address: str) -> None:
        print(f"designspace storage: serving {display} at {address} (Ctrl-C stops)", file=sys.stderr, flush=True)

    restore = stop_on_signals()
    try:
        serve(args.storage_url, args.host, args.port, threads=args.threads, on_start=started)
    except KeyboardInterrupt:
        print("designspace storage: stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        restore()
    return 0
