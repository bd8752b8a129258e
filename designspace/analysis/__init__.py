"""Statistics of populations of trained models (Radosavovic et al. 2019, 2020).

* :mod:`~designspace.analysis.edf`: EDFs and complexity-normalization weights;
* :mod:`~designspace.analysis.ks`: KS statistic and p-values (scipy, or a seeded permutation test);
* :mod:`~designspace.analysis.bootstrap`: good ranges of parameters and EDF confidence bands;
* :mod:`~designspace.analysis.trends`: binned error trends; :mod:`~designspace.analysis.regnet_fit`:
  RegNet fits of the best models' widths;
* :mod:`~designspace.analysis.inputs`, :mod:`~designspace.analysis.pipeline`,
  :mod:`~designspace.analysis.plots`, :mod:`~designspace.analysis.report`: tables of trials in,
  figures, summary.csv and report.html out (``designspace analyze``).
"""

from designspace.analysis.bootstrap import EDFBand, GoodRange, edf_band, good_range
from designspace.analysis.edf import EDF, Normalization, complexity_weights, edf
from designspace.analysis.ks import KSResult, ks_statistic, ks_test
from designspace.analysis.trends import Trend, binned_trend

__all__ = [
    "EDF",
    "EDFBand",
    "GoodRange",
    "KSResult",
    "Normalization",
    "Trend",
    "binned_trend",
    "complexity_weights",
    "edf",
    "edf_band",
    "good_range",
    "ks_statistic",
    "ks_test",
]
