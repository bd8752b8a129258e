"""Trials of one or more studies as a table (the analysis input), and writing it as CSV/Parquet."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designspace.columns import ATTR_PREFIX, COLUMNS
from designspace.errors import UsageError
from designspace.study.join import open_existing
from designspace.study.slots import reason_of

if TYPE_CHECKING:
    import pandas as pd
    from optuna.trial import FrozenTrial

__all__ = ["ATTR_PREFIX", "COLUMNS", "trials_frame", "trial_row", "write_frame"]

#: the fixed columns read from the trial's user attributes (the rest come from the trial itself)
_ATTR_COLUMNS = COLUMNS[COLUMNS.index("train_loss") : COLUMNS.index("reason")]
#: every other user attribute of a trial becomes a column ``attr_<name>`` after the parameters
#: (lists and dicts as JSON text), except these, which the fixed columns and parameters already hold
_NOT_EXTRA = {"sampled", "train_config"}
#: decimals kept of the test error (a percentage): removes float noise such as 58.699999999999996
ERROR_DECIMALS = 6


def trial_row(study: str, space: str, t: FrozenTrial) -> dict[str, Any]:
    """One trial as a row: the fixed columns, its sampled parameters by name, then ``attr_*``."""
    from optuna.trial import TrialState

    u = t.user_attrs
    error = t.value if t.state == TrialState.COMPLETE else u.get("test_error")
    row: dict[str, Any] = {
        "study": study,
        "space": u.get("space", space),
        "trial": t.number,
        "state": t.state.name,
        "test_error": error,
        **{k: u.get(k) for k in _ATTR_COLUMNS},
        "reason": reason_of(t),
    }
    for name, value in t.params.items():
        row[_param_column(name)] = value
    row.update({ATTR_PREFIX + k: _cell(v) for k, v in u.items() if k not in COLUMNS and k not in _NOT_EXTRA})
    return row


def _param_column(name: str) -> str:
    return name if name not in COLUMNS else f"{name}_param"


def _cell(value: Any) -> Any:
    """A user attribute as one cell: scalars as they are, lists and dicts as JSON text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, sort_keys=True)


def trials_frame(storage: str, studies: Sequence[str]) -> pd.DataFrame:
    """One row per trial of ``studies`` in ``storage`` (a URL): :data:`COLUMNS`, parameters, ``attr_*``.

    Whole-number columns are nullable integers (a failed trial's missing ``seed`` leaves the
    others integers, not floats); ``test_error`` is rounded to ``ERROR_DECIMALS`` decimals.

    An unknown study (or a storage file that does not exist) raises ``ValueError``.
    """
    import pandas as pd

    if isinstance(studies, str):
        studies = [studies]
    if not studies:
        raise ValueError("name at least one study")
    rows: list[dict[str, Any]] = []
    trials: dict[str, list[FrozenTrial]] = {}
    for name in studies:
        try:
            handle = open_existing(storage, name)
        except FileNotFoundError as e:
            raise ValueError(str(e)) from None
        trials[name] = sorted(handle.trials(), key=lambda t: t.number)
        rows.extend(trial_row(name, handle.config.space, t) for t in trials[name])
    frame = pd.DataFrame(rows)
    params = list(dict.fromkeys(_param_column(n) for name in studies for t in trials[name] for n in t.params))
    extras = sorted({k for r in rows for k in r} - set(COLUMNS) - set(params))
    frame = frame.reindex(columns=[*COLUMNS, *params, *extras])
    frame["trial"] = frame["trial"].astype("int64")
    for col in ("test_error", "train_loss", "seconds", "images_per_second"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["test_error"] = frame["test_error"].round(ERROR_DECIMALS)
    for col in frame.columns:  # whole numbers stay whole when some rows lack them (seed, a failed trial)
        values = [r.get(col) for r in rows]
        given = [v for v in values if v is not None]
        if len(given) < len(values) and given and all(isinstance(v, int) and not isinstance(v, bool) for v in given):
            frame[col] = pd.array(values, dtype="Int64")
    for col in ("flops", "params", "acts"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame


def write_frame(frame: pd.DataFrame, out: str | Path) -> Path:
    """Write ``frame`` as ``.csv`` or ``.parquet`` (Parquet needs pyarrow) into an existing directory.

    A missing directory, a directory in the file's place or an unwritable file raises ``UsageError``.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"--out {str(out)!r}: name a .csv or .parquet file")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError(
                "writing .parquet needs pyarrow: pip install 'designspace[parquet]' (or write .csv)"
            ) from None
    if not out.parent.is_dir():  # a typo in the path is not a reason to make directories
        raise UsageError(f"--out {str(out)!r}: directory {str(out.parent)!r} does not exist; create it first")
    if out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a directory; name a .csv or .parquet file")
    try:
        if suffix == ".csv":
            frame.to_csv(out, index=False)
        else:
            frame.to_parquet(out, index=False)
    except OSError as e:
        raise UsageError(f"--out {str(out)!r}: cannot write: {e.strerror or e}") from None
    return out
