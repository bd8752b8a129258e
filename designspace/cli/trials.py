"""The trials table a command analyses: from a study storage (``--storage``) or CSV exports (``--csv``).

Here, in the command layer, because reading a storage is the study layer's (the analysis layer below
it only reads tables: :func:`designspace.analysis.inputs.read_csvs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def load_trials(
    studies: Sequence[str], *, storage: str | None = None, csv: Sequence[str] | None = None
) -> pd.DataFrame:
    """The trial table of ``studies`` from a study storage URL, or of the CSV files."""
    if storage and csv:
        raise ValueError("give either --storage or --csv, not both")
    if storage:
        if not studies:
            raise ValueError("name the studies to analyse from --storage")
        from designspace.study.export import trials_frame  # deferred: loads optuna and pandas

        return trials_frame(storage, list(studies))
    if csv:
        from designspace.analysis.inputs import read_csvs  # deferred: loads pandas and scipy

        return read_csvs(csv)
    raise ValueError("no input: give --csv FILE... or --storage URL with study names")
