"""Vectorized analytic complexity of a whole batch of four-stage specs (numpy, int64).

``ds.complexity`` walks one spec at a time (~10^4 specs/s); the population sampler needs
~10^5-10^6 draws/s because regimes reject most draws. This module recomputes the same
numbers for a batch of specs that share a skeleton (stem, block kind, strides, head) and
differ in per-stage arrays. It mirrors, term by term, the ``complexity`` methods of
``designspace.models`` (``Cx.conv``/``norm``/``linear``, ``ConvBN``, ``BNReLUConv``, ``SE``,
the blocks, the stems and the linear head); ``tests/test_spaces_cx.py`` checks that it equals
``ds.complexity`` exactly on thousands of specs of every space.

Every count is a polynomial with non-negative coefficients in the per-stage inputs
(``d``, ``w``, ``wb``, ``ge``, ``proj``) and the input width, hence non-decreasing in each of
them: evaluating it at the lower (upper) ends of intervals gives valid lower (upper) bounds,
which is how :mod:`designspace.spaces.bounds` narrows regimes.

Per-stage inputs (arrays of one length, or scalars):

* ``d``: blocks; ``w``: output width (the growth rate ``k`` for ``dense``);
* ``wb``: bottleneck width ``w / b`` (``res_bottleneck``; ``dense``: the 1x1 conv's width, 4k
  in DenseNet-BC) and ``ge``: channels per group (``res_bottleneck``);
* ``proj``: optional 0/1 override of "the first block has a projection shortcut"
  (computed from the widths and stride when absent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from designspace.models.network import stem_output_size

#: the stages of a four-stage network (the spaces of :mod:`designspace.spaces.fourstage`)
NUM_STAGES = 4

__all__ = ["four_stage_complexity", "stage_sizes", "BLOCKS"]

Arr = np.ndarray

#: blocks this module can count (the stages' ``block``)
BLOCKS = ("res_bottleneck", "res_basic", "vanilla", "dense")


def _down(h: int, stride: int) -> int:
    """Output size of a 'same'-padded odd-kernel conv (or 1x1 conv) with ``stride``."""
    return (h - 1) // stride + 1


def stage_sizes(block: str, stem_kind: str, strides: Sequence[int], resolution: int) -> list[tuple[int, int]]:
    """(input size, output size) of each stage; ``ValueError`` if the feature map vanishes."""
    h = stem_output_size(stem_kind, resolution)
    sizes = []
    for s in strides:
        out = (h - 2) // 2 + 1 if (block == "dense" and s > 1) else _down(h, s)
        if out < 1 or h < 1:
            raise ValueError(f"resolution={resolution}: too small for this network (feature map vanishes)")
        sizes.append((h, out))
        h = out
    return sizes


def _zeros_like(*xs: object) -> Arr:
    n = max((np.size(x) for x in xs), default=1)
    return np.zeros(n, dtype=np.int64)


def _proj(proj: Arr | None, w_in: Arr, w: Arr, stride: int) -> Arr:
    if proj is not None:
        return np.asarray(proj, dtype=np.int64)
    if stride != 1:
        return np.ones_like(np.asarray(w, dtype=np.int64))
    return (np.asarray(w_in) != np.asarray(w)).astype(np.int64)


def _res_bottleneck(st: Mapping[str, Arr], w_in: Arr, h: int, h2: int, stride: int, se: float) -> tuple[Arr, ...]:
    d, w, wb, ge = st["d"], st["w"], st["wb"], st["ge"]
    n_in, n = h * h, h2 * h2
    p = _proj(st.get("proj"), w_in, w, stride)
    # first block: projection, 1x1 at the input size, 3x3 grouped with stride, (SE), 1x1
    f = p * w_in * w * n + w_in * wb * n_in + 9 * wb * ge * n + wb * w * n
    q = p * (w_in * w + 2 * w) + (w_in * wb + 2 * wb) + (9 * wb * ge + 2 * wb) + (wb * w + 2 * w)
    a = p * w * n + wb * n_in + wb * n + w * n
    # blocks 2..d: input width w, stride 1, no projection
    f1 = w * wb * n + 9 * wb * ge * n + wb * w * n
    q1 = (w * wb + 2 * wb) + (9 * wb * ge + 2 * wb) + (wb * w + 2 * w)
    a1 = wb * n + wb * n + w * n
    if se:
        s0 = np.round(np.asarray(w_in) * se).astype(np.int64)
        s1 = np.round(np.asarray(w) * se).astype(np.int64)
        f, q, a = f + 2 * wb * s0 + s0 + wb, q + 2 * wb * s0 + s0 + wb, a + s0 + wb
        f1, q1, a1 = f1 + 2 * wb * s1 + s1 + wb, q1 + 2 * wb * s1 + s1 + wb, a1 + s1 + wb
    return f + (d - 1) * f1, q + (d - 1) * q1, a + (d - 1) * a1, w


def _res_basic(st: Mapping[str, Arr], w_in: Arr, h: int, h2: int, stride: int, se: float) -> tuple[Arr, ...]:
    d, w = st["d"], st["w"]
    n = h2 * h2
    p = _proj(st.get("proj"), w_in, w, stride)
    f = p * w_in * w * n + 9 * w_in * w * n + 9 * w * w * n
    q = p * (w_in * w + 2 * w) + (9 * w_in * w + 2 * w) + (9 * w * w + 2 * w)
    a = p * w * n + 2 * w * n
    f1, q1, a1 = 18 * w * w * n, 2 * (9 * w * w + 2 * w), 2 * w * n
    return f + (d - 1) * f1, q + (d - 1) * q1, a + (d - 1) * a1, w


def _vanilla(st: Mapping[str, Arr], w_in: Arr, h: int, h2: int, stride: int, se: float) -> tuple[Arr, ...]:
    d, w = st["d"], st["w"]
    n = h2 * h2
    f = 9 * w_in * w * n + 9 * w * w * n
    q = (9 * w_in * w + 2 * w) + (9 * w * w + 2 * w)
    a = 2 * w * n
    f1, q1, a1 = 18 * w * w * n, 2 * (9 * w * w + 2 * w), 2 * w * n
    return f + (d - 1) * f1, q + (d - 1) * q1, a + (d - 1) * a1, w


def _dense(st: Mapping[str, Arr], w_in: Arr, h: int, h2: int, stride: int, se: float) -> tuple[Arr, ...]:
    """DenseNet-BC layers (growth ``w`` = k, bottleneck width ``wb``: 4k for DenseNet-BC), with a
    transition (1x1 conv to half the channels, 2x2 average pool) when ``stride > 1``."""
    d, k, bw = st["d"], st["w"], st["wb"]
    f = q = a = 0
    c0 = w_in
    if stride > 1:
        c0 = w_in // 2
        f, q, a = w_in * c0 * h * h, 2 * w_in + w_in * c0, c0 * h * h + c0 * h2 * h2  # conv + pool outputs
    n = h2 * h2
    sum_c = d * c0 + k * (d * (d - 1) // 2)  # sum of the layers' input widths c0 + j k
    f = f + bw * n * sum_c + 9 * bw * k * n * d
    q = q + 2 * sum_c + bw * sum_c + 2 * bw * d + 9 * bw * k * d
    a = a + (bw * n + k * n) * d
    return f, q, a, c0 + d * k


_STAGE = {"res_bottleneck": _res_bottleneck, "res_basic": _res_basic, "vanilla": _vanilla, "dense": _dense}


def four_stage_complexity(
    block: str,
    stem_kind: str,
    stem_width: int,
    strides: Sequence[int],
    stages: Sequence[Mapping[str, Arr]],
    resolution: int,
    num_classes: int = 10,
    se: float = 0.0,
    in_channels: int = 3,
) -> dict[str, Arr]:
    """``{"flops", "params", "acts"}`` (int64 arrays) of a batch: stem -> stages -> linear head."""
    if block not in _STAGE:
        raise ValueError(f"block={block!r}: no vectorized complexity (known: {', '.join(BLOCKS)})")
    if stem_kind not in ("cifar", "simple"):
        raise ValueError(f"stem={stem_kind!r}: no vectorized complexity (known: cifar, simple)")
    sizes = stage_sizes(block, stem_kind, strides, resolution)
    h0 = stem_output_size(stem_kind, resolution)
    st0 = {k: np.asarray(v, dtype=np.int64) for k, v in stages[0].items()}
    flops = _zeros_like(*st0.values()) + 9 * in_channels * stem_width * h0 * h0
    params = flops * 0 + 9 * in_channels * stem_width + 2 * stem_width
    acts = flops * 0 + stem_width * h0 * h0
    w: Arr | int = stem_width
    fn = _STAGE[block]
    for st, s, (h, h2) in zip(stages, strides, sizes):
        st = {k: np.asarray(v, dtype=np.int64) for k, v in st.items()}
        f, q, a, w = fn(st, w, h, h2, s, se)
        flops, params, acts = flops + f, params + q, acts + a
    if block == "dense":  # final BN-ReLU
        params = params + 2 * w
    # linear head: global pool + linear(w, num_classes) with bias
    flops = flops + w * num_classes + num_classes
    params = params + w * num_classes + num_classes
    acts = acts + num_classes
    return {"flops": flops, "params": params, "acts": acts}
