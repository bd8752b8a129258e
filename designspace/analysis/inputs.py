"""Reading tables of trials (CSV files; a storage is read by the study layer) and splitting them into populations.

The input contract (one row per trial) is :data:`COLUMNS` plus one numeric column per sampled
parameter, named as sampled (``d1``..``d4``, ``w1``..``w4``, ``b``, ``g``, ``w0``, ``wa``, ...);
``attr_*`` columns (the trial's other recorded attributes) are carried along, never analysed.
Only ``COMPLETE`` rows with a test error enter the statistics; the others are counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from designspace.columns import ATTR_PREFIX, COLUMNS  # COLUMNS: the trial table's fixed columns
from designspace.ui.messages import first_line

__all__ = [
    "COLUMNS",
    "MIN_COMPLETE",
    "Population",
    "floats",
    "parameter_columns",
    "populations",
    "read_csvs",
]

#: a population needs this many complete trials to be analysed
MIN_COMPLETE = 10

#: parameter display order: by name prefix, then stage number
_PREFIX_ORDER = ("d", "w", "wa", "wm", "b", "g")


@dataclass(frozen=True, eq=False)
class Population:
    """One study's complete trials (sorted by trial number) and what was left out."""

    name: str
    space: str
    trials: pd.DataFrame
    dropped: int  # rows not COMPLETE (or without a test error)
    params: tuple[str, ...]  # numeric sampled-parameter columns
    skipped: tuple[str, ...]  # non-numeric extra columns (not analysed)

    @property
    def n(self) -> int:
        return len(self.trials)

    @property
    def errors(self) -> np.ndarray:
        return floats(self.trials["test_error"])

    def column(self, name: str) -> np.ndarray:
        return floats(self.trials[name])


def floats(column: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for missing or non-numeric values (also for nullable Int64)."""
    return pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()


def _param_key(name: str) -> tuple[int, int, str]:
    m = re.fullmatch(r"([a-z]+?)(\d*)", name)
    if m and m.group(1) in _PREFIX_ORDER:
        return _PREFIX_ORDER.index(m.group(1)), int(m.group(2) or -1), name
    return len(_PREFIX_ORDER), 0, name


def parameter_columns(frame: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(numeric sampled parameters in display order, skipped non-numeric extra columns)."""
    numeric, skipped = [], []
    for col in frame.columns:
        name = str(col)
        if name in COLUMNS or name.startswith(("Unnamed:", ATTR_PREFIX)) or frame[col].isna().all():
            continue
        (numeric if pd.api.types.is_numeric_dtype(frame[col]) else skipped).append(name)
    return tuple(sorted(numeric, key=_param_key)), tuple(skipped)


def read_csvs(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Concatenate trial tables from CSV files (columns as in :data:`COLUMNS`)."""
    frames = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        try:
            frames.append(pd.read_csv(path))
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
            raise ValueError(f"{path}: not a readable CSV ({first_line(e)})") from None
    if not frames:
        raise ValueError("no CSV files given")
    return pd.concat(frames, ignore_index=True, sort=False)


def populations(
    frame: pd.DataFrame, names: Sequence[str] = (), *, min_complete: int = MIN_COMPLETE, known: bool = False
) -> list[Population]:
    """Split a trial table into populations by ``study`` (or ``space`` if there is no study column).

    ``names`` select and order the populations (default: all, in order of first appearance).
    A name absent from the table is a ValueError ("unknown study"), unless ``known`` says the names
    were already checked (a storage: then it is a study without trials), and so is a population
    with fewer than ``min_complete`` complete trials.
    """
    group = "study" if "study" in frame.columns else "space" if "space" in frame.columns else None
    if group is None:
        raise ValueError("the trial table needs a 'study' or 'space' column")
    for col in ("state", "test_error"):
        if col not in frame.columns:
            raise ValueError(f"the trial table has no {col!r} column")
    keys = frame[group].astype(str)
    have = list(dict.fromkeys(keys))
    wanted = list(dict.fromkeys(names)) or have
    for name in wanted:
        if name not in have and not known:
            raise ValueError(f"unknown study {name!r} (the input has: {', '.join(have) or 'none'})")
    out = []
    for name in wanted:
        rows = frame[keys == name]
        error = pd.to_numeric(rows["test_error"], errors="coerce")
        ok = (rows["state"].astype(str).str.upper() == "COMPLETE") & np.isfinite(error)
        done = rows[ok].assign(test_error=error[ok])
        if len(done) < min_complete:
            raise ValueError(f"study {name!r} has {len(done)} complete trials; need at least {min_complete}")
        if "trial" not in done.columns:
            done = done.assign(trial=np.arange(len(done)))
        done = done.sort_values("trial", kind="stable").reset_index(drop=True)
        spaces = list(dict.fromkeys(done["space"].astype(str))) if "space" in done.columns else [name]
        params, skipped = parameter_columns(done)
        out.append(Population(name, "+".join(spaces), done, int(len(rows) - len(done)), params, skipped))
    return out
