"""Where ``designspace study submit`` runs a study's workers: the ``[cluster]`` table, checked.

A study's TOML may hold (every key optional; the ``study submit`` flags override them)::

    [cluster]
    workers = 8                  # the SLURM job array's size: one worker per array task
    partition = "gpu"            # SLURM partition (default: the cluster's default)
    time = 240                   # minutes per worker (SLURM --time); a worker stopped by the limit
                                 # re-queues its running trial (SIGTERM), so a new array resumes it
    gpus_per_worker = 1          # GPUs per array task (0: a CPU worker)
    cpus_per_worker = 8          # cores per array task (the worker's torch threads)
    mem_gb = 32                  # memory per array task
    parallelism = 4              # array tasks running at once (default: all)
    account = "my-project"       # optional SLURM --account, --qos, --constraint
    qos = "normal"
    constraint = "a100"
    setup = ["module load cuda"] # shell lines run before each worker (environment set-up)
    folder = "results/submitit"  # submitit's scripts and logs (a shared file system)

Not part of the study's identity: workers on other clusters may join it with other settings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from designspace.study.values import check_positive_number
from designspace.ui import checks

__all__ = ["ClusterSpec"]


@dataclass(frozen=True)
class ClusterSpec:
    """The job array of a study's workers (see the module doc)."""

    workers: int = 1
    partition: str | None = None
    time: int = 60
    gpus_per_worker: int = 0
    cpus_per_worker: int = 1
    mem_gb: float | None = None
    parallelism: int | None = None
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    setup: tuple[str, ...] = ()
    folder: str = "results/submitit"

    def __post_init__(self) -> None:
        for key, low in (("workers", 1), ("time", 1), ("gpus_per_worker", 0), ("cpus_per_worker", 1)):
            checks.integer(f"cluster.{key}", getattr(self, key), low=low)
        if self.parallelism is not None:
            checks.integer("cluster.parallelism", self.parallelism, low=1)
        if self.mem_gb is not None:
            check_positive_number(self.mem_gb, "cluster.mem_gb")
        for key in ("partition", "account", "qos", "constraint", "folder"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"cluster.{key}={value!r}: must be a non-empty string")
        setup = self.setup
        if not isinstance(setup, (list, tuple)) or not all(isinstance(line, str) for line in setup):
            raise ValueError(f"cluster.setup={setup!r}: must be a list of shell lines")
        object.__setattr__(self, "setup", tuple(setup))

    @classmethod
    def from_items(cls, items: tuple[tuple[str, Any], ...] | dict[str, Any]) -> ClusterSpec:
        """From a ``[cluster]`` table (``ValueError`` naming the key)."""
        known = [f.name for f in fields(cls)]
        data = dict(items)
        for key in data:
            if key not in known:
                raise ValueError(f"unknown key 'cluster.{key}' (known: {', '.join(known)})")
        return cls(**data)

    def overridden(self, **flags: Any) -> ClusterSpec:
        """These settings with the flags that were given (``None``: not given)."""
        return replace(self, **{k: v for k, v in flags.items() if v is not None})

    def to_items(self) -> tuple[tuple[str, Any], ...]:
        """The settings that differ from the defaults (JSON-able values)."""
        default = ClusterSpec()
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                out.append((f.name, list(value) if isinstance(value, tuple) else value))
        return tuple(out)
