"""AnyNetX-E -> RegNetX: the parent's per-block widths replaced by their quantized-linear fit.

The fit is :func:`designspace.models.regnet.fit_regnet` (the one behind ``designspace analyze``'s
RegNet fits) of the parent's per-block widths (each stage's width repeated depth times): its (w0, wa,
wm) and the parent's total depth d (at most 63, the space's range) become the child's, clipped to
RegNetX's ranges; the group width is the parent's shared g; b is RegNetX's (1). ``regnet_fit_b``
(E -> ``regnetx_b``) keeps the parent's shared b too. Then the child's w0 and wa are scaled to the
parent's flops (:func:`designspace.principles.base.match_complexity`); a fit that gives no 4-stage
network at any scale is a rejected parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from designspace.models.regnet import fit_regnet, per_block_widths
from designspace.principles.base import Principle, Values
from designspace.principles.registry import PRINCIPLES
from designspace.spaces.base import DesignSpace

__all__ = ["REGNET_PRINCIPLES"]


def _fit(keep_b: bool) -> Any:
    def project(
        parent: DesignSpace, child: DesignSpace, v: Mapping[str, Any], resolution: int, rng: np.random.Generator
    ) -> Values:
        spec = parent.build(v, resolution)
        fit = fit_regnet(per_block_widths(spec))
        lo_d, hi_d = child.depth  # type: ignore[attr-defined]
        lo0, hi0 = child.w0  # type: ignore[attr-defined]
        lo_a, hi_a = child.wa  # type: ignore[attr-defined]
        lo_m, hi_m = child.wm  # type: ignore[attr-defined]
        out: Values = {
            "d": int(np.clip(fit.depth, lo_d, hi_d)),
            "w0": float(np.clip(fit.w0, np.nextafter(lo0, hi0), hi0)),
            "wa": float(np.clip(fit.wa, lo_a, np.nextafter(hi_a, lo_a))),
            "wm": float(np.clip(fit.wm, lo_m, hi_m)),
            "g": int(v["g"]),
        }
        if keep_b:
            out["b"] = int(v["b"])
        return out

    return project


REGNET_PRINCIPLES = (
    Principle(
        "regnet_fit",
        "anynetx_e",
        "regnetx",
        "quantized linear widths, b = 1 (AnyNetX-E -> RegNetX)",
        "(w0, wa, wm) fit to the parent's per-block widths, d the parent's total depth, g the parent's, b = 1",
        _fit(keep_b=False),
        "at least as good",
    ),
    Principle(
        "regnet_fit_b",
        "anynetx_e",
        "regnetx_b",
        "quantized linear widths, b kept (AnyNetX-E -> RegNetX with b in {1, 2, 4})",
        "(w0, wa, wm) fit to the parent's per-block widths, d the parent's total depth, g and b the parent's",
        _fit(keep_b=True),
        "at least as good",
    ),
)
for _p in REGNET_PRINCIPLES:
    PRINCIPLES.register(_p.name, _p)
