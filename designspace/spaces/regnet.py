"""RegNetX / RegNetY (Radosavovic et al. 2020, Sec. 3.3): specs from the RegNet generator.

Parameters and distributions (the paper's ranges, pycls's ``regnet_sampler`` distributions):

* ``d``: depth (total blocks), uniform over 1..63 (the paper's d < 64);
* ``w0``: initial width, log-uniform and quantized to a multiple of 8 as pycls does: a
  log-uniform draw on (4, 256] rounded *up* to a multiple of 8, so
  P(w0 = 8m) is proportional to log(8m / max(8(m - 1), 4)) (8 and 16 equally likely, then
  decreasing). Optuna sees ``suggest_float("w0", 4, 256, log=True)``; the record holds the
  quantized w0 (8..256), which the same rule maps to itself;
* ``wa``: slope, continuous log-uniform on (8, 256);
* ``wm``: width multiplier, continuous log-uniform on (1.5, 3);
* ``g``: group width, uniform over {1, 2, 4, 8, 16, 32};
* ``b``: bottleneck ratio, 1 in ``regnetx`` / ``regnety`` (pycls's RegNetX/Y models, and the
  paper's Sec. 4 refinement); ``regnetx_b`` draws it uniformly from {1, 2, 4} as AnyNetX-E does
  (pycls's ``regnet_sampler`` samples ``BOT_MUL``), so that "good RegNets have b = 1" can be
  tested rather than assumed.

``designspace.models.regnet.regnet`` turns (w0, wa, wm, d, g) into stages (quantized linear
widths, group widths made compatible as in pycls). Like pycls's sweeps (``SETUP.CONSTRAINTS.
REGNET.NUM_STAGES = [4, 4]`` and ``num_s == max_s`` in ``samplers.check_regnet_constraints``),
the space keeps only draws whose generator gives exactly four stages with no stage index
skipped by quantization (``stages``; ``None`` drops the constraint): the paper's RegNets are
4-stage networks, and at 32 px a 5th and 6th stride-2 stage would shrink the maps to 2x2
and 1x1. The constraint conditions the distributions above; of the draws in a 4-8 MF regime
at 32 px about 1 in 10 passes it. RegNetY adds squeeze-excitation with ratio 0.25. The
32-px variant uses the ``cifar`` stem and a stride-1 first stage.

Size: wa and wm are continuous, so there are infinitely many settings; the number of
distinct specs is finite but has no closed form (the map from (wa, wm) to quantized stage
widths is piecewise constant on an arrangement of curves), so ``size`` is ``None``.

Regimes are met by rejection only (no narrowing: the generator's complexity is not monotone
in w0, wa or wm); complexity is vectorized (:mod:`designspace.spaces.regnet_cx`), and the
acceptance rate is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from designspace.models.regnet import regnet
from designspace.spaces.base import NUM_CLASSES, STEM_WIDTH, DesignSpace, is_small
from designspace.spaces.registry import SPACES
from designspace.spaces.regnet_cx import regnet_complexity, regnet_stage_counts
from designspace.specs import NetSpec, StemSpec

__all__ = ["RegNetSpace", "SPACES_REGNET"]

GROUP_WIDTHS = (1, 2, 4, 8, 16, 32)
W0_QUANTUM = 8


def quantize_w0(w0: Any) -> Any:
    """Round up to a multiple of 8 (pycls's quantized log-uniform); maps 8..256 to itself."""
    return (np.ceil(np.asarray(w0, dtype=np.float64) / W0_QUANTUM) * W0_QUANTUM).astype(np.int64)


@dataclass(frozen=True)
class RegNetSpace(DesignSpace):
    """RegNet design space; ``se`` > 0 gives RegNetY."""

    name: str
    description: str
    se: float = 0.0
    depth: tuple[int, int] = (1, 63)
    w0: tuple[float, float] = (4.0, 256.0)
    wa: tuple[float, float] = (8.0, 256.0)
    wm: tuple[float, float] = (1.5, 3.0)
    group_widths: tuple[int, ...] = GROUP_WIDTHS
    #: bottleneck ratios b drawn from (one value: fixed, not a sampled parameter)
    bottlenecks: tuple[int, ...] = (1,)
    #: (fewest, most) stages kept, pycls's NUM_STAGES; None keeps every draw
    stages: tuple[int, int] | None = (4, 4)

    @property
    def group_rule(self) -> str:
        """The generator applies pycls's rule (its only one)."""
        return "pycls"

    def draw(self, trial: Any, resolution: int) -> dict[str, Any]:
        values = {
            "d": trial.suggest_int("d", *self.depth),
            "w0": trial.suggest_float("w0", *self.w0, log=True),
            "wa": trial.suggest_float("wa", *self.wa, log=True),
            "wm": trial.suggest_float("wm", *self.wm, log=True),
            "g": trial.suggest_categorical("g", self.group_widths),
        }
        if len(self.bottlenecks) > 1:
            values["b"] = trial.suggest_categorical("b", self.bottlenecks)
        return values

    def _b(self, values: Mapping[str, Any]) -> Any:
        return values["b"] if len(self.bottlenecks) > 1 else self.bottlenecks[0]

    def canonical(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {**values, "w0": quantize_w0(values["w0"])}

    def valid(self, values: Mapping[str, np.ndarray], resolution: int) -> np.ndarray | None:
        if self.stages is None:
            return None
        num, top = regnet_stage_counts(values["d"], values["w0"], values["wa"], values["wm"])
        return (num == top) & (num >= self.stages[0]) & (num <= self.stages[1])

    def violation(self, values: Mapping[str, Any], resolution: int) -> str:
        if self.stages is None:
            return ""
        one = self.canonical({k: np.asarray([values[k]]) for k in ("d", "w0", "wa", "wm")})
        if self.valid(one, resolution)[0]:  # type: ignore[index]
            return ""
        num, top = (int(x[0]) for x in regnet_stage_counts(one["d"], one["w0"], one["wa"], one["wm"]))
        what = f"{num} stages"
        if num != top:
            what += f" of {top} stage indices (quantization merged {top - num})"
        return f"outside {self.name}: the generator gives {what} ({self._stages_text()})"

    def _stages_text(self) -> str:
        lo, hi = self.stages or (0, 0)
        n = f"{lo}" if lo == hi else f"{lo} to {hi}"
        return f"the space keeps {n} stages, none skipped"

    def build(self, values: Mapping[str, Any], resolution: int) -> NetSpec:
        small = is_small(resolution)
        return regnet(
            int(quantize_w0(values["w0"])),
            float(values["wa"]),
            float(values["wm"]),
            int(values["d"]),
            int(values["g"]),
            bottleneck=float(self._b(values)),
            se=self.se,
            stem=StemSpec("cifar" if small else "simple", STEM_WIDTH),
            first_stride=1 if small else 2,
            num_classes=NUM_CLASSES,
        )

    def batch_complexity(self, values: Mapping[str, np.ndarray], resolution: int) -> dict[str, np.ndarray]:
        small = is_small(resolution)
        return regnet_complexity(
            values["d"],
            values["w0"],
            values["wa"],
            values["wm"],
            values["g"],
            se=self.se,
            stem_kind="cifar" if small else "simple",
            stem_width=STEM_WIDTH,
            first_stride=1 if small else 2,
            resolution=resolution,
            num_classes=NUM_CLASSES,
            b=self._b(values),
        )

    def definition(self) -> str:
        return (
            f"RegNet generator (res_bottleneck{', SE 0.25' if self.se else ''}); d in {{1..63}};"
            " w0 log-uniform, multiple of 8 in 8..256; wa log-uniform in (8, 256); wm log-uniform in (1.5, 3);"
            " g in {1, 2, 4, 8, 16, 32}; "
            + (
                f"b in {{{', '.join(map(str, self.bottlenecks))}}}"
                if len(self.bottlenecks) > 1
                else f"b = {self.bottlenecks[0]}"
            )
            + (f"; {self._stages_text()} (pycls's sweep constraint)" if self.stages else "")
        )

    @property
    def size(self) -> None:
        """No closed form (see the module docstring)."""
        return None

    @property
    def num_settings(self) -> None:
        """Continuous (wa, wm): infinitely many settings."""
        return None


SPACES_REGNET = (
    RegNetSpace("regnetx", "RegNetX: quantized linear widths from (d, w0, wa, wm), group width g, b = 1"),
    RegNetSpace("regnety", "RegNetY: RegNetX with squeeze-excitation (ratio 0.25)", se=0.25),
    RegNetSpace(
        "regnetx_b",
        "RegNetX with the bottleneck ratio b drawn from {1, 2, 4} as in AnyNetX-E, not fixed at 1",
        bottlenecks=(1, 2, 4),
    ),
)
for _space in SPACES_REGNET:
    SPACES.register(_space.name, _space)
