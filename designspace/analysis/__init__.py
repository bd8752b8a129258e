"""Statistics of populations of trained models (Radosavovic et al. 2019, 2020).

* :mod:`~designspace.analysis.edf`: EDFs and complexity-normalization weights;
* :mod:`~designspace.analysis.ks`: KS statistic and p-values (scipy, or a seeded stratified
  permutation test, :mod:`~designspace.analysis.permutation`);
* :mod:`~designspace.analysis.compare`: the comparison table of pairs of populations, from
  :mod:`~designspace.analysis.pair_test` (one pair's effect sizes, intervals and tests),
  :mod:`~designspace.analysis.verdicts` (adjusted p-values, :mod:`~designspace.analysis.multiplicity`,
  and three-way verdicts) and :mod:`~designspace.analysis.effect` (margin, claims, intervals, TOST);
  :mod:`~designspace.analysis.power`: power and sample size; :mod:`~designspace.analysis.sequential`:
  interim looks with alpha spending;
* :mod:`~designspace.analysis.bootstrap`: good ranges of parameters and EDF confidence bands;
* :mod:`~designspace.analysis.trends`: binned error trends; :mod:`~designspace.analysis.regnet_fit`:
  RegNet fits of the best models' widths;
* :mod:`~designspace.analysis.inputs`, :mod:`~designspace.analysis.pipeline`,
  :mod:`~designspace.analysis.plots`, :mod:`~designspace.analysis.report`: tables of trials in,
  figures, summary.csv and report.html out (``designspace analyze``);
* :mod:`~designspace.analysis.notebook`: the same in a notebook, on a DataFrame of trials
  (``designspace.load(...)``, the study layer's :func:`designspace.study.load.load`, reads one):
  ``plot_edf(df, by=..., ax=..., normalized=...)``, ``ks``, ``compare``, ``good_ranges``,
  ``plot_params`` (``plot_edf``, ``compare``, ``good_ranges`` and ``plot_params`` are also here,
  imported on first use; ``ks`` here is the module of the KS test).
"""

from typing import Any

from designspace.analysis.bootstrap import EDFBand, GoodRange, edf_band, good_range
from designspace.analysis.compare import compare_frame
from designspace.analysis.edf import EDF, Normalization, complexity_weights, edf
from designspace.analysis.ks import KSResult, ks_statistic, ks_test
from designspace.analysis.pair_test import compare_pair
from designspace.analysis.trends import Trend, binned_trend
from designspace.analysis.verdicts import decide

__all__ = [
    "EDF",
    "EDFBand",
    "GoodRange",
    "KSResult",
    "Normalization",
    "Trend",
    "binned_trend",
    "compare_frame",
    "compare_pair",
    "complexity_weights",
    "decide",
    "edf",
    "edf_band",
    "good_range",
    "ks_statistic",
    "ks_test",
]

#: the notebook functions offered here too (imported on first use: they need matplotlib)
_NOTEBOOK = ("compare", "good_ranges", "plot_edf", "plot_params")
#: names that moved out of this layer -> where they live now
_MOVED = {"load": "designspace.load (designspace.study.load.load): reading a study's storage is the study layer's"}


def __getattr__(name: str) -> Any:
    if name in _NOTEBOOK:
        from designspace.analysis import notebook  # deferred: loads matplotlib

        return getattr(notebook, name)
    if name in _MOVED:
        raise AttributeError(f"designspace.analysis.{name} moved: use {_MOVED[name]}")
    raise AttributeError(f"module 'designspace.analysis' has no attribute {name!r}")
