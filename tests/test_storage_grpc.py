"""``designspace storage serve``: Optuna's gRPC proxy in front of a SQLite study storage.

The server is a real ``designspace storage serve`` process on a free local port; clients are
:func:`designspace.study.grpc_proxy.open_grpc` and the designspace worker (``grpc://`` URL).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("grpc", reason="needs pip install 'designspace[grpc]'")

from designspace.study.grpc_proxy import open_grpc  # noqa: E402

CLI = "from designspace.cli import entry; entry()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "DESIGNSPACE_NO_DOWNLOAD": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[subprocess.Popen, int, str]]:
    """A proxy serving a fresh SQLite file: (process, port, the file's path)."""
    path = tmp_path / "studies.db"
    port = free_port()
    proc = cli("storage", "serve", f"sqlite:///{path}", "--port", str(port))
    line = proc.stderr.readline()  # the start line, printed once the port is bound
    assert f"at grpc://127.0.0.1:{port}" in line, line + proc.stderr.read()
    try:
        yield proc, port, str(path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_trials_told_through_the_proxy_land_in_the_sqlite_file_and_sigterm_stops_it(server):
    import optuna

    proc, port, path = server
    storage = open_grpc("127.0.0.1", port, timeout=20)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=storage, study_name="through-grpc")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    storage.close()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert err.strip() == "designspace storage: stopped"
    with sqlite3.connect(path) as db:
        states = db.execute(
            "SELECT t.state FROM trials t JOIN studies s USING (study_id) WHERE s.study_name = 'through-grpc'"
        ).fetchall()
    assert [s for (s,) in states] == ["COMPLETE"] * 3


def test_a_worker_with_a_grpc_url_fills_the_study_in_the_sqlite_file(server):
    from designspace.study.config import StudyConfig
    from designspace.study.objective import Outcome
    from designspace.study.storage import parse_url
    from designspace.study.worker import run_worker

    proc, port, path = server
    url = f"grpc://127.0.0.1:{port}"
    try:
        parse_url(url)
    except ValueError:
        pytest.skip("this tree's storage URLs do not take grpc:// yet")
    config = StudyConfig.from_dict(
        {
            "study": {"name": "grpc-study", "trials": 3},
            "space": {"name": "anynetx_a", "flops": "1M:3M"},
            "data": {"name": "synthetic"},
            "budget": {"epochs": 1},
        }
    )
    report = run_worker(config, url, objective=lambda trial, slot: Outcome("COMPLETE", value=float(slot)), poll=0.05)
    assert report.results == 3
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT t.state, v.value FROM trials t JOIN studies s USING (study_id) "
            "JOIN trial_values v USING (trial_id) WHERE s.study_name = 'grpc-study' ORDER BY v.value"
        ).fetchall()
    assert rows == [("COMPLETE", 0.0), ("COMPLETE", 1.0), ("COMPLETE", 2.0)]


def test_bad_input_is_one_line_and_status_2(tmp_path, server):
    _, taken, _ = server
    for args, says in [
        (["journal:" + str(tmp_path / "j.log")], "cannot serve a journal file"),
        (["sqlite:///" + str(tmp_path / "a.db"), "--port", "70000"], "port 70000"),
        (["sqlite:///" + str(tmp_path / "a.db"), "--port", str(taken)], f"cannot listen on 127.0.0.1:{taken}"),
    ]:
        proc = cli("storage", "serve", *args)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, err
        assert len(err.strip().splitlines()) == 1 and says in err, err


def test_a_client_without_a_server_says_how_to_start_one():
    start = time.monotonic()
    with pytest.raises(ValueError, match="no server answered within 0.5 s .*designspace storage serve"):
        open_grpc("127.0.0.1", free_port(), timeout=0.5)
    assert time.monotonic() - start < 10
