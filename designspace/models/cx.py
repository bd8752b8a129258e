"""Analytic complexity accumulator (pycls conventions), used by every module's ``complexity``.

* ``flops``: multiply-adds of conv and linear layers, plus their bias adds.
* ``params``: learnable parameters (BatchNorm counts its weight and bias).
* ``acts``: output elements of conv, linear and pooling layers (pycls's ``pool2d_cx``: a
  max/average pool's output counts; a global or adaptive pool's, pycls's ``gap2d_cx``, does not).

``Cx`` is a small mutable accumulator with ``__slots__``: analytic complexity of tens of
thousands of specs per second needs it to be cheap. Every method returns ``self``.
"""

from __future__ import annotations


def conv_out(size: int, k: int, stride: int, padding: int) -> int:
    """Output length of a conv/pool along one axis."""
    return (size + 2 * padding - k) // stride + 1


class FeatureMapVanishes(ValueError):
    """A conv or pool whose output would be empty (torch fails on it): the input is too small."""


def _vanishes(op: str, cx: Cx) -> None:
    raise FeatureMapVanishes(f"the feature map vanishes: a {op} on {cx.h}x{cx.w}")


class Cx:
    __slots__ = ("h", "w", "flops", "params", "acts")

    def __init__(self, h: int, w: int, flops: int = 0, params: int = 0, acts: int = 0) -> None:
        self.h, self.w, self.flops, self.params, self.acts = h, w, flops, params, acts

    def copy(self) -> Cx:
        return Cx(self.h, self.w, self.flops, self.params, self.acts)

    def conv(
        self,
        w_in: int,
        w_out: int,
        k: int,
        stride: int = 1,
        groups: int = 1,
        bias: bool = False,
        padding: int | None = None,
    ) -> Cx:
        p = (k - 1) // 2 if padding is None else padding
        h = (self.h + 2 * p - k) // stride + 1  # conv_out, inlined: this is the hot path
        w = (self.w + 2 * p - k) // stride + 1
        if h < 1 or w < 1:
            _vanishes(f"{k}x{k} conv", self)
        n = h * w
        weights = k * k * w_in * w_out // groups  # exact: groups divides w_in
        if bias:
            weights += w_out
        self.h, self.w = h, w
        self.flops += weights * n  # a multiply-add per weight and output position (+ the bias adds)
        self.params += weights
        self.acts += w_out * n
        return self

    def norm(self, width: int) -> Cx:
        self.params += 2 * width
        return self

    def pool(self, width: int, k: int, stride: int, padding: int = 0) -> Cx:
        """A k x k max/average pool over ``width`` channels: its output counts as activations (pycls)."""
        h, w = conv_out(self.h, k, stride, padding), conv_out(self.w, k, stride, padding)
        if h < 1 or w < 1:
            _vanishes(f"{k}x{k} pool", self)
        self.h, self.w = h, w
        self.acts += width * h * w
        return self

    def resize(self, h: int, w: int) -> Cx:
        """An adaptive pool to a fixed (h, w): no activations counted (pycls's ``gap2d_cx``)."""
        self.h, self.w = h, w
        return self

    def linear(self, w_in: int, w_out: int, bias: bool = True) -> Cx:
        self.flops += w_in * w_out + (w_out if bias else 0)
        self.params += w_in * w_out + (w_out if bias else 0)
        self.acts += w_out
        return self

    def add(self, other: Cx, times: int = 1) -> Cx:
        """Adds ``times`` copies of another accumulator's counts (shape is not touched)."""
        self.flops += other.flops * times
        self.params += other.params * times
        self.acts += other.acts * times
        return self

    def as_dict(self) -> dict[str, int]:
        return {"flops": self.flops, "params": self.params, "acts": self.acts}
