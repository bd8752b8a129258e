"""``study run``: N worker processes on this machine, a progress bar of the whole study, resumable.

The parent creates (or joins) the study, starts the workers (spawned processes running
:func:`designspace.study.worker.run_worker`), and polls the storage for the bar: trials with a
result / budget, done, failed, running, best error, ETA. Ctrl-C (or SIGTERM) reaches every
worker, each marks its running trial FAIL (``interrupted``) and re-queues it; the parent waits for
them and says how to resume. Running the command again continues the study to its budget.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from designspace.errors import UsageError
from designspace.study.config import StudyConfig
from designspace.study.export import trials_frame
from designspace.study.join import StudyHandle
from designspace.study.outcome import DeviceFault, error_text
from designspace.study.progress import progress_display
from designspace.study.signals import die_with_parent
from designspace.study.storage import StorageURL, parse_url
from designspace.study.worker import run_worker, stop_on_signals
from designspace.ui.messages import first_line

__all__ = ["RunPlan", "plan_run", "run_study", "worker_process"]

#: exit status of a worker whose GPU failed under a trial (the trial is re-queued)
DEVICE_FAULT_EXIT = 3
#: new workers one ``study run`` starts in place of those, at most (a broken GPU must not loop)
MAX_RESTARTS = 8


@dataclass(frozen=True)
class RunPlan:
    """How this machine runs the study: ``workers`` processes on ``device`` with ``threads`` each."""

    workers: int
    device: str  # cpu | cuda
    threads: int | None  # torch intra-op threads per worker (CPU), None = leave
    gpus: tuple[int, ...] = ()  # one per worker on CUDA


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def plan_run(device: str, workers: int | None, threads: int | None, remaining: int) -> RunPlan:
    """Default: one worker per core with one thread each on CPU, one per GPU on CUDA."""
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"--device {device!r}: must be cpu, cuda or auto")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers {workers}: must be at least 1")
    if threads is not None and threads < 1:
        raise ValueError(f"--threads {threads}: must be at least 1")
    if device in ("auto", "cuda"):
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if device == "cuda" and gpus == 0:
            raise ValueError("--device cuda: no CUDA GPU is visible")
        if gpus:
            n = max(1, min(workers or gpus, remaining))
            return RunPlan(n, "cuda", threads, tuple(i % gpus for i in range(n)))
    cores = cpu_count()
    n = max(1, min(workers or cores, remaining))
    return RunPlan(n, "cpu", threads or max(1, cores // n))


@contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Start workers with SIGINT ignored (until their own handler is installed after imports)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def worker_process(
    config: StudyConfig, url: str, device: str, threads: int | None, events: Any, objective: Any = None
) -> None:
    """Entry point of one spawned worker: run trials; report errors and events to the parent.

    ``objective``: a picklable objective to run instead of training (tests); None trains.
    """
    stop_on_signals()
    die_with_parent()
    try:
        run_worker(
            config,
            url,
            objective=objective,
            device=device,
            threads=threads,
            on_event=lambda msg: events.put(("event", os.getpid(), msg)),
        )
    except KeyboardInterrupt:
        sys.exit(130)
    except DeviceFault as e:  # its trial is re-queued; the parent starts a new worker in its place
        events.put(("fault", os.getpid(), str(e)))
        sys.exit(DEVICE_FAULT_EXIT)
    except (ValueError, UsageError, FileNotFoundError) as e:
        events.put(("usage", os.getpid(), first_line(e)))
        sys.exit(2)
    except Exception as e:  # noqa: BLE001 - reported to the parent as one line
        events.put(("error", os.getpid(), error_text(e)))
        sys.exit(1)


def run_study(
    config: StudyConfig,
    url: str | StorageURL,
    plan: RunPlan,
    handle: StudyHandle,
    *,
    progress: bool = True,
    poll: float = 1.0,
    say: Any = None,
    objective: Any = None,
) -> int:
    """Run the study's remaining trials with ``plan.workers`` processes; 0 when the budget is met.

    ``handle`` is the study, already created or joined by the caller. Returns 130 after Ctrl-C
    (the running trials are FAIL and re-queued), 1 when the workers stopped short of the budget.
    A worker whose GPU failed (a CUDA error: its process cannot use the GPU again) re-queues its
    trial and exits; a new one takes its place, up to ``MAX_RESTARTS`` times.
    """
    say = say or (lambda text: print(text, file=sys.stderr))
    ctx = mp.get_context("spawn")
    events = ctx.Queue()
    procs: list[mp.process.BaseProcess] = []
    bar = progress_display(handle, progress)
    errors: list[str] = []
    usage: list[str] = []
    faults: list[str] = []
    restarts = 0

    def drain() -> None:
        while True:
            try:
                kind, pid, msg = events.get_nowait()
            except Exception:  # noqa: BLE001 - queue.Empty (or a closed queue)
                return
            if kind == "usage":  # bad input (e.g. data not found): reported once, at the end
                usage.append(msg)
            elif kind == "fault":
                faults.append(msg)
                bar.write(f"worker {pid}: device fault: {msg}")
            elif kind == "error":
                errors.append(msg)
                bar.write(f"worker {pid}: error: {msg}")
            elif "COMPLETE" not in msg:
                bar.write(f"worker {pid}: {msg}")

    def start(i: int) -> mp.process.BaseProcess:
        env = {"CUDA_VISIBLE_DEVICES": str(plan.gpus[i])} if plan.device == "cuda" else {}
        p = ctx.Process(
            target=worker_process,
            args=(config, str(url), plan.device, plan.threads, events, objective),
            name=f"designspace-worker-{i}",
        )
        with _env(**env), _sigint_ignored():  # inherited: no traceback from a worker still importing
            p.start()
        return p

    monitor = _monitor(config, url)
    try:
        procs.extend(start(i) for i in range(plan.workers))
        while True:
            time.sleep(poll)
            drain()
            ledger = bar.update()
            if monitor is not None and monitor.due(len(ledger.settled)):
                look = monitor.check()
                if look is not None and look.stop:  # the verdict is settled: no more models
                    bar.write(f"sequential look at n = {look.n}: z = {look.z:+.2f} crosses ±{look.boundary:.2f}")
                    _stop(procs)
                    drain()
                    bar.update()
                    bar.close()
                    say(f"study {config.name}: stopped at look n = {look.n} of {monitor.rule.looks[-1]}: settled")
                    return 0
            alive = any(p.is_alive() for p in procs)  # before the restarts: one that dies after is seen next time
            for i, p in enumerate(procs):
                if p.exitcode == DEVICE_FAULT_EXIT and not ledger.done and restarts < MAX_RESTARTS:
                    restarts += 1
                    bar.write(f"starting a new worker in place of worker {p.pid} ({restarts}/{MAX_RESTARTS})")
                    procs[i] = start(i)
                    alive = True
            if not alive:
                break
        drain()
        ledger = bar.update()
    except KeyboardInterrupt:
        bar.write("stopping: the workers mark their running trials FAIL (interrupted) and re-queue them ...")
        _stop(procs)
        drain()
        bar.update()
        bar.close()
        say(f"interrupted; resume with: {resume_command(config, url)}")
        return 130
    bar.close()
    if usage and not ledger.done and all(p.exitcode == 2 for p in procs):
        raise ValueError(usage[0])  # every worker refused the same input: one line, exit 2
    if not ledger.done:
        why = (errors + usage)[0] if errors or usage else "the workers stopped before the budget was met"
        if faults and not errors and not usage:
            why = f"device faults ({len(faults)}, the last: {faults[-1]})"
        say(f"study {config.name}: {len(ledger.settled)}/{ledger.budget} trials with a result: {why}")
        say(f"resume with: {resume_command(config, url)}")
        return 1
    return 0


def _monitor(config: StudyConfig, url: str | StorageURL) -> Any:
    """The study's sequential-looks monitor, or None without a ``[sequential]`` table."""
    if not config.sequential:
        return None
    from designspace.study.sequential import Monitor, SequentialRule  # deferred: loads scipy and pandas

    rule = SequentialRule.from_items(config.sequential, config.trials)
    trials_frame(str(url), [rule.reference])  # an unknown reference fails now, before any worker starts
    return Monitor(rule, config.name, lambda names: trials_frame(str(url), names))


def _stop(procs: list[Any], timeout: float = 60.0) -> None:
    """Pass the stop on to the workers as SIGTERM (a worker already stopping ignores it; one still
    importing, which has no trial yet, just ends) and wait for them."""
    for p in procs:
        if p.is_alive() and p.pid is not None:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.join(max(0.1, deadline - time.monotonic()))
        except KeyboardInterrupt:
            break
    for p in procs:  # still there: stuck; SIGKILL (a stopping worker ignores SIGTERM), or this
        if p.is_alive():  # process would wait for it forever on exit. Its trial is lost, re-run on resume.
            p.kill()
            p.join(5)


def resume_command(config: StudyConfig, url: str | StorageURL) -> str:
    source = config.source or "CONFIG.toml"
    return f"designspace study run {source} --storage {_display(url)}"


def _display(url: str | StorageURL) -> str:
    parsed = url if isinstance(url, StorageURL) else parse_url(str(url))
    return parsed.display
