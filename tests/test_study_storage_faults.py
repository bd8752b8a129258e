"""Storage and file-system faults end in one line and a non-zero exit, fast: a SQLite file that
cannot be created, a corrupt file, an export path that cannot be written or whose directory is
missing (refused, not created); and ``grpc://`` URLs reach H4's proxy module."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from designspace.cli import USAGE_ERROR, main
from designspace.errors import UsageError
from designspace.study.config import StudyConfig
from designspace.study.export import write_frame
from designspace.study.join import join_study, open_existing
from designspace.study.objective import slot_params
from designspace.study.storage import StorageError, open_storage, parse_url

CONFIG = {
    "study": {"name": "s", "trials": 2},
    "space": {"name": "anynetx_a", "flops": "1M:3M"},
    "data": {"name": "synthetic"},
    "budget": {"epochs": 1},
}


TOML = """
[study]
name = "s"
trials = 1
[space]
name = "anynetx_a"
[data]
name = "synthetic"
[budget]
epochs = 1
"""


def one_line_error(capsys: pytest.CaptureFixture, command: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"designspace {command}: error:"), err
    return err[0]


def test_a_sqlite_file_that_cannot_be_created_is_one_line(tmp_path, capsys):
    # Tests run as root, which chmod does not stop: a directory where the .db file must go
    # (and a file where its directory must go) cannot be opened by anyone.
    (tmp_path / "taken.db").mkdir()
    with pytest.raises(StorageError, match="is a directory"):
        open_storage(f"sqlite:///{tmp_path / 'taken.db'}")
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match="cannot create its directory"):
        open_storage(f"sqlite:///{tmp_path / 'file' / 'study.db'}")
    toml = tmp_path / "s.toml"
    toml.write_text(TOML)
    code = main(["study", "run", str(toml), "--storage", f"sqlite:///{tmp_path / 'taken.db'}", "--no-progress"])
    assert code == USAGE_ERROR
    assert "is a directory" in one_line_error(capsys, "study")


def test_a_read_only_directory_is_refused_before_sqlite_tries(tmp_path, monkeypatch):
    import os

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real(p, mode))
    with pytest.raises(StorageError, match="not writable"):
        open_storage(f"sqlite:///{tmp_path / 'study.db'}")


def test_a_corrupt_file_is_reported_in_seconds(tmp_path, capsys):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not an SQLite database at all" * 100)
    for create in (False, True):  # a one-shot command, a worker: neither retries a corrupt file
        start = time.monotonic()
        with pytest.raises(StorageError, match="cannot open"):
            open_storage(f"sqlite:///{bad}", create=create)
        assert time.monotonic() - start < 2.0
    start = time.monotonic()
    assert main(["study", "status", "s", "--storage", f"sqlite:///{bad}"]) == USAGE_ERROR
    assert time.monotonic() - start < 5.0
    one_line_error(capsys, "study")


def test_an_unreachable_server_is_reported_in_seconds():
    start = time.monotonic()
    with pytest.raises(StorageError, match="cannot open"):  # nothing listens on port 9
        open_storage("postgresql://u:p@127.0.0.1:9/db", create=False)
    assert time.monotonic() - start < 3.0


def test_export_refuses_a_missing_directory_and_an_unwritable_path(tmp_path, capsys):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(UsageError, match="does not exist"):
        write_frame(frame, tmp_path / "no" / "such" / "dir" / "out.csv")
    assert not (tmp_path / "no").exists()  # refused, not created
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        write_frame(frame, tmp_path / "out.csv")
    config = StudyConfig.from_dict(CONFIG)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    join_study(config, url, lambda n: slot_params(config, n))
    assert main(["study", "export", "s", "--storage", url, "--out", str(tmp_path / "missing" / "t.csv")]) == 2
    assert "does not exist" in one_line_error(capsys, "study")
    (tmp_path / "file").write_text("")
    assert main(["study", "export", "s", "--storage", url, "--out", str(tmp_path / "file" / "t.csv")]) == 2
    one_line_error(capsys, "study")
    assert main(["study", "export", "s", "--storage", url, "--out", str(tmp_path / "t.csv")]) == 0
    assert open_existing(url, "s").name == "s"


def test_grpc_urls_are_recognised_and_open_through_the_proxy_module(monkeypatch):
    import sys
    import types

    parsed = parse_url("grpc://node7:13000")
    assert (parsed.kind, parsed.host, parsed.port, parsed.display) == ("grpc", "node7", 13000, "grpc://node7:13000")
    with pytest.raises(ValueError, match="grpc://HOST:PORT"):
        parse_url("grpc://node7")
    module = types.ModuleType("designspace.study.grpc_proxy")
    module.open_grpc = lambda host, port: ("proxy", host, port)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "designspace.study.grpc_proxy", module)
    assert open_storage("grpc://node7:13000") == ("proxy", "node7", 13000)
    monkeypatch.setitem(sys.modules, "designspace.study.grpc_proxy", None)  # not installed
    with pytest.raises(StorageError, match="gRPC storage is not available"):
        open_storage("grpc://node7:13000")
