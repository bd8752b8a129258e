"""The trials table's columns: the vocabulary ``study export`` writes and the analysis reads.

One row per trial: :data:`COLUMNS` in order, then one column per sampled parameter, then one column
``attr_<name>`` (:data:`ATTR_PREFIX`) per other user attribute of the trial. Here, below both the study
and the analysis layers, so that neither imports the other for it.
"""

from __future__ import annotations

__all__ = ["ATTR_PREFIX", "COLUMNS"]

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
#: the prefix of the columns that hold a trial's other user attributes (lists and dicts as JSON text)
ATTR_PREFIX = "attr_"
