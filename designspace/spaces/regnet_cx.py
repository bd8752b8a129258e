"""Vectorized RegNet generator + analytic complexity for a batch of (d, w0, wa, wm, g[, b]).

Mirrors ``designspace.models.regnet.regnet`` followed by ``ds.complexity``:
block widths ``u_j = w0 + wa j``, ``k_j = round(log(u_j / w0) / log(wm))``, quantized widths
``round(w0 wm^k_j / 8) * 8`` (the model generator's own functions, broadcast over the batch, so the same
floating-point results), stages = runs of equal widths, then pycls's compatibility rule per
stage for bottleneck ratio b >= 1 (:func:`designspace.models.compat.compatible_arrays`, the
vectorized form of the generator's own rule); then the
``res_bottleneck`` counts block by block on a (batch, max depth) grid. Checked against
``ds.complexity`` in ``tests/test_spaces_cx.py``.
"""

from __future__ import annotations

import numpy as np

from designspace.models.compat import compatible_arrays
from designspace.models.network import stem_output_size
from designspace.models.regnet import linear_stage_indices, quantized_widths

__all__ = ["regnet_block_widths", "regnet_complexity", "regnet_stage_counts"]

Q = 8


def regnet_block_widths(w0: np.ndarray, wa: np.ndarray, wm: np.ndarray, dmax: int) -> np.ndarray:
    """Quantized per-block widths, shape (batch, dmax) (entries past a draw's depth are junk)."""
    return quantized_widths(w0, wm, linear_stage_indices(w0, wa, wm, dmax)[1], Q)


def regnet_stage_counts(d: np.ndarray, w0: np.ndarray, wa: np.ndarray, wm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(stages, max_stage)`` per draw: the distinct quantized widths among the ``d`` blocks, and
    the largest stage index k + 1 (pycls's ``num_s`` and ``max_s``; they differ when quantization
    merges two k or skips one). pycls's sweeps keep the draws with ``num_s == max_s == 4``."""
    d = np.asarray(d, dtype=np.int64)
    w0 = np.asarray(w0, dtype=np.int64)
    wa, wm = np.asarray(wa, dtype=np.float64), np.asarray(wm, dtype=np.float64)
    dmax = int(d.max())
    live = np.arange(dmax)[None, :] < d[:, None]
    _, ks = linear_stage_indices(w0, wa, wm, dmax)
    max_stage = np.where(live, ks, -np.inf).max(axis=1).astype(np.int64) + 1
    raw = quantized_widths(w0, wm, ks, Q)  # non-decreasing along each row
    first = np.ones_like(live)
    first[:, 1:] = raw[:, 1:] != raw[:, :-1]
    return (first & live).sum(axis=1), max_stage


def regnet_complexity(
    d: np.ndarray,
    w0: np.ndarray,
    wa: np.ndarray,
    wm: np.ndarray,
    g: np.ndarray,
    *,
    se: float,
    stem_kind: str,
    stem_width: int,
    first_stride: int,
    resolution: int,
    num_classes: int,
    in_channels: int = 3,
    b: np.ndarray | int = 1,
) -> dict[str, np.ndarray]:
    """flops / params / acts per draw; ``b``: the bottleneck ratio, per draw or one for all."""
    d = np.asarray(d, dtype=np.int64)
    g = np.asarray(g, dtype=np.int64)
    b = np.broadcast_to(np.asarray(b, dtype=np.int64), d.shape)
    dmax = int(d.max())
    raw = regnet_block_widths(np.asarray(w0, dtype=np.int64), np.asarray(wa), np.asarray(wm), dmax)
    live = np.arange(dmax)[None, :] < d[:, None]
    first = np.ones_like(live)
    first[:, 1:] = raw[:, 1:] != raw[:, :-1]
    stage = np.cumsum(first, axis=1) - 1  # stage index of each block
    w, v, gp = compatible_arrays(raw, b[:, None], g[:, None])  # pycls's rule, as the generator applies it
    w_in = np.empty_like(w)
    w_in[:, 0] = stem_width
    w_in[:, 1:] = w[:, :-1]

    # spatial size entering each stage
    h = stem_output_size(stem_kind, resolution)
    sizes = [h]
    for s in range(dmax):
        stride = first_stride if s == 0 else 2
        sizes.append((sizes[-1] - 1) // stride + 1)
    sizes_arr = np.asarray(sizes, dtype=np.int64)
    h_in = sizes_arr[stage]
    h_out = sizes_arr[stage + 1]
    stride = np.where(stage == 0, first_stride, 2)
    n_in = np.where(first, h_in * h_in, h_out * h_out)
    n = h_out * h_out

    proj = (first & ((w_in != w) | (stride != 1))).astype(np.int64)
    wb, ge = v, gp
    f = proj * w_in * w * n + w_in * wb * n_in + 9 * wb * ge * n + wb * w * n
    q = proj * (w_in * w + 2 * w) + (w_in * wb + 2 * wb) + (9 * wb * ge + 2 * wb) + (wb * w + 2 * w)
    a = proj * w * n + wb * n_in + wb * n + w * n
    if se:
        s = np.round(w_in * se).astype(np.int64)
        s = np.where(s > 0, s, 0)
        on = (s > 0).astype(np.int64)
        f = f + on * (2 * wb * s + s + wb)
        q = q + on * (2 * wb * s + s + wb)
        a = a + on * (s + wb)
    f, q, a = (np.where(live, x, 0).sum(axis=1) for x in (f, q, a))
    w_last = w[np.arange(len(d)), d - 1]
    f = f + 9 * in_channels * stem_width * h * h + w_last * num_classes + num_classes
    q = q + 9 * in_channels * stem_width + 2 * stem_width + w_last * num_classes + num_classes
    a = a + stem_width * h * h + num_classes
    return {"flops": f, "params": q, "acts": a}
