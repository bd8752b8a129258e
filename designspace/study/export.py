"""Trials of one or more studies as a table (the analysis input), and writing it as CSV/Parquet."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designspace.study.slots import reason_of

if TYPE_CHECKING:
    import pandas as pd
    from optuna.trial import FrozenTrial

__all__ = ["COLUMNS", "trials_frame", "trial_row", "write_frame"]

#: the fixed columns, in order; one column per sampled parameter follows
COLUMNS = (
    "study",
    "space",
    "trial",
    "state",
    "test_error",
    "train_loss",
    "flops",
    "params",
    "acts",
    "seconds",
    "images_per_second",
    "device",
    "precision",
    "seed",
    "spec",
    "reason",
)
#: the fixed columns read from the trial's user attributes (the rest come from the trial itself)
_ATTR_COLUMNS = COLUMNS[COLUMNS.index("train_loss") : COLUMNS.index("reason")]


def trial_row(study: str, space: str, t: FrozenTrial) -> dict[str, Any]:
    """One trial as a row: the fixed columns, then its sampled parameters by name."""
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
        row[name if name not in COLUMNS else f"{name}_param"] = value
    return row


def trials_frame(storage: str, studies: Sequence[str]) -> pd.DataFrame:
    """One row per trial of ``studies`` in ``storage`` (a URL), columns :data:`COLUMNS` + parameters.

    An unknown study (or a storage file that does not exist) raises ``ValueError``.
    """
    import pandas as pd

    from designspace.study.join import open_existing

    if isinstance(studies, str):
        studies = [studies]
    if not studies:
        raise ValueError("name at least one study")
    rows: list[dict[str, Any]] = []
    for name in studies:
        try:
            handle = open_existing(storage, name)
        except FileNotFoundError as e:
            raise ValueError(str(e)) from None
        space = handle.config.space
        rows.extend(trial_row(name, space, t) for t in sorted(handle.trials(), key=lambda t: t.number))
    frame = pd.DataFrame(rows)
    params = [c for c in frame.columns if c not in COLUMNS]
    frame = frame.reindex(columns=[*COLUMNS, *params])
    frame["trial"] = frame["trial"].astype("int64")
    for col in ("test_error", "train_loss", "seconds", "images_per_second"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in ("flops", "params", "acts"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame


def write_frame(frame: pd.DataFrame, out: str | Path) -> Path:
    """Write ``frame`` as ``.csv`` or ``.parquet`` (Parquet needs pyarrow)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"--out {str(out)!r}: name a .csv or .parquet file")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError("writing .parquet needs pyarrow (pip install pyarrow), or write .csv") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)
    return out
