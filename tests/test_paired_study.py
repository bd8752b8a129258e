"""Paired studies: the config, the fixed pairs, common random numbers in the trial, and a worker
killed mid-pair: the study resumes and never counts a half-pair."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from designspace.cli import main
from designspace.study.config import StudyConfig, load_config
from designspace.study.join import open_existing
from designspace.study.objective import check_config, slot_params
from designspace.study.slots import slot_of

CONFIG = """
[study]
name = "{name}"
mode = "paired"
principle = "sort_depths"
trials = {trials}
seed = 3
train_seed = [0, 100]
heartbeat_interval = 1
grace_period = 3

[space]
name = "anynetx_d"
flops = "1M:3M"

[data]
name = "synthetic:train={images},test=64"

[budget]
epochs = 1

[train]
batch_size = 64
precision = "fp32"
"""


def config_file(tmp_path, name: str, trials: int = 2, images: int = 128, **replace: str):
    text = CONFIG.format(name=name, trials=trials, images=images)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_config_paired_mode_needs_a_principle_and_its_parent_space(tmp_path) -> None:
    config = load_config(config_file(tmp_path, "ok"))
    assert config.mode == "paired" and config.principle == "sort_depths"
    assert StudyConfig.from_dict(config.to_dict()) == config
    check_config(config)
    with pytest.raises(ValueError, match="study.principle"):
        load_config(config_file(tmp_path, "none", **{'principle = "sort_depths"\n': ""}))
    with pytest.raises(ValueError, match="study.principle"):
        load_config(config_file(tmp_path, "pop", **{'mode = "paired"': 'mode = "population"'}))
    with pytest.raises(ValueError, match="set space.name = 'anynetx_d'"):
        check_config(load_config(config_file(tmp_path, "space", **{'name = "anynetx_d"': 'name = "anynetx_c"'})))
    with pytest.raises(ValueError, match="unknown design principle 'sort_dpths'"):
        check_config(load_config(config_file(tmp_path, "typo", **{'"sort_depths"': '"sort_dpths"'})))


def test_slots_hold_the_seeded_pairs_and_extend_as_a_prefix(tmp_path) -> None:
    config = load_config(config_file(tmp_path, "slots"))
    four = slot_params(config, 4)
    assert slot_params(config, 2) == four[:2]
    assert json.loads(json.dumps(four)) == four  # stored as JSON
    pair = four[0]["pair"]
    assert pair["principle"] == "sort_depths" and sorted(pair["child"]) == sorted(pair["parent"])
    assert [pair["child"][f"d{i}"] for i in range(1, 5)] == sorted(pair["parent"][f"d{i}"] for i in range(1, 5))


def _env() -> dict[str, str]:
    return {**os.environ, "DESIGNSPACE_NO_DOWNLOAD": "1", "OMP_NUM_THREADS": "1"}


def _check_complete_pairs(url: str, name: str, trials: int) -> list:
    handle = open_existing(url, name)
    all_trials = handle.trials()
    complete = [t for t in all_trials if t.state.name == "COMPLETE"]
    assert sorted(t.user_attrs["slot"] for t in complete) == list(range(trials))
    for t in complete:
        u = t.user_attrs
        assert len(u["parent_errors"]) == len(u["child_errors"]) == 2 and u["trainings"] == 4
        assert t.value == pytest.approx(u["child_error"] - u["parent_error"])
        assert u["train_config"]["init_by_module"] is True and u["seeds"] == [u["slot"], 100 + u["slot"]]
        assert json.loads(u["child_spec"]) != json.loads(u["spec"])
    return all_trials


@pytest.mark.slow
def test_worker_killed_mid_pair_resumes_without_half_pairs(tmp_path) -> None:
    name = "killed"
    url = f"sqlite:///{tmp_path / 'study.db'}"
    config = config_file(tmp_path, name, trials=2, images=1024)
    victim = subprocess.Popen(
        [sys.executable, "-c", "from designspace.cli import entry; entry()", "study", "worker", str(config),
         "--storage", url, "--threads", "1", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    me = f"{socket.gethostname()}:{victim.pid}"
    deadline, half = time.monotonic() + 300, None
    while half is None and time.monotonic() < deadline:  # a pair with some, not all, trainings done
        try:
            trials = open_existing(url, name).trials()
        except (ValueError, FileNotFoundError):
            trials = []
        half = next(
            (t for t in trials if t.state.name == "RUNNING" and t.user_attrs.get("worker") == me
             and 1 <= t.user_attrs.get("trainings_done", 0) < 4),
            None,
        )  # fmt: skip
        time.sleep(0.05)
    assert half is not None, "no half-trained pair seen"
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    ledger = open_existing(url, name).ledger()
    assert slot_of(half) not in ledger.settled  # the half-pair counts for nothing
    assert all(len(t.user_attrs["child_errors"]) == 2 for t in ledger.settled.values())
    # resume: the silent trial is marked lost after the grace period and its whole pair trained again
    assert main(["study", "worker", str(config), "--storage", url, "--threads", "1", "--quiet"]) == 0
    all_trials = _check_complete_pairs(url, name, 2)
    lost = next(t for t in all_trials if t.number == half.number)
    assert lost.state.name == "FAIL" and lost.system_attrs["designspace:outcome"] == "lost"
    redo = next(t for t in all_trials if t.state.name == "COMPLETE" and t.user_attrs["slot"] == slot_of(half))
    assert redo.user_attrs["pair"] == half.system_attrs["fixed_params"]["pair"]  # the same pair, trained again
    assert redo.system_attrs["fixed_params"] == half.system_attrs["fixed_params"]  # re-queued with its pair
    assert len(all_trials) == 3  # two pairs and the killed trial: no duplicates
