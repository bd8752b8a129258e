"""One cell of bench_storage.py: N designspace workers with no-op trials on a pre-filled study.

    PYTHONPATH=TREE python benchmarks/storage_fleet.py '{"storage": "sqlite", "workers": 16, ...}'

Run with ``PYTHONPATH`` at the tree under test (its ``designspace`` is imported, not this
checkout's). Steps: a study is created with the tree's own ``join_study`` and filled by bulk SQL
with ``prefill`` COMPLETE trials (rows as Optuna writes them, attributes of a real trial from
``storage_trial_template.json``) and ``open`` WAITING slots (``idle``: RUNNING slots held by
nobody, so every worker finds nothing to claim); an optional gRPC proxy (the tree's
``designspace.study.grpc_proxy.serve``) is forked; N workers are forked, each running the tree's
``run_worker`` with an objective that returns at once. After every worker has finished one trial
(``idle``: slept once in its poll loop), counters are read at the start and end of a ``window``:
trials done (objective calls), SQL statements (SQLAlchemy ``before_cursor_execute`` in every
process, the proxy's included), and CPU seconds of each process (``/proc/PID/stat``). Prints one
JSON line.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from multiprocessing.sharedctypes import RawArray
from pathlib import Path

from sqlalchemy import text

TEMPLATE = Path(__file__).with_name("storage_trial_template.json")
CALLS, STATEMENTS, SLEEPS = 0, 1, 2  # counters per process
NCOUNT = 3
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def memory_available_gib() -> float:
    """The kernel's estimate of memory available to new work (``MemAvailable``), GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("inf")


def study_config(spec: dict, trials: int):  # noqa: ANN201 - the tree's StudyConfig
    from designspace.study.config import StudyConfig

    return StudyConfig.from_dict(
        {
            "study": {
                "name": "bench",
                "trials": trials,
                "heartbeat_interval": 10,
                "grace_period": 86400 if spec["idle"] else 60,
            },
            "space": {"name": "anynetx_a", "flops": "4M:8M"},
            "data": {"name": "synthetic"},
            "budget": {"epochs": 1},
        }
    )


def db_url(spec: dict, name: str) -> str:
    """The storage URL of database ``name``: a file in the cell's folder, or a database on the server."""
    if spec["storage"] == "sqlite":
        return f"sqlite:///{Path(spec['dir']) / name}.db"
    from sqlalchemy.engine import make_url

    return make_url(spec["postgres"]).set(database=name).render_as_string(hide_password=False)


def copy_database(spec: dict, template: str, name: str) -> None:
    """``name`` := a copy of ``template`` (a file copy; on PostgreSQL, CREATE DATABASE ... TEMPLATE)."""
    if spec["storage"] == "sqlite":
        shutil.copyfile(Path(spec["templates"]) / f"{template}.db", Path(spec["dir"]) / f"{name}.db")
        return
    with admin(spec) as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))


def drop_database(spec: dict, name: str) -> None:
    if spec["storage"] == "postgres":
        with admin(spec) as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def admin(spec: dict) -> Iterator:
    """An autocommit connection to the server's administration database (``--postgres``)."""
    from sqlalchemy import create_engine

    engine = create_engine(sqlalchemy_url(spec["postgres"]), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            yield c
    finally:
        engine.dispose()


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg2://", 1) if url.startswith("postgresql://") else url


def prefill(spec: dict, name: str) -> None:
    """Database ``name`` with the study: slot 0 by the tree's join_study, the rest by bulk SQL."""
    import optuna
    from sqlalchemy import MetaData, create_engine, func, select

    from designspace.study.join import join_study
    from designspace.study.slots import STUDY_QUEUED

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    template = json.loads(TEMPLATE.read_text())
    fixed = json.loads(template["system"]["fixed_params"])
    if spec["storage"] == "postgres":
        with admin(spec) as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
    url = db_url(spec, name)
    engine = create_engine(sqlalchemy_url(url))
    n_open, n_done = (spec["workers"] if spec["idle"] else spec["open"]), spec["prefill"]
    budget = n_open + n_done
    handle = join_study(study_config(spec, 1), url, lambda n: [dict(fixed) for _ in range(n)])
    md = MetaData()
    md.reflect(
        engine, only=["trials", "trial_values", "trial_params", "trial_user_attributes", "trial_system_attributes"]
    )
    t = md.tables
    now = datetime.now()
    beat = json.dumps(time.time())
    with engine.begin() as c:
        base = c.execute(select(func.max(t["trials"].c.trial_id))).scalar() or 0
        trials, values, params, user, system = [], [], [], [], []
        # Slots 0..prefill-1 are done, the rest open: the order a study fills its slots in (the
        # cache of finished trials re-reads everything from the first unfinished trial on).
        for slot in range(budget):
            tid, done = base + slot, slot < n_done
            start = now - timedelta(seconds=100 + budget - slot) if done else (now if spec["idle"] else None)
            state = "COMPLETE" if done else ("RUNNING" if spec["idle"] else "WAITING")
            end = start + timedelta(seconds=73) if done else None
            row = {"state": state, "datetime_start": start, "datetime_complete": end}
            if slot == 0:  # join_study's own trial: its slot and fixed_params are there
                c.execute(t["trials"].update().where(t["trials"].c.trial_id == base).values(**row))
            else:
                trials.append({"trial_id": tid, "number": slot, "study_id": handle.study_id, **row})
                system.append({"trial_id": tid, "key": "designspace:slot", "value_json": str(slot)})
                fixed_json = template["system"]["fixed_params"]
                system.append({"trial_id": tid, "key": "fixed_params", "value_json": fixed_json})
            if spec["idle"] and not done:  # held by a silent worker that is never lost (grace: a day)
                system.append({"trial_id": tid, "key": "designspace:heartbeat", "value_json": beat})
            if not done:
                continue
            error = 40.0 + (slot * 7919 % 3000) / 100
            values.append({"trial_id": tid, "objective": 0, "value": error, "value_type": "FINITE"})
            system.append({"trial_id": tid, "key": "designspace:outcome", "value_json": '"result"'})
            system.append({"trial_id": tid, "key": "designspace:heartbeat", "value_json": beat})
            attrs = {**template["user"], "slot": str(slot), "test_error": json.dumps(error)}
            user.extend({"trial_id": tid, "key": k, "value_json": v} for k, v in attrs.items())
            params.extend(
                {"trial_id": tid, "param_name": n, "param_value": v, "distribution_json": d}
                for n, v, d in template["params"]
            )
        for name, rows in [("trials", trials), ("trial_values", values), ("trial_params", params),
                           ("trial_user_attributes", user), ("trial_system_attributes", system)]:  # fmt: skip
            if rows:
                c.execute(t[name].insert(), rows)
        if engine.dialect.name == "postgresql":
            c.execute(
                text("SELECT setval(pg_get_serial_sequence('trials', 'trial_id'), (SELECT max(trial_id) FROM trials))")
            )
    storage, sid = handle.storage, handle.study_id
    storage.set_study_user_attr(sid, "config", handle.config.with_trials(budget).to_dict())
    storage.set_study_user_attr(sid, "trials", budget)
    storage.set_study_system_attr(sid, STUDY_QUEUED, budget)
    engine.dispose()


def install_counters(counters, index: int) -> None:  # noqa: ANN001
    """This process counts its SQL statements and its sleeps (a worker's idle poll) into ``counters``."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    at = index * NCOUNT

    def statement(*_args: object) -> None:
        counters[at + STATEMENTS] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    sleep = time.sleep

    def counted_sleep(seconds: float) -> None:
        counters[at + SLEEPS] += 1
        sleep(seconds)

    time.sleep = counted_sleep


def stop_handler():  # noqa: ANN201
    try:
        from designspace.study.signals import stop_on_signals
    except ImportError:
        from designspace.study.worker import stop_on_signals
    return stop_on_signals()


def _die_with_parent() -> None:
    """Linux: this child gets SIGKILL when the fleet process dies (a timeout, a kill): no orphans."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop(pids: list[int], grace: float = 30.0) -> list[int]:
    """SIGTERM, then SIGKILL after ``grace`` s (a worker inside one long query hears it late); exit codes."""
    for p in pids:
        os.kill(p, signal.SIGTERM)
    codes: dict[int, int] = {}
    deadline = time.monotonic() + grace
    while len(codes) < len(pids):
        for p in pids:
            if p not in codes:
                done, status = os.waitpid(p, os.WNOHANG)
                if done:
                    codes[p] = status
        if time.monotonic() > deadline:
            for p in set(pids) - set(codes):
                os.kill(p, signal.SIGKILL)
                os.waitpid(p, 0)
                codes[p] = -9
        time.sleep(0.05)
    return [codes[p] for p in pids]


def child(target, *args) -> int:  # noqa: ANN001
    """Fork; the child runs ``target(*args)`` and exits (1 with one line on stderr if it raised)."""
    pid = os.fork()
    if pid:
        return pid
    _die_with_parent()
    code = 0
    try:
        target(*args)
    except KeyboardInterrupt:
        pass
    except BaseException as e:  # noqa: BLE001
        print(f"storage_fleet: {target.__name__} failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        code = 1
    finally:
        sys.stdout.flush()
        os._exit(code)


def run_one_worker(counters, index: int, url: str, config) -> None:  # noqa: ANN001
    from designspace.study.objective import Outcome
    from designspace.study.worker import run_worker

    install_counters(counters, index)
    stop_handler()

    def objective(trial, slot: int) -> Outcome:  # noqa: ANN001
        counters[index * NCOUNT + CALLS] += 1
        return Outcome("COMPLETE", value=float(slot % 97))

    run_worker(config, url, objective=objective, poll=1.0)


def run_server(counters, index: int, url: str, port: int) -> None:  # noqa: ANN001
    from designspace.study.grpc_proxy import serve

    install_counters(counters, index)
    stop_handler()
    serve(url, "127.0.0.1", port)


def snapshot(counters, pids: list[int]) -> dict:  # noqa: ANN001
    return {"t": time.monotonic(), "c": list(counters), "cpu": [cpu_seconds(p) for p in pids]}


def preload(spec: dict) -> None:
    """Import the tree's modules once, before forking: every child shares them (64 workers would
    otherwise each spend seconds of CPU importing them, on the CPU the others are measured on)."""
    import optuna  # noqa: F401
    import sqlalchemy  # noqa: F401

    import designspace.study.join  # noqa: F401
    import designspace.study.objective  # noqa: F401
    import designspace.study.worker  # noqa: F401

    study_config(spec, 1)  # a config's check imports the design spaces
    if spec["grpc"]:
        import designspace.study.grpc_proxy  # noqa: F401
        import designspace.study.storage

        designspace.study.storage.open_storage  # noqa: B018 - the client module loads lazily
        import grpc  # noqa: F401
        from optuna.storages._grpc import client, servicer  # noqa: F401


def main(spec: dict) -> dict:
    import designspace

    preload(spec)
    t_start = time.monotonic()
    template = spec["template"]
    here = str(Path(designspace.__file__).parent.parent)
    if spec.get("build"):  # the harness asks once per tree and kind of study
        if spec["build"] != "only":  # built here, for this cell alone
            spec = {**spec, "templates": spec["dir"]}
        pid = child(prefill, spec, template)
        if os.waitpid(pid, 0)[1] != 0:
            raise SystemExit("storage_fleet: the prefill failed")
        if spec["build"] == "only":
            return {"designspace": here, "prefill_s": time.monotonic() - t_start}
    cell = f"{template}_cell"
    copy_database(spec, template, cell)
    prefill_s = time.monotonic() - t_start
    try:
        return measure(spec, db_url(spec, cell), prefill_s)
    finally:
        drop_database(spec, cell)


def measure(spec: dict, database: str, prefill_s: float) -> dict:
    import designspace

    n = spec["workers"]
    counters = RawArray("d", (n + 1) * NCOUNT)
    url, server = database, None
    if spec["grpc"]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = child(run_server, counters, n, database, port)
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        url = f"grpc://127.0.0.1:{port}"
    config = study_config(spec, spec["prefill"] + (n if spec["idle"] else spec["open"]))
    started = time.monotonic()
    pids = [child(run_one_worker, counters, i, url, config) for i in range(n)]
    key, need = (SLEEPS, 1) if spec["idle"] else (CALLS, 1)
    # A worker of an old tree holds ~1.5 GB while it reads a 10,000-trial study whole: the cell
    # stops early (no window) rather than let the machine run out of memory.
    floor, low_memory = spec.get("min_free_gib", 3.0), False
    while time.monotonic() - started < spec["warmup_max"]:
        if all(counters[i * NCOUNT + key] >= need for i in range(n)):
            break
        if memory_available_gib() < floor:
            low_memory = True
            break
        time.sleep(0.2)
    warmed = sum(counters[i * NCOUNT + key] >= need for i in range(n))
    warmup = time.monotonic() - started
    everyone = pids + ([server] if server else [])
    a = snapshot(counters, everyone)
    time.sleep(0 if low_memory else spec["window"])
    b = snapshot(counters, everyone)
    load = os.getloadavg()[0]
    stopping = time.monotonic()
    codes = stop(pids, spec.get("stop_grace", 30.0))
    if server:
        stop([server], spec.get("stop_grace", 30.0))
    if low_memory:
        return {
            "designspace": str(Path(designspace.__file__).parent.parent),
            "error": f"stopped: under {floor:g} GiB of memory left after {time.monotonic() - started:.0f} s",
            "warmed_workers": warmed,
            "warmup_s": round(stopping - started, 1),
            "cpu_s_per_worker_to_window": round(sum(a["cpu"][:n]) / n, 2),
            "loadavg_1m": round(load, 2),
        }
    stop_s = time.monotonic() - stopping
    dt = b["t"] - a["t"]
    delta = [y - x for x, y in zip(a["c"], b["c"])]
    trials = sum(delta[i * NCOUNT + CALLS] for i in range(n))
    statements = sum(delta[i * NCOUNT + STATEMENTS] for i in range(n + 1))
    worker_cpu = sum(y - x for x, y in zip(a["cpu"][:n], b["cpu"][:n]))
    out = {
        "designspace": str(Path(designspace.__file__).parent.parent),
        "setup_s": round(prefill_s, 1),
        "workers": n,
        "warmed_workers": warmed,
        "warmup_s": round(warmup, 1),
        # CPU a worker spent from its start (fork) to the window: joining the study, its first read
        "cpu_s_per_worker_to_window": round(sum(a["cpu"][:n]) / n, 2),
        "window_s": round(dt, 2),
        "trials": int(trials),
        "trials_per_s": round(trials / dt, 2),
        "sql_statements": int(statements),
        "sql_per_s": round(statements / dt, 1),
        "sql_per_trial": round(statements / trials, 1) if trials else None,
        "worker_cpu_pct_of_one_core": round(100 * worker_cpu / dt, 1),
        "worker_cpu_s_per_trial": round(worker_cpu / trials, 4) if trials else None,
        "workers_failed": sum(1 for c in codes if c > 0),
        "workers_killed": sum(1 for c in codes if c < 0),
        "loadavg_1m": round(load, 2),
        "stop_s": round(stop_s, 1),
    }
    if server:
        out["server_cpu_pct_of_one_core"] = round(100 * (b["cpu"][n] - a["cpu"][n]) / dt, 1)
    return out


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
