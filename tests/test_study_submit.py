"""``study submit``: the [cluster] table, the SLURM job array it asks for, and a run on submitit's local executor."""

from __future__ import annotations

import os
import signal
import stat
import time
from pathlib import Path

import pytest

from designspace.cli import main
from designspace.study.cluster import ClusterSpec
from designspace.study.config import StudyConfig
from designspace.study.join import open_existing
from designspace.study.submit import executor_parameters, run_task, worker_argv

pytest.importorskip("submitit")

STUDY = """
[study]
name = "sub"
trials = {trials}
mode = "search"
sampler = "random"
heartbeat_interval = 1
grace_period = 5

[space]
name = "anynetx_a"
flops = "1M:3M"

[data]
name = "synthetic:train=64,test=32"

[budget]
epochs = 1

[train]
batch_size = 32

[cluster]
{cluster}
"""


def write(tmp_path: Path, *, trials: int = 3, cluster: str = "") -> Path:
    path = tmp_path / "sub.toml"
    path.write_text(STUDY.format(trials=trials, cluster=cluster))
    return path


def test_the_cluster_table_is_checked_and_is_not_the_studys_identity():
    base = {
        "study": {"name": "s", "trials": 2},
        "space": {"name": "anynetx_a"},
        "budget": {"epochs": 1},
    }
    c = StudyConfig.from_dict({**base, "cluster": {"workers": 8, "partition": "gpu", "setup": ["module load x"]}})
    assert c.cluster_spec() == ClusterSpec(workers=8, partition="gpu", setup=("module load x",))
    assert StudyConfig.from_dict(c.to_dict()) == c
    assert c.identity() == StudyConfig.from_dict(base).identity()  # other clusters may join
    for table, message in (
        ({"workerz": 2}, "unknown key 'cluster.workerz' (known: workers,"),
        ({"workers": 0}, "cluster.workers=0: must be an integer >= 1"),
        ({"gpus_per_worker": -1}, "cluster.gpus_per_worker=-1: must be an integer >= 0"),
        ({"mem_gb": "lots"}, "cluster.mem_gb='lots': must be a positive number"),
        ({"setup": "module load x"}, "cluster.setup='module load x': must be a list of shell lines"),
    ):
        with pytest.raises(ValueError, match="^s.toml: ") as e:
            StudyConfig.from_dict({**base, "cluster": table}, source="s.toml")
        assert message in str(e.value)
    assert ClusterSpec(workers=2).overridden(workers=None, partition="p") == ClusterSpec(workers=2, partition="p")


def test_the_array_asks_slurm_for_the_configured_resources():
    spec = ClusterSpec(
        workers=8, partition="gpu", time=240, gpus_per_worker=1, cpus_per_worker=8, mem_gb=32, parallelism=4, qos="q"
    )
    params = executor_parameters(spec, "sub", "slurm")
    assert params == {
        "name": "designspace-sub",
        "timeout_min": 240,
        "cpus_per_task": 8,
        "tasks_per_node": 1,
        "nodes": 1,
        "gpus_per_node": 1,
        "mem_gb": 32,
        "slurm_array_parallelism": 4,
        "slurm_partition": "gpu",
        "slurm_qos": "q",
    }
    assert not any(k.startswith("slurm_") for k in executor_parameters(spec, "sub", "local"))
    argv = worker_argv("x/sub.toml", "postgresql://h/db", device="cuda", threads=8, results="res")
    assert argv[:3] == ["study", "worker", str(Path("x/sub.toml").resolve())]
    assert argv[3:] == ["--storage", "postgresql://h/db", "--device", "cuda", "--threads", "8", "--results"] + [
        str(Path("res").resolve())
    ]


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="POSIX signals")
def test_a_task_turns_submitits_warning_signal_into_the_workers_sigterm():
    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")  # as the worker's stop_on_signals does

    def entry(argv: list[str]) -> int:
        os.kill(os.getpid(), signal.SIGUSR2)  # submitit's time-limit / pre-emption warning
        time.sleep(5)
        return 0

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGUSR2)}
    signal.signal(signal.SIGTERM, on_term)
    try:
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            run_task(entry, ["study", "worker"])
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _fake_slurm(bin_dir: Path) -> Path:
    """``sbatch`` that keeps the script it is given and answers with a job id; ``srun`` that exists."""
    bin_dir.mkdir()
    scripts = bin_dir / "scripts"
    for name, body in (
        ("sbatch", f'cp "$1" "{scripts}.$$"\necho "Submitted batch job 4242"\n'),
        ("srun", "exit 0\n"),
    ):
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return scripts


def test_submit_writes_one_sbatch_array_of_workers(tmp_path, monkeypatch, capsys):
    _fake_slurm(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    cluster = f'workers = 3\npartition = "gpu"\ntime = 90\ngpus_per_worker = 1\nfolder = "{tmp_path / "logs"}"'
    config = write(tmp_path, cluster=cluster)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["study", "submit", str(config), "--storage", url, "--cluster", "slurm", "--cpus", "4"]) == 0
    (script,) = [p.read_text() for p in tmp_path.glob("bin/scripts.*")]
    for line in ("--array=0-2%3", "--partition=gpu", "--time=90", "--gpus-per-node=1", "--cpus-per-task=4"):
        assert f"#SBATCH {line}\n" in script
    err = capsys.readouterr().err
    assert "3 worker(s) submitted (slurm), jobs 4242_0, 4242_1, 4242_2" in err
    assert "SQLite file: workers on other nodes need postgresql:// or journal:" in err
    assert open_existing(url, "sub").ledger().budget == 3  # created before the array starts


def test_submit_refuses_bad_flags_and_a_missing_sbatch_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch here
    config = write(tmp_path)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["study", "submit", str(config), "--storage", url, "--cluster", "slurm"]) == 2
    assert "sbatch is not on this machine's PATH" in capsys.readouterr().err
    assert main(["study", "submit", str(config), "--storage", url, "--workers", "0"]) == 2
    assert "cluster.workers=0: must be an integer >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_submit_runs_the_workers_on_the_local_executor(tmp_path, capsys):
    config = write(tmp_path, trials=4, cluster=f'workers = 2\nfolder = "{tmp_path / "logs"}"')
    url = f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["study", "submit", str(config), "--storage", url, "--cluster", "local", "--wait"]) == 0
    err = capsys.readouterr().err
    assert "workers ended [0, 0]; study sub: 4/4 with a result" in err
    trials = open_existing(url, "sub").trials()
    assert len(trials) == 4 and all(t.state.name == "COMPLETE" for t in trials)
    logs = list((tmp_path / "logs" / "sub").glob("*_log.err"))
    assert len(logs) == 2 and all("worker done" in log.read_text() for log in logs)
