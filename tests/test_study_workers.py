"""Many workers on one storage: exact budgets, SIGKILL recovery, Ctrl-C, the sampled population.

Workers are real ``designspace study worker`` / ``study run`` processes training tiny models
on synthetic data (about a second per trial). PostgreSQL runs where ``DESIGNSPACE_TEST_POSTGRES``
names a server (``.ci/run`` starts one).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

import pytest

from designspace.cli import main
from designspace.study.join import open_existing

CLI = "from designspace.cli import entry; entry()"
ATTRS = {
    "spec", "sampled", "flops", "params", "acts", "test_error", "train_loss", "seconds", "images_per_second",
    "device", "precision", "version", "commit", "worker", "slot", "seed", "space",
}  # fmt: skip

CONFIG = """
[study]
name = "{name}"
trials = {trials}
seed = 7
heartbeat_interval = 1
grace_period = 3

[space]
name = "anynetx_a"
flops = "1M:3M"

[data]
name = "synthetic:train={images},test=128"

[budget]
epochs = 1

[train]
batch_size = 64
"""


def config_file(tmp_path, name: str, trials: int = 4, images: int = 256):
    path = tmp_path / f"{name}.toml"
    path.write_text(CONFIG.format(name=name, trials=trials, images=images))
    return path


def env() -> dict[str, str]:
    return {**os.environ, "DESIGNSPACE_NO_DOWNLOAD": "1", "OMP_NUM_THREADS": "1"}


def start(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        **kwargs,
    )


def worker(config, url: str, tmp_path) -> subprocess.Popen:
    return start("study", "worker", str(config), "--storage", url, "--threads", "1", "--results", str(tmp_path))


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def sampled_specs(name: str, n: int, capsys) -> list[dict]:
    """What ``designspace sample`` prints for the study's space, seed and regime."""
    capsys.readouterr()
    assert main(["sample", "anynetx_a", "--n", str(n), "--seed", "7", "--flops", "1M:3M", "--json"]) == 0
    return [json.loads(line)["spec"] for line in capsys.readouterr().out.splitlines()]


def check_population(url: str, name: str, trials: int, capsys) -> list:
    """Exactly ``trials`` COMPLETE trials, one per slot, training the ``designspace sample`` models."""
    handle = open_existing(url, name)
    all_trials = handle.trials()
    assert len({t.number for t in all_trials}) == len(all_trials)
    complete = [t for t in all_trials if t.state.name == "COMPLETE"]
    assert len(complete) == trials
    assert sorted(t.user_attrs["slot"] for t in complete) == list(range(trials))
    for t in complete:
        assert ATTRS <= set(t.user_attrs), ATTRS - set(t.user_attrs)
        assert t.user_attrs["test_error"] == t.value
        json.dumps(t.user_attrs)  # optuna-dashboard shows them as JSON
    by_slot = {t.user_attrs["slot"]: json.loads(t.user_attrs["spec"]) for t in complete}
    assert [by_slot[k] for k in range(trials)] == sampled_specs(name, trials, capsys)
    return all_trials


def postgres_url() -> str:
    url = os.environ.get("DESIGNSPACE_TEST_POSTGRES")
    if not url:
        pytest.skip("DESIGNSPACE_TEST_POSTGRES is not set (CI sets it; .ci/run starts a local PostgreSQL server)")
    return url


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "journal", "postgres"])
def test_two_workers_finish_exactly_the_budget(tmp_path, capsys, kind):
    name = f"two-{kind}-{uuid.uuid4().hex[:8]}"
    url = {
        "sqlite": lambda: f"sqlite:///{tmp_path / 'study.db'}",
        "journal": lambda: f"journal:{tmp_path / 'study.log'}",
        "postgres": postgres_url,
    }[kind]()
    config = config_file(tmp_path, name)
    procs = [worker(config, url, tmp_path) for _ in range(2)]  # both race to create the study
    for p in procs:
        code, err = finish(p)
        assert code == 0, err
    try:
        all_trials = check_population(url, name, 4, capsys)
        assert len(all_trials) == 4  # nothing enqueued twice by the creation race, nothing retried
    finally:
        if kind == "postgres":
            import optuna

            optuna.delete_study(study_name=name, storage=open_existing(url, name).storage)


def wait_for(predicate, timeout: float = 120, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Watch:
    """Polls a study's trials through one open storage (opening one per poll is slow)."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name, self.handle = url, name, None

    def just_started(self, worker_name: str | None = None) -> list:
        """Trials RUNNING for less than 1.5 s: they still run when a signal is sent right away (the
        tests' trials train on 4096 images: several seconds, even on a loaded machine)."""
        if self.handle is None:
            try:
                self.handle = open_existing(self.url, self.name)
            except (ValueError, FileNotFoundError):
                return []
        return [
            t
            for t in self.handle.trials()
            if t.state.name == "RUNNING"
            and (worker_name is None or t.user_attrs.get("worker") == worker_name)
            and time.time() - t.datetime_start.timestamp() < 1.5
        ]


@pytest.mark.slow
def test_sigkill_mid_trial_then_resume(tmp_path, capsys):
    name = "killed"
    url = f"sqlite:///{tmp_path / 'study.db'}"
    config = config_file(tmp_path, name, trials=3, images=4096)
    victim = worker(config, url, tmp_path)
    me, watch = f"{socket.gethostname()}:{victim.pid}", Watch(url, name)
    killed = wait_for(lambda: watch.just_started(me), what="a trial of the worker")[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    # Resume (a worker in this process): it finds the trial silent past the grace period, marks it
    # lost and re-runs its slot with the same parameters.
    assert main(["study", "worker", str(config), "--storage", url, "--threads", "1", "--quiet"]) == 0
    all_trials = check_population(url, name, 3, capsys)
    lost = next(t for t in all_trials if t.number == killed.number)
    assert lost.state.name == "FAIL" and lost.system_attrs["designspace:outcome"] == "lost"
    assert len(all_trials) == 4  # the 3 results and the killed trial: no duplicates
    db = sqlite3.connect(tmp_path / "study.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


@pytest.mark.slow
def test_ctrl_c_marks_running_trials_failed_and_says_how_to_resume(tmp_path, capsys):
    name = "stopped"
    url = f"journal:{tmp_path / 'study.log'}"
    config = config_file(tmp_path, name, trials=3, images=4096)
    run = start("study", "run", str(config), "--storage", url, "--workers", "2", "--threads", "1",
                "--results", str(tmp_path), "--no-progress", start_new_session=True)  # fmt: skip
    watch = Watch(url, name)
    wait_for(watch.just_started, what="a running trial")
    os.killpg(run.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    code, err = finish(run, timeout=90)
    assert code == 130, err
    assert "resume with: designspace study run" in err
    trials = open_existing(url, name).trials()
    assert not [t for t in trials if t.state.name == "RUNNING"], err
    interrupted = [t for t in trials if t.system_attrs.get("designspace:outcome") == "interrupted"]
    states = [
        (t.number, t.state.name, t.system_attrs.get("designspace:outcome"), t.user_attrs.get("reason")) for t in trials
    ]
    assert interrupted and all(t.state.name == "FAIL" for t in interrupted), (states, err)
    assert all(t.user_attrs["reason"].startswith("interrupted") for t in interrupted)
    assert main(["study", "worker", str(config), "--storage", url, "--threads", "1", "--quiet"]) == 0
    all_trials = check_population(url, name, 3, capsys)
    assert len(all_trials) == 3 + len(interrupted)


def _claim_every_trial(url: str, ready, won) -> None:  # noqa: ANN001 - multiprocessing handles
    """A worker's claim loop reduced to its core: try to set every WAITING trial RUNNING."""
    from optuna.trial import TrialState

    from designspace.study.storage import open_storage

    storage = open_storage(url)
    trials = storage.get_all_trials(storage.get_study_id_from_name("race"), deepcopy=False)
    ready.wait()
    won.put([t.number for t in trials if storage.set_trial_state_values(t._trial_id, state=TrialState.RUNNING)])


@pytest.mark.slow
def test_concurrent_claims_never_give_one_trial_to_two_workers(tmp_path):
    # pysqlite began a transaction only at the first write, so two processes could both read a
    # trial as WAITING and both set it RUNNING (seen 1-2 times in 300 trials with 3 processes
    # before SQLite transactions began IMMEDIATE): two workers trained the same model.
    import multiprocessing as mp

    import optuna

    from designspace.study.storage import open_storage

    url, n = f"sqlite:///{tmp_path / 'race.db'}", 300
    study = optuna.create_study(storage=open_storage(url), study_name="race")
    for i in range(n):
        study.enqueue_trial({"x": i})
    ctx = mp.get_context("spawn")
    ready, won = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_claim_every_trial, args=(url, ready, won)) for _ in range(3)]
    for p in procs:
        p.start()
    ready.wait(timeout=120)
    claims = [number for _ in procs for number in won.get(timeout=120)]
    for p in procs:
        p.join(timeout=60)
    assert sorted(claims) == list(range(n))  # every trial claimed exactly once


def test_a_sqlite_transaction_holds_the_write_lock_from_its_first_read(tmp_path):
    import optuna

    from designspace.study.storage import open_storage

    path = tmp_path / "lock.db"
    storage = open_storage(f"sqlite:///{path}")
    optuna.create_study(storage=storage, study_name="s").enqueue_trial({"x": 1})
    with storage.engine.begin() as conn:  # what Optuna's claim does: read the state, then update
        assert conn.exec_driver_sql("SELECT state FROM trials").scalar() == "WAITING"
        other = sqlite3.connect(path, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("UPDATE trials SET state = 'RUNNING'")
        other.close()


def test_a_signal_whose_handler_runs_inside_a_claim_is_raised_when_the_claim_ends():
    # A signal received just before the claim blocks signals still runs its Python handler at the
    # next bytecode, inside the claim: raised there, it would orphan the trial just set RUNNING.
    from designspace.study.signals import signals_deferred, stop_on_signals

    restore = stop_on_signals()
    steps = []
    try:
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            with signals_deferred():
                signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)  # what Python does at that bytecode
                steps.append("claimed")  # the claim completes: the worker knows its trial
        assert steps == ["claimed"]
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # later signals: ignored during clean-up
    finally:
        restore()


def test_the_signal_handler_takes_no_lock_so_a_second_signal_inside_it_cannot_deadlock():
    # The parent's SIGTERM can arrive while the worker's main thread is still inside the handler of
    # the SIGINT before it: Python then runs the handler again, nested. A handler that takes a
    # non-reentrant lock (threading.Event.set does) waits on itself forever -- a study run that
    # never exits. The handler may only touch plain Python objects.
    from designspace.study.worker import stop_on_signals

    restore = stop_on_signals()
    handler = signal.getsignal(signal.SIGINT)
    locks = []

    def watch(frame, event, arg):  # noqa: ANN001 - sys.setprofile's signature
        if event == "c_call" and getattr(arg, "__name__", "") in ("acquire", "__enter__"):
            locks.append(arg)
        elif event == "call" and frame.f_code.co_filename.endswith("threading.py"):
            locks.append(frame.f_code.co_name)

    try:
        sys.setprofile(watch)
        try:
            handler(signal.SIGINT, None)
        except KeyboardInterrupt:
            pass
        finally:
            sys.setprofile(None)
        assert locks == []
        handler(signal.SIGTERM, None)  # the nested or later one: ignored, returns at once
    finally:
        restore()


def test_a_stop_signal_landing_in_a_finalizer_prints_no_traceback_and_still_stops(monkeypatch):
    # Seen on a 1-worker study stopped by SIGTERM: the handler ran inside a SQLAlchemy weakref
    # callback, where an exception cannot propagate; Python printed "Exception ignored in ..." and a
    # traceback (sys.unraisablehook's default), and dropped the interrupt.
    from designspace.study.signals import stop_if_signalled, stop_on_signals

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda args: reported.append(args.exc_value))

    class Finalized:
        def __del__(self) -> None:
            signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)  # the handler runs here

    before = sys.unraisablehook
    restore = stop_on_signals()
    try:
        Finalized()  # dropped at once: __del__ runs, its KeyboardInterrupt goes to sys.unraisablehook
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            stop_if_signalled()
        sys.unraisablehook(SimpleNamespace(exc_value=ValueError("kept")))  # other errors: reported
    finally:
        restore()
    assert [repr(e) for e in reported] == ["ValueError('kept')"]
    assert sys.unraisablehook is before


@pytest.mark.parametrize("swallowed_by", ["library", "objective"])
def test_a_stop_signal_that_library_code_turned_into_another_error_still_stops_the_worker(tmp_path, swallowed_by):
    # Optuna's journal lock, interrupted right after unlinking its lock file, unlinks it again in
    # `except BaseException` and raises FileNotFoundError instead of the KeyboardInterrupt. The
    # worker must not take that for the trial's own error and go on: seen as a study that ran to
    # its end after Ctrl-C, with the interrupted trial recorded as an error.
    from designspace.study.config import StudyConfig
    from designspace.study.objective import Outcome
    from designspace.study.worker import run_worker, stop_on_signals

    def objective(trial, slot):  # noqa: ANN001, ANN202
        try:
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # the signal lands in library code
        except KeyboardInterrupt:
            if swallowed_by == "objective":  # TrainObjective turns exceptions into FAIL outcomes
                return Outcome("FAIL", reason="error: FileNotFoundError: lock.rename")
            raise FileNotFoundError("lock.rename") from None
        return Outcome("COMPLETE", value=1.0)

    config = StudyConfig(name="swallowed", space="anynetx_a", trials=2, flops=(1e6, 3e6), epochs=1)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    restore = stop_on_signals()
    try:
        with pytest.raises(KeyboardInterrupt, match="SIGINT"):
            run_worker(config, url, objective=objective)
    finally:
        restore()
    trials = open_existing(url, "swallowed").trials()
    first = next(t for t in trials if t.number == 0)
    assert first.state.name == "FAIL" and first.system_attrs["designspace:outcome"] == "interrupted"
    assert first.user_attrs["reason"] == "interrupted (SIGINT)"
    assert not [t for t in trials if t.state.name in ("RUNNING", "COMPLETE")]  # stopped: nothing else ran
    assert run_worker(config, url, objective=lambda trial, slot: Outcome("COMPLETE", value=1.0)).results == 2
