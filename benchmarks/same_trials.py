"""Is the quickstart's trials table the same from two source trees? (issue 26: behaviour unchanged)

Runs README's main job ``designspace study run experiments/quickstart.toml`` from a given source tree
into a given results folder (its storage ``RESULTS/quickstart.db``, CSV and plot; nothing is written
into the checkout), then compares two trials tables cell by cell in every column that is a property of
the trial (params, model spec, flops, errors, states, seeds), leaving out only the columns that measure
the run (durations, rates, timestamps, worker and host ids, CPU model): the output lists them.

Before/after, as run for issue 26 (5498cac: the last commit before it began)::

    git worktree add --detach /tmp/qs_before 5498cac
    nohup python benchmarks/same_trials.py run /tmp/qs_before /tmp/qs_before_results > /tmp/qs_before.log 2>&1 &
    git worktree add --detach /tmp/qs_after HEAD
    nohup python benchmarks/same_trials.py run /tmp/qs_after /tmp/qs_after_results > /tmp/qs_after.log 2>&1 &
    python benchmarks/same_trials.py compare /tmp/qs_before_results/quickstart.csv \\
        /tmp/qs_after_results/quickstart.csv

``run`` prints one JSON object (tree, commit, designspace's file as imported, seconds, exit status);
``compare`` prints one JSON object (rows, columns compared, excluded, identical or the differing cells)
and exits 1 when the tables differ.

A run stopped early (or still running) resumes where it stopped when started again with the same
arguments. To compare the trials both runs have finished so far, export each run's table with its
own tree's ``study export`` and compare with ``--finished-only`` (trials still WAITING or RUNNING in
either table are listed, not compared)::

    python benchmarks/same_trials.py export /tmp/qs_before /tmp/qs_before_results   # -> partial.csv
    python benchmarks/same_trials.py export /tmp/qs_after /tmp/qs_after_results
    python benchmarks/same_trials.py compare --finished-only /tmp/qs_before_results/partial.csv \\
        /tmp/qs_after_results/partial.csv

The data is looked for in ``$DESIGNSPACE_DATA`` (default ``/work/shared/data``); the run's working
directory is the results folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

#: columns that measure the run, not the trial (durations, rates, clocks, who ran it and on what)
RUN_COLUMNS = ("seconds", "images_per_second", "device")
#: user attributes (``attr_*``) that measure the run or name the code that ran it (the commit, which
#: differs by design); any other attribute is compared
RUN_ATTR_WORDS = (
    "second",
    "time",
    "start",
    "end",
    "worker",
    "host",
    "pid",
    "cpu",
    "device",
    "heartbeat",
    "lease",
    "duration",
    "commit",
)

_PROBE = (
    "import designspace, sys; print('designspace from', designspace.__file__, file=sys.stderr); "
    "from designspace.cli import entry; sys.argv[0] = 'designspace'; entry()"
)


def run(tree: Path, results: Path) -> dict:
    """Run the quickstart study from ``tree`` with its storage, CSV and plot in ``results``."""
    tree, results = tree.resolve(), results.resolve()
    results.mkdir(parents=True, exist_ok=True)
    config = tree / "experiments" / "quickstart.toml"
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.setdefault("DESIGNSPACE_DATA", "/work/shared/data")
    command = [sys.executable, "-P", "-c", _PROBE, "study", "run", str(config), "--results", str(results)]
    command.append("--no-progress")
    start = time.perf_counter()
    done = subprocess.run(command, cwd=results, env=env, capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    (results / "run.log").write_text(done.stdout + done.stderr)
    imported = [ln for ln in done.stderr.splitlines() if ln.startswith("designspace from")]
    return {
        "tree": str(tree),
        "commit": commit,
        "imported": imported[0] if imported else None,
        "command": " ".join(command[:3]) + " <entry> " + " ".join(command[4:]),
        "returncode": done.returncode,
        "seconds": round(time.perf_counter() - start, 1),
        "csv": str(results / "quickstart.csv"),
        "log_tail": (done.stdout + done.stderr).splitlines()[-8:],
    }


def export(tree: Path, results: Path) -> dict:
    """``study export`` of the quickstart's storage in ``results`` by ``tree``'s code -> RESULTS/partial.csv."""
    tree, results = tree.resolve(), results.resolve()
    out = results / "partial.csv"
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [sys.executable, "-P", "-c", _PROBE, "study", "export", "quickstart", "--results", str(results)]
    done = subprocess.run([*command, "--out", str(out)], cwd=results, env=env, capture_output=True, text=True)
    return {"tree": str(tree), "returncode": done.returncode, "csv": str(out), "output": done.stdout + done.stderr}


#: states of a trial that has not finished yet
UNFINISHED = ("WAITING", "RUNNING")


def excluded(columns: list[str]) -> list[str]:
    """The columns that measure the run."""
    attrs = [c for c in columns if c.startswith("attr_") and any(w in c.lower() for w in RUN_ATTR_WORDS)]
    return [c for c in columns if c in RUN_COLUMNS] + attrs


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return (math.isnan(x) and math.isnan(y)) or x == y


def compare(before: Path, after: Path, finished_only: bool = False) -> dict:
    """Cell by cell over the trial's own columns; rows matched by the trial number (with
    ``finished_only``, only the trials finished in both tables)."""
    import csv

    def rows(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            return list(reader.fieldnames or []), {r["trial"]: r for r in reader}

    cols_a, rows_a = rows(before)
    cols_b, rows_b = rows(after)
    skip = sorted(set(excluded(cols_a)) | set(excluded(cols_b)))
    compared = [c for c in cols_a if c in cols_b and c not in skip]
    unfinished: list[str] = []
    if finished_only:
        unfinished = sorted(
            (
                t
                for t in set(rows_a) | set(rows_b)
                if {rows_a.get(t, {}).get("state"), rows_b.get(t, {}).get("state")} & set(UNFINISHED)
            ),
            key=int,
        )
        rows_a = {t: r for t, r in rows_a.items() if t not in unfinished}
        rows_b = {t: r for t, r in rows_b.items() if t not in unfinished}
    diffs = []
    for trial in sorted(set(rows_a) & set(rows_b), key=int):
        for c in compared:
            if not _same(rows_a[trial][c], rows_b[trial][c]):
                diffs.append({"trial": trial, "column": c, "before": rows_a[trial][c], "after": rows_b[trial][c]})
    only_a, only_b = sorted(set(rows_a) - set(rows_b)), sorted(set(rows_b) - set(rows_a))
    identical = not diffs and not only_a and not only_b and cols_a == cols_b
    return {
        "before": str(before),
        "after": str(after),
        "rows": [len(rows_a), len(rows_b)],
        "not_compared_unfinished": unfinished,
        "columns_compared": compared,
        "excluded": skip,
        "columns_only_before": [c for c in cols_a if c not in cols_b],
        "columns_only_after": [c for c in cols_b if c not in cols_a],
        "column_order_same": cols_a == cols_b,
        "trials_only_before": only_a,
        "trials_only_after": only_b,
        "identical": identical,
        "differing_cells": diffs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    r = sub.add_parser("run", help="run the quickstart from TREE into RESULTS")
    r.add_argument("tree", type=Path)
    r.add_argument("results", type=Path)
    e = sub.add_parser("export", help="export the quickstart's trials so far from RESULTS by TREE's code")
    e.add_argument("tree", type=Path)
    e.add_argument("results", type=Path)
    c = sub.add_parser("compare", help="compare two trials tables (CSV)")
    c.add_argument("--finished-only", action="store_true", help="only the trials finished in both")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.action == "run":
        out = run(args.tree, args.results)
        print(json.dumps(out, indent=2))
        return 0 if out["returncode"] == 0 else 1
    if args.action == "export":
        out = export(args.tree, args.results)
        print(json.dumps(out, indent=2))
        return out["returncode"]
    out = compare(args.before, args.after, args.finished_only)
    print(json.dumps(out, indent=2))
    return 0 if out["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
