"""The figure ``study run`` ends with: the error EDF of the study's population.

Drawn with :mod:`designspace.analysis` (its EDF, bootstrap band, colors and figure code), so it
looks like the EDFs of ``designspace analyze``; that command compares several studies.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["edf_plot"]


def edf_plot(frame: pd.DataFrame, name: str, out_dir: str | Path, *, failed: int = 0) -> Path | None:
    """Write ``out_dir/<name>-edf.png`` (and ``.svg``); None with fewer than 2 complete trials.

    ``failed``: trials whose training failed (diverged...), named in the title.
    """
    import numpy as np

    from designspace.analysis.bootstrap import edf_band  # deferred: loads scipy and pandas
    from designspace.analysis.colors import space_color  # deferred: loads scipy and pandas
    from designspace.analysis.edf import edf  # deferred: loads scipy and pandas
    from designspace.analysis.plots import Curve, Style, edf_figure, error_limits, render  # deferred: loads matplotlib

    rows = frame[(frame["state"] == "COMPLETE") & np.isfinite(frame["test_error"].astype(float))]
    if len(rows) < 2:
        return None
    errors = rows["test_error"].to_numpy(dtype=float)
    space = str(rows["space"].iloc[0])
    xlim = error_limits([errors])
    band = edf_band(errors, None, grid=np.linspace(xlim[0], xlim[1], 256), seed=0)
    curve = Curve(f"{name}: {space}, n={len(errors)}", Style(space_color(space)), edf(errors), band)
    title = f"Error EDF of study {name}" + (f" ({failed} failed models not shown)" if failed else "")
    fig = edf_figure([curve], title=title, ylabel="cumulative fraction of models", xlim=xlim)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    render(fig, out, f"{name}-edf")
    return out / f"{name}-edf.png"
