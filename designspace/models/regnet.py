"""The RegNet generator (quantized linear widths) and its inverse fit.

``regnet(w0, wa, wm, depth, group_width)`` follows the paper's reference implementation
exactly, including the width/group compatibility adjustment done with Python's ``round``
(round-half-to-even). torchvision rounds those ties up instead, and adds a group whenever
rounding down loses more than 10% of the width, so three published models get other stage
widths there: RegNetX-400MF (384 vs 400), RegNetY-800MF (128/768 vs 144/784) and
RegNetY-8.0GF (168 vs 224). We match the reference (and its published parameter counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from designspace.models.compat import compatible
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec


@dataclass(frozen=True)
class RegNetParams:
    w0: int
    wa: float
    wm: float
    depth: int
    group_width: int
    bottleneck: float = 1.0
    se: float = 0.0


def block_widths(w0: float, wa: float, wm: float, depth: int, q: int = 8) -> tuple[list[int], list[float]]:
    """Per-block quantized widths and the continuous linear widths u_j = w0 + wa * j."""
    if not (wa >= 0 and w0 > 0 and wm > 1 and depth >= 1):
        raise ValueError(f"regnet: need wa >= 0, w0 > 0, wm > 1, depth >= 1 (got {w0=}, {wa=}, {wm=}, {depth=})")
    u, ks = linear_stage_indices(w0, wa, wm, depth)
    return [int(w) for w in quantized_widths(w0, wm, ks, q)], u.tolist()


def linear_stage_indices(w0: ArrayLike, wa: ArrayLike, wm: ArrayLike, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """The linear widths u_j = w0 + wa * j and each block's stage index k_j = round(log(u_j / w0) / log(wm)).

    Scalars give shape (depth,); arrays of shape (batch,) give (batch, depth) (the vectorized
    space complexity uses this same code, so both get the same floating-point results)."""
    w0, wa, wm = (np.asarray(x, dtype=np.float64)[..., None] for x in (w0, wa, wm))
    u = np.arange(depth) * wa + w0
    return u, np.round(np.log(u / w0) / np.log(wm))


def quantized_widths(w0: ArrayLike, wm: ArrayLike, ks: np.ndarray, q: int = 8) -> np.ndarray:
    """Block widths w0 * wm^k_j rounded to a multiple of q, shaped like ``ks``."""
    w0, wm = (np.asarray(x, dtype=np.float64)[..., None] for x in (w0, wm))
    return np.round(w0 * np.power(wm, ks) / q).astype(np.int64) * q


def stage_widths_depths(w0: float, wa: float, wm: float, depth: int, q: int = 8) -> tuple[list[int], list[int]]:
    ws, _ = block_widths(w0, wa, wm, depth, q)
    widths, depths = np.unique(ws, return_counts=True)
    return [int(w) for w in widths], [int(d) for d in depths]


def stage_counts(w0: float, wa: float, wm: float, depth: int, q: int = 8) -> tuple[int, int]:
    """pycls's ``num_s`` (distinct quantized block widths) and ``max_s`` (largest k + 1)."""
    ws, _ = block_widths(w0, wa, wm, depth, q)
    return len(set(ws)), int(linear_stage_indices(w0, wa, wm, depth)[1].max()) + 1


def adjust_compatibility(ws: list[int], bs: list[float], gs: list[int]) -> tuple[list[int], list[int]]:
    """pycls's ``adjust_block_compatibility`` per stage (:func:`designspace.models.compat.compatible`).

    ``bs`` are bottleneck *ratios* (w / b is the bottleneck width). Returns the new widths and
    group widths.
    """
    out = [compatible(w, b, g) for w, b, g in zip(ws, bs, gs)]
    return [c.width for c in out], [c.group_width for c in out]


def regnet(
    w0: float,
    wa: float,
    wm: float,
    depth: int,
    group_width: int,
    bottleneck: float = 1.0,
    se: float = 0.0,
    *,
    stem: StemSpec | None = None,
    first_stride: int = 2,
    num_classes: int = 1000,
) -> NetSpec:
    """A RegNet spec (``res_bottleneck`` X blocks; ``se`` > 0 gives RegNetY)."""
    widths, depths = stage_widths_depths(w0, wa, wm, depth)
    n = len(widths)
    widths, gws = adjust_compatibility(widths, [bottleneck] * n, [group_width] * n)
    stages = tuple(
        StageSpec(
            "res_bottleneck",
            d,
            w,
            stride=first_stride if i == 0 else 2,
            bottleneck=bottleneck,
            group_width=g,
            se=se,
        )
        for i, (d, w, g) in enumerate(zip(depths, widths, gws))
    )
    return NetSpec(stem or StemSpec("simple", 32), stages, HeadSpec("linear", num_classes))


def per_block_widths(spec: NetSpec) -> list[int]:
    """The width of every block of ``spec``, in order (the input of :func:`fit_regnet`)."""
    return [s.width for s in spec.stages for _ in range(s.depth)]


@dataclass(frozen=True)
class RegNetFit:
    w0: float
    wa: float
    wm: float
    depth: int
    e_fit: float
    widths: tuple[int, ...]  # the quantized widths of the fit


def _exact_fit(w: np.ndarray, q: int) -> tuple[float, float, float] | None:
    """(w0, wa, wm) whose :func:`block_widths` are exactly ``w``, or None if none is found.

    A grid search can miss the thin regions of exact solutions; this solves for them. With
    w0 = w[0], the distinct widths s_i are stages k_i = round(log(s_i / w0) / log wm) (a large
    wa can skip some k), and s_i = round(w0 * wm^k_i / q) * q bounds wm to an interval. For a
    wm in it, each block j of stage k_j bounds wa (k_j = round(log(1 + wa j / w0) / log wm)),
    so the feasible wa are an intersection of intervals.
    """
    w0 = float(w[0])
    stage_widths, stage_of_block = np.unique(w, return_inverse=True)
    if (np.diff(w) < 0).any() or w0 % q:
        return None
    if len(stage_widths) == 1:
        return w0, 0.0, 2.0
    log_ratios = np.log(stage_widths[1:] / w0)
    lo_ratios, hi_ratios = (stage_widths[1:] - q / 2) / w0, (stage_widths[1:] + q / 2) / w0
    j = np.arange(1, len(w))
    tried: set[tuple[int, ...]] = set()
    for k1 in range(1, 65):  # the stage index of the second width, then the others follow from wm
        for wm in np.linspace(lo_ratios[0] ** (1 / k1), hi_ratios[0] ** (1 / k1), 18)[1:-1]:
            ks = np.round(log_ratios / np.log(wm)).astype(int)
            if wm <= 1 or tuple(ks) in tried or (np.diff(ks, prepend=0) < 1).any():
                continue
            tried.add(tuple(ks))
            wm_lo = max(1.0 + 1e-9, float((lo_ratios ** (1.0 / ks)).max()))
            wm_hi = float((hi_ratios ** (1.0 / ks)).min())
            if wm_lo >= wm_hi:
                continue
            k_of_block = np.concatenate(([0], ks))[stage_of_block[1:]]
            wms = np.linspace(wm_lo, wm_hi, 66)[1:-1, None]
            wa_lo = np.maximum(0.0, (w0 * (wms ** (k_of_block - 0.5) - 1) / j).max(1))
            wa_hi = (w0 * (wms ** (k_of_block + 0.5) - 1) / j).min(1)
            for i in np.flatnonzero(wa_lo < wa_hi):
                wa, wm_fit = float(wa_lo[i] + wa_hi[i]) / 2, float(wms[i, 0])
                if block_widths(w0, wa, wm_fit, len(w), q)[0] == w.astype(int).tolist():
                    return w0, wa, wm_fit
    return None


def fit_regnet(widths: list[int] | tuple[int, ...], q: int = 8) -> RegNetFit:
    """Fit (w0, wa, wm) to per-block widths; e_fit = mean |log w_j - log w_fit_j| (the paper's).

    Widths that a RegNet generates are fit exactly (e_fit = 0, see :func:`_exact_fit`); for
    others, a vectorized grid search: w0 over multiples of ``q``, wm in [1.5, 3] and wa in
    [0, max width], then a finer grid around the best point.
    """
    w = np.asarray(widths, dtype=float)
    if w.ndim != 1 or len(w) == 0 or (w <= 0).any():
        raise ValueError(f"widths={list(widths)!r}: need a non-empty list of positive widths")
    d = len(w)
    exact = _exact_fit(w, q)
    if exact is not None:
        return RegNetFit(*exact, d, 0.0, tuple(int(x) for x in w))
    j = np.arange(d)
    logw = np.log(w)

    def search(w0s: np.ndarray, was: np.ndarray, wms: np.ndarray) -> tuple[float, float, float, float]:
        W0, WA, WM = np.meshgrid(w0s, was, wms, indexing="ij")
        W0, WA, WM = W0.ravel()[:, None], WA.ravel()[:, None], WM.ravel()[:, None]
        u = W0 + WA * j[None, :]
        ks = np.round(np.log(u / W0) / np.log(WM))
        ws = np.maximum(np.round(W0 * WM**ks / q) * q, q)
        err = np.abs(np.log(ws) - logw[None, :]).mean(1)
        i = int(np.argmin(err))
        return float(W0[i, 0]), float(WA[i, 0]), float(WM[i, 0]), float(err[i])

    top = max(w.max(), q)
    w0s = np.arange(q, max(2 * q, min(w.min() * 2, top) + q), q, dtype=float)
    was = np.linspace(0, top, 97)
    wms = np.linspace(1.5, 3.0, 61)
    w0, wa, wm, _ = search(w0s, was, wms)
    step_a = was[1] - was[0]
    was = np.linspace(max(0.0, wa - step_a), wa + step_a, 41)
    wms = np.linspace(max(1.01, wm - 0.05), wm + 0.05, 41)
    w0, wa, wm, e = search(np.array([w0]), was, wms)
    ws, _ = block_widths(w0, wa, wm, d, q) if wa >= 0 else ([q] * d, None)
    if not math.isfinite(e):
        raise ValueError("fit_regnet: the fit failed")
    return RegNetFit(w0, wa, wm, d, e, tuple(ws))
