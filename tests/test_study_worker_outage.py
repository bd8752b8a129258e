"""A PostgreSQL restart in the middle of a study: eight workers wait it out and finish exactly
the budget (none lost, none counted twice). Runs where ``DESIGNSPACE_TEST_POSTGRES`` names a
server and ``DESIGNSPACE_TEST_POSTGRES_RESTART`` a command that restarts it (``.ci/run`` sets both).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid

import pytest

from designspace.study.join import open_existing

WORKER = """
import sys, time
from designspace.study.config import StudyConfig
from designspace.study.join import join_study
from designspace.study.objective import Outcome
from designspace.study.worker import Worker

def objective(trial, slot):
    time.sleep(0.1)  # a near-zero-cost trial
    return Outcome("COMPLETE", value=float(slot))

url, name, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = StudyConfig.from_dict({
    "study": {"name": name, "trials": trials, "heartbeat_interval": 2, "grace_period": 60},
    "space": {"name": "anynetx_a"}, "data": {"name": "synthetic"}, "budget": {"epochs": 1},
})
handle = join_study(config, url, lambda n: [{}] * n)  # no models: the stand-in trains none
say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
print(Worker(handle, objective, poll=0.2, patience=90, on_event=say).run().results)
"""


def restart_command() -> list[str]:
    url = os.environ.get("DESIGNSPACE_TEST_POSTGRES")
    command = os.environ.get("DESIGNSPACE_TEST_POSTGRES_RESTART")
    if not url or not command:
        pytest.skip("DESIGNSPACE_TEST_POSTGRES and DESIGNSPACE_TEST_POSTGRES_RESTART are not set (.ci/run sets them)")
    return shlex.split(command)


@pytest.mark.slow
def test_eight_workers_wait_out_a_postgres_restart_and_finish_exactly_the_budget():
    command = restart_command()
    url = os.environ["DESIGNSPACE_TEST_POSTGRES"]
    name, trials = f"restart-{uuid.uuid4().hex[:8]}", 120
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, name, str(trials)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        for _ in range(8)
    ]
    try:
        deadline = time.monotonic() + 120
        settled = 0
        while settled < 20:  # restart once the study is well under way
            assert time.monotonic() < deadline, "the study did not start"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs if p.poll() is not None]
            try:
                settled = len(open_existing(url, name).ledger().settled)
            except ValueError:  # not created yet
                pass
            time.sleep(0.2)
        assert settled < trials
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        outputs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    codes = [p.returncode for p in procs]
    assert codes == [0] * 8, [err[-2000:] for _, err in outputs]
    assert any("storage unreachable" in err for _, err in outputs)
    handle = open_existing(url, name)
    complete = [t for t in handle.trials() if t.state.name == "COMPLETE"]
    slots = [t.user_attrs["slot"] for t in complete]
    assert len(complete) == trials and sorted(slots) == list(range(trials))  # none lost, none twice
    assert sum(int(out.strip().splitlines()[-1]) for out, _ in outputs) == trials
    import optuna

    optuna.delete_study(study_name=name, storage=handle.storage)
