"""Calibrating training protocols: how reliably, how validly and how cheaply one training ranks models.

A plan (:mod:`~designspace.calibration.plan`) names a stratified calibration set, a long reference
training and the protocols to compare; :mod:`~designspace.calibration.run` trains them through
ordinary population studies (resumable, shareable between workers);
:mod:`~designspace.calibration.report` computes ICC, Spearman correlations between replicates and
against the reference (:mod:`~designspace.calibration.stats`), error levels and core-seconds.
CLI: ``designspace calibrate run|status|report PLAN.toml``.
"""

from designspace.calibration.plan import CalibrationPlan, Protocol, load_plan

__all__ = ["CalibrationPlan", "Protocol", "load_plan"]
