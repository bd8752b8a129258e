"""Trials into a DataFrame for a notebook: study names, study TOML files and CSV exports, in one call.

::

    import designspace as ds
    from designspace.analysis import notebook as nb

    df = ds.load("anynetx_a", "anynetx_e", storage="sqlite:///results/anynet_cifar/studies.db")
    nb.plot_edf(df, by="study", normalized=True)

``ds.load`` is this module's :func:`load` (imported on first use). It lives in the study layer because
reading a study's storage is the study layer's; the analysis below it takes the DataFrame
(:mod:`designspace.analysis.notebook`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from designspace.analysis.inputs import read_csvs
from designspace.study.config import load_config
from designspace.study.export import trials_frame
from designspace.study.storage import default_url, parse_url

__all__ = ["load"]


def load(*sources: str | Path, storage: str | None = None, results: str | Path = "results") -> pd.DataFrame:
    """One row per trial of every source: a study name, a study's TOML file, or a CSV export.

    Study names are read from ``storage`` (a URL), or from their TOML file's storage, or from
    ``results/NAME.db`` (``study run``'s default). Columns: ``designspace.columns.COLUMNS``, the sampled
    parameters, then ``attr_*`` (the trials' other attributes); rows of every state.
    """
    if not sources:
        raise ValueError("load: name at least one study, TOML file or CSV file")
    frames: list[pd.DataFrame] = []
    by_storage: dict[str, list[str]] = {}
    for source in sources:
        text = str(source)
        if text.endswith(".csv"):
            frames.append(read_csvs([text]))
            continue
        name, url = text, storage
        if text.endswith(".toml"):
            config = load_config(text)
            name, url = config.name, storage or config.storage
        by_storage.setdefault(parse_url(url or default_url(name, str(results))).url, []).append(name)
    frames.extend(trials_frame(url, names) for url, names in by_storage.items())
    return pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]
