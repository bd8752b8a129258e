"""Run a calibration plan's trainings: one worker process visits the plan's studies in order.

Each study is an ordinary population study (:mod:`designspace.calibration.plan`), so any number
of these workers (and ``designspace study worker`` processes) cooperate through the storage: a
worker claims one trial at a time, skips studies whose remaining trials others are running, and
takes over trials whose worker died (no heartbeat for the study's grace period). Run it again
after an interruption: it continues where the plan stopped. The data set is loaded once per
(subset, split) and shared by every study of the process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from designspace.calibration.plan import REFERENCE, CalibrationPlan
from designspace.study.config import StudyConfig
from designspace.study.join import join_study, open_existing
from designspace.study.objective import TrainObjective, slot_params
from designspace.study.slots import last_sign_of_life
from designspace.study.worker import Worker

__all__ = ["pending", "run_plan"]


def _data_key(c: StudyConfig) -> tuple[Any, ...]:
    return (c.dataset, c.data_dir, c.train_subset, c.test_subset, c.data_seed, c.resolution)


def _stale(ledger: Any, grace: float) -> bool:
    now = time.time()
    return any(now - last_sign_of_life(t) > grace for t in ledger.running())


def protocols(plan: CalibrationPlan, parts: Sequence[str]) -> list[str]:
    """The protocols of ``parts`` (``reference``, protocol names, or ``protocols`` for all of them)."""
    names: list[str] = []
    for part in parts:
        for name in plan.protocol_names if part == "protocols" else [part]:
            plan.protocol(name)  # a one-line error for an unknown name
            if name not in names:
                names.append(name)
    return names


def interleaved(plan: CalibrationPlan, protocol: str) -> list[StudyConfig]:
    """A protocol's studies in the order a partial run is most useful in: bin by bin, each bin
    across every space, both replicates of a cell together (complete pairs, every space early)."""
    cells = plan.cells
    studies = plan.studies(protocol)  # replicate by replicate, cell by cell
    keyed = [((cells[i % len(cells)][2], i % len(cells), i // len(cells)), c) for i, c in enumerate(studies)]
    return [c for _, c in sorted(keyed, key=lambda kc: kc[0])]


def order(plan: CalibrationPlan, parts: Sequence[str]) -> list[StudyConfig]:
    """Every study of ``parts``, protocol by protocol, each in :func:`interleaved` order."""
    return [c for name in protocols(plan, parts) for c in interleaved(plan, name)]


def pending(plan: CalibrationPlan, parts: Sequence[str]) -> dict[str, int]:
    """Trainings still without a result, per protocol (studies not created yet count in full)."""
    out: dict[str, int] = {}
    for c in order(plan, parts):
        protocol = c.name.split(".")[1]
        try:
            left = c.trials - len(open_existing(plan.storage, c.name).ledger().settled)
        except (ValueError, FileNotFoundError):  # no storage or no such study yet
            left = c.trials
        out[protocol] = out.get(protocol, 0) + max(left, 0)
    return out


def run_plan(
    plan: CalibrationPlan,
    parts: Sequence[str] = (REFERENCE, "protocols"),
    *,
    device: str = "cpu",
    threads: int | None = 1,
    say: Callable[[str], None] = print,
    max_trainings: int | None = None,
) -> int:
    """Train what ``parts`` still lack; returns the number of trials this worker ran."""
    data: dict[tuple[Any, ...], Any] = {}
    handles: dict[str, Any] = {}
    ran = 0
    for name in protocols(plan, parts):  # a protocol is finished before the next is started
        progress = True
        while progress:  # one trial per study and pass: slot 0 of every study first, then slot 1 ...
            progress = False
            for config in interleaved(plan, name):
                if max_trainings is not None and ran >= max_trainings:
                    return ran
                if config.name not in handles:
                    handles[config.name] = join_study(config, plan.storage, lambda n, c=config: slot_params(c, n))
                handle = handles[config.name]
                ledger = handle.ledger()
                if ledger.done or not (ledger.claimable() or _stale(ledger, handle.config.grace_period)):
                    continue  # finished, or the rest is being trained by other workers
                objective = TrainObjective(handle.config, device=device, threads=threads)
                key = _data_key(handle.config)
                if key not in data:
                    data[key] = objective.data
                objective.__dict__["data"] = data[key]  # the cached_property's slot: load once per process
                objective.pin_precision(handle)
                objective.prepare()
                report = Worker(
                    handle, objective, max_trials=1, on_event=lambda m, n=config.name: say(f"{n}: {m}")
                ).run()
                ran += report.ran
                progress = progress or report.ran > 0
    return ran
