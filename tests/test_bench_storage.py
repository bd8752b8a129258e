"""benchmarks/bench_storage.py --quick runs end to end, so that the storage benchmark cannot rot.

One busy cell (2 forked workers, no-op trials, on a pre-filled SQLite study) and one idle cell:
the real worker loop of this tree, counted as the full run counts it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_storage.py"


@pytest.mark.slow
def test_quick_run_measures_a_busy_and_an_idle_cell(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert json.loads(proc.stdout) == result
    busy, idle = result["cells"]["sqlite"]["2"]["after"], result["cells"]["sqlite"]["idle"]["after"]
    assert "error" not in busy and "error" not in idle, (busy, idle)
    assert busy["warmed_workers"] == 2 and busy["workers_failed"] == 0
    assert busy["trials"] > 0 and busy["sql_per_trial"] > 0 and busy["worker_cpu_s_per_trial"] > 0
    assert busy["designspace"] == str(BENCH.parent.parent)  # this tree's code was measured
    assert idle["trials"] == 0 and idle["warmed_workers"] == 2  # every slot was held: nothing to claim
    checks = result["issue27"]["after"]["sqlite"]
    assert checks["max_sql_per_trial"] == busy["sql_per_trial"]
    assert checks["idle_cpu_pct_of_one_core"] == idle["worker_cpu_pct_of_one_core"]
    assert result["cpu"] and result["settings"]["prefill"] == 300


def test_a_tree_without_designspace_is_one_line_and_nonzero(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--before", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [f"bench_storage: --before {tmp_path}: no designspace package there"]
