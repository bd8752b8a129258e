"""``study submit``: a study's workers as one SLURM job array, through submitit.

Every array task runs the worker entry point (``designspace study worker CONFIG --storage URL``),
so the tasks cooperate through the storage exactly as hand-started workers do: they claim WAITING
trials until the budget is met, and a task that SLURM stops re-queues its running trial for the
others or for a later array: SIGTERM (the time limit, ``scancel``) and submitit's warning signal
(SIGUSR2, sent 90 s before the time limit or on pre-emption, turned into a SIGTERM here instead of
submitit's own handling, which would raise inside a running trial) both make the worker mark its
trial ``interrupted`` and re-queue its model. The study is created before submission, so a bad
config or an unreachable storage fails on the submitting machine.

``cluster = "local"`` runs the array as processes on this machine (submitit's local executor: the
tests use it); ``"slurm"`` needs ``sbatch``; ``"auto"`` picks slurm where ``sbatch`` exists.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from designspace.study.cluster import ClusterSpec
from designspace.ui import checks

__all__ = [
    "CLUSTERS",
    "Submission",
    "executor_parameters",
    "resolve_cluster",
    "run_task",
    "submit_workers",
    "worker_argv",
]

CLUSTERS = ("auto", "slurm", "local")
#: what a worker task calls: the CLI's ``main(argv) -> exit status`` (passed in, the CLI sits above)
Entry = Callable[[Sequence[str]], int]


@dataclass
class Submission:
    """The submitted array: submitit jobs (one per worker), where their logs go, which cluster."""

    jobs: list[Any]
    folder: Path
    cluster: str

    @property
    def job_ids(self) -> list[str]:
        return [str(job.job_id) for job in self.jobs]

    def wait(self) -> list[int | str]:
        """Each task's exit status (or the error that ended it), once all have finished."""
        out: list[int | str] = []
        for job in self.jobs:
            try:
                out.append(int(job.result()))
            except Exception as e:  # noqa: BLE001 - a task's failure is reported, the others still count
                # the last line, not ui.messages.first_line: submitit's FailedJobError opens with boilerplate
                # ("Job (task=0) failed during processing with trace:") and ends with where the task's logs are
                text = str(e).strip().splitlines()
                out.append(f"{type(e).__name__}: {text[-1] if text else ''}"[:300])
        return out


def run_task(entry: Entry, argv: Sequence[str]) -> int:
    """One array task: the worker entry point, with submitit's SIGUSR2 turned into a SIGTERM."""
    if hasattr(signal, "SIGUSR2"):
        signal.signal(signal.SIGUSR2, lambda signum, frame: os.kill(os.getpid(), signal.SIGTERM))
    return int(entry(list(argv)))


def worker_argv(config_path: str | Path, storage: str, *, device: str, threads: int | None, results: str) -> list[str]:
    """The ``designspace`` arguments every array task runs (an absolute config path: another node reads it)."""
    argv = ["study", "worker", str(Path(config_path).resolve()), "--storage", storage, "--device", device]
    if threads is not None:
        argv += ["--threads", str(threads)]
    return argv + ["--results", str(Path(results).resolve())]


def executor_parameters(spec: ClusterSpec, name: str, cluster: str) -> dict[str, Any]:
    """submitit ``AutoExecutor.update_parameters`` keywords for the array (slurm_* apply on SLURM only)."""
    params: dict[str, Any] = {
        "name": f"designspace-{name}",
        "timeout_min": spec.time,
        "cpus_per_task": spec.cpus_per_worker,
        "tasks_per_node": 1,
        "nodes": 1,
    }
    if spec.gpus_per_worker:
        params["gpus_per_node"] = spec.gpus_per_worker
    if spec.mem_gb is not None:
        params["mem_gb"] = spec.mem_gb
    if cluster == "slurm":
        params["slurm_array_parallelism"] = spec.parallelism or spec.workers
        for key in ("partition", "account", "qos", "constraint"):
            if getattr(spec, key) is not None:
                params[f"slurm_{key}"] = getattr(spec, key)
        if spec.setup:
            params["slurm_setup"] = list(spec.setup)
    elif spec.setup:
        params["local_setup"] = list(spec.setup)
    return params


def resolve_cluster(cluster: str) -> str:
    """``auto`` -> slurm where ``sbatch`` exists, else local; ``slurm`` without ``sbatch``: one-line error."""
    checks.choice("--cluster", cluster, CLUSTERS)
    if cluster == "auto":
        return "slurm" if shutil.which("sbatch") else "local"
    if cluster == "slurm" and not shutil.which("sbatch"):
        raise ValueError("--cluster=slurm: sbatch is not on this machine's PATH (submit from a SLURM login node)")
    return cluster


def submit_workers(spec: ClusterSpec, name: str, argv: list[str], entry: Entry, *, cluster: str = "auto") -> Submission:
    """Submit ``spec.workers`` tasks, each calling ``entry(argv)``, as one job array."""
    try:
        import submitit
    except ImportError:
        raise ValueError("study submit needs submitit: pip install 'designspace[cluster]'") from None
    cluster = resolve_cluster(cluster)
    folder = Path(spec.folder) / name
    folder.mkdir(parents=True, exist_ok=True)
    executor = submitit.AutoExecutor(folder=str(folder), cluster=cluster)
    executor.update_parameters(**executor_parameters(spec, name, cluster))
    jobs = executor.map_array(run_task, [entry] * spec.workers, [list(argv) for _ in range(spec.workers)])
    return Submission(jobs=list(jobs), folder=folder, cluster=cluster)
