"""The complexity regime's old address: it lives in :mod:`designspace.regime` (vocabulary the study and
calibration layers share without importing the spaces, and so torch). Kept for the imports that still
name this module (``study/values.py``, ``study/proposal.py``: phase 2 switches them)."""

from designspace.regime import Regime, parse_quantity, parse_range

__all__ = ["Regime", "parse_quantity", "parse_range"]
