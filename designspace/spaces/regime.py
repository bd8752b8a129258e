"""The complexity regime's old address: it lives in :mod:`designspace.regime` (vocabulary the study and
calibration layers share without importing the spaces, and so torch). Kept for the one import that still
names this module (``benchmarks/bench_principles.py``); the package itself no longer does."""

from designspace.regime import Regime, parse_quantity, parse_range

__all__ = ["Regime", "parse_quantity", "parse_range"]
