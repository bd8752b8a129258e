"""The quantized-linear (RegNet) fit of the best models' per-block widths (Radosavovic et al. 2020)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from designspace.models.regnet import RegNetFit, fit_regnet, per_block_widths
from designspace.specs import NetSpec

__all__ = ["TopFit", "fit_top_models", "spec_block_widths"]


@dataclass(frozen=True)
class TopFit:
    trial: int
    error: float
    widths: tuple[int, ...]  # the model's per-block widths
    fit: RegNetFit


def spec_block_widths(spec_json: str) -> list[int]:
    """Per-block widths of a spec given as JSON: each stage's width repeated ``depth`` times."""
    return per_block_widths(NetSpec.from_json(spec_json))


def fit_top_models(trials: pd.DataFrame, k: int = 5) -> list[TopFit]:
    """Fit ``w_j = w0 * wm^round(log_wm((w0 + wa j) / w0))`` to the ``k`` lowest-error models.

    ``trials`` needs ``trial``, ``test_error`` and ``spec`` (NetSpec JSON) columns. The fit and its
    ``e_fit`` (mean |log w - log w_fit|) come from :func:`designspace.models.regnet.fit_regnet`.
    """
    if k < 1:
        raise ValueError(f"top={k!r}: need at least one model to fit")
    for col in ("trial", "test_error", "spec"):
        if col not in trials.columns:
            raise ValueError(f"the RegNet fit needs a {col!r} column")
    best = trials.sort_values(["test_error", "trial"], kind="stable").head(k)
    out = []
    for row in best.itertuples(index=False):
        try:
            widths = spec_block_widths(str(row.spec))
        except ValueError as e:
            raise ValueError(f"trial {row.trial}: {e}") from None
        out.append(TopFit(int(row.trial), float(row.test_error), tuple(widths), fit_regnet(widths)))
    return out
