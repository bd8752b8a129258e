"""Logs: ``study run`` into a file (stderr not a terminal) writes one timestamped line per finished
trial and no carriage returns; every other line it and ``study worker`` write is timestamped too."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from designspace.cli import main
from designspace.study.join import open_existing

CONFIG = """
[study]
name = "{name}"
trials = {trials}
heartbeat_interval = 1
grace_period = 3

[space]
name = "anynetx_a"
flops = "1M:3M"

[data]
name = "synthetic:train=256,test=128"

[budget]
epochs = 1

[train]
batch_size = 64
"""
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
TRIAL_LINE = re.compile(STAMP + r"logged (\d+)/3: trial (\d+) \(slot (\d+)\) (COMPLETE|FAIL)\b")


def config_file(tmp_path, trials: int):
    path = tmp_path / "logged.toml"
    path.write_text(CONFIG.format(name="logged", trials=trials))
    return path


@pytest.mark.slow
def test_a_run_logged_to_a_file_has_one_timestamped_line_per_finished_trial(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    log = tmp_path / "run.log"
    args = ["study", "run", str(config_file(tmp_path, 3)), "--storage", url, "--workers", "1", "--threads", "1"]
    with open(log, "w") as f:
        done = subprocess.run(
            [sys.executable, "-c", "from designspace.cli import entry; entry()", *args, "--results", str(tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=f,
            env={**os.environ, "DESIGNSPACE_NO_DOWNLOAD": "1", "OMP_NUM_THREADS": "1"},
            timeout=300,
        )
    text = log.read_text()
    assert done.returncode == 0, text
    assert "\r" not in text
    lines = text.splitlines()
    assert all(re.match(STAMP, line) for line in lines), lines
    trial_lines = [m for m in map(TRIAL_LINE.match, lines) if m]
    assert [int(m[1]) for m in trial_lines] == [1, 2, 3], lines  # one per trial, counting up
    trials = {t.number: t for t in open_existing(url, "logged").trials()}
    assert sorted(int(m[2]) for m in trial_lines) == sorted(trials)
    for m in trial_lines:
        t = trials[int(m[2])]
        assert m[4] == t.state.name and int(m[3]) == t.user_attrs["slot"]
        if t.state.name == "COMPLETE":
            assert f"error {t.value:.2f}%" in m.string
    assert "finished in" in trial_lines[-1].string and "eta" in trial_lines[0].string
    # one more trial by a `study worker` (in this process): its lines are timestamped too
    capsys.readouterr()
    assert main(["study", "worker", str(config_file(tmp_path, 4)), "--storage", url, "--threads", "1"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err and all(re.match(STAMP, line) for line in err), err
    assert any(re.match(STAMP + r"trial \d+ \(slot 3\) COMPLETE error", line) for line in err), err
