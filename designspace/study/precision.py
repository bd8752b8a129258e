"""One precision per study: refuse to emulate a pinned one, and agree with the study's first worker."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["ALLOW_EMULATED", "STUDY_PRECISION", "check_precision", "pin_precision"]

#: set to 1 to let a worker run a pinned precision this machine can only emulate
ALLOW_EMULATED = "DESIGNSPACE_ALLOW_EMULATED_PRECISION"


def check_precision(precision: str, device: str) -> None:
    """One-line ``ValueError`` when the study pins a precision this machine would only emulate
    (bf16 on a CPU without AVX512-BF16/AMX: several times slower, and not the numerics of the
    study's other trials), unless ``$DESIGNSPACE_ALLOW_EMULATED_PRECISION=1``."""
    from designspace.train.device import cpu_model, runs_natively, select_device  # deferred: imports torch

    dev = select_device(device)
    if precision == "auto" or runs_natively(precision, dev) or os.environ.get(ALLOW_EMULATED) == "1":
        return
    raise ValueError(
        f"precision {precision!r} is pinned by the study but this {dev.type} ({cpu_model()}) has no native"
        f" {precision}: it would be emulated; run this study where it is native, or set {ALLOW_EMULATED}=1"
    )


#: study system attribute: the precision its first worker resolved (``train.precision = "auto"``)
STUDY_PRECISION = "designspace:precision"


def pin_precision(handle: Any, precision: str, device: str) -> str:
    """The precision this worker trains the study in, the same as every other worker's.

    The first worker of a study records the precision it resolves (``auto`` becomes bf16 on a CPU
    with native bf16, fp32 on one without; a study made before this rule keeps the precision its
    trials recorded); a later worker that would resolve another one stops
    with one line instead of mixing precisions in one study (unless
    ``$DESIGNSPACE_ALLOW_EMULATED_PRECISION=1``: then it trains in the study's precision, emulated
    if need be). A pinned precision this machine lacks is :func:`check_precision`'s error.
    """
    from designspace.train.device import cpu_model, select_device, select_precision  # deferred: imports torch

    dev = select_device(device)
    mine = select_precision(precision, dev)
    attrs = handle.storage.get_study_system_attrs(handle.study_id)
    stored = attrs.get(STUDY_PRECISION)
    if stored is None:  # a study made before this rule: the precision its trials recorded, if any
        recorded = [t.user_attrs.get("precision") for t in handle.trials() if t.user_attrs.get("precision")]
        stored = max(set(recorded), key=recorded.count) if recorded else mine
        handle.storage.set_study_system_attr(handle.study_id, STUDY_PRECISION, stored)
    if stored != mine and os.environ.get(ALLOW_EMULATED) != "1":
        raise ValueError(
            f"study {handle.config.name} trains in {stored} but this {dev.type} ({cpu_model()}) would use {mine}"
            f" (train.precision={precision!r}); not mixing precisions in one study: run it where {stored} is"
            f" native, or set {ALLOW_EMULATED}=1 to train in {stored} here"
        )
    return str(stored)
