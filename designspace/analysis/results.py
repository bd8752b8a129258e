"""What an analysis is asked and what it finds: :class:`Options`, the per-population and whole results.

Below :mod:`~designspace.analysis.pipeline` (which computes them) and :mod:`~designspace.analysis.report`
(which writes them), so the two need not import each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from designspace.analysis.bootstrap import GoodRange
from designspace.analysis.edf import TARGETS, Normalization
from designspace.analysis.effect import DEFAULT_ALPHA, DEFAULT_MARGIN
from designspace.analysis.inputs import Population
from designspace.analysis.ks import KSResult
from designspace.analysis.multiplicity import ADJUSTMENTS
from designspace.analysis.plots import Style
from designspace.analysis.regnet_fit import TopFit
from designspace.ui import checks

__all__ = ["Analysis", "Options", "Plot", "PopulationResult", "spec_summary"]

COMPLEXITY = ("flops", "params", "acts")
NORMALIZE = ("flops", "params", "none")


@dataclass(frozen=True)
class Options:
    """Knobs of an analysis (all statistics are seeded by ``seed``)."""

    normalize: str = "flops"  # complexity measure for the normalized EDFs, or "none"
    bins: int | None = None  # normalization bins (None: round(sqrt(smallest n)), at most 20)
    n_boot: int = 10_000  # good-range and EDF-band resamples
    trend_boot: int = 1000  # resamples per trend bin
    permutations: int = 2000  # permutation-test resamples for weighted KS
    top: int = 5  # best models per population in the RegNet width fit (0: no fit)
    frac: float = 0.25  # good range: fraction of the population per resample
    level: float = 0.95  # interval level of good ranges and bands
    seed: int = 0
    target: str = "uniform"  # normalization target: "uniform" (the paper's) or "pooled"
    margin: float = DEFAULT_MARGIN  # equivalence margin, points of error
    alpha: float = DEFAULT_ALPHA  # level of every verdict (family-wise with Holm)
    adjust: str = "holm"  # p-value adjustment across the report's comparisons: holm, bh, none

    @property
    def complexity(self) -> str | None:
        """The complexity column the normalized EDFs weight by (``None``: unnormalized)."""
        return None if self.normalize == "none" else self.normalize

    def compare_args(self) -> dict[str, object]:
        """These options as :func:`~designspace.analysis.compare.compare_frame`'s keyword arguments."""
        return {
            "complexity": self.complexity,
            "target": self.target,
            "bins": self.bins,
            "margin": self.margin,
            "alpha": self.alpha,
            "adjustment": self.adjust,
            "permutations": self.permutations,
            "n_boot": self.n_boot,
            "seed": self.seed,
        }

    def __post_init__(self) -> None:
        checks.choice("normalize", self.normalize, NORMALIZE)
        for name in ("n_boot", "trend_boot", "permutations"):
            checks.integer(name, getattr(self, name), low=1)
        checks.integer("top", self.top, low=0)
        if self.bins is not None:
            checks.integer("bins", self.bins, low=1)
        checks.choice("target", self.target, TARGETS)
        if not self.margin > 0:
            raise checks.fail("margin", self.margin, "must be > 0 (points of error)")
        if not 0 < self.alpha < 0.5:
            raise checks.fail("alpha", self.alpha, "must be in (0, 0.5)")
        checks.choice("adjust", self.adjust, ADJUSTMENTS)


@dataclass(frozen=True, eq=False)
class PopulationResult:
    pop: Population
    style: Style
    ks_norm: KSResult | None  # against the first population (None for the first)
    ks_raw: KSResult | None
    ranges: dict[str, GoodRange]
    fits: list[TopFit]
    norm_kept: int  # models with weight > 0 in the normalized comparison

    @property
    def best(self) -> pd.Series:
        t = self.pop.trials
        return t.loc[t["test_error"].idxmin()]


@dataclass(frozen=True)
class Plot:
    name: str  # file stem
    title: str
    caption: str
    svg: str  # inline SVG markup once written ("" before)
    figure: object = field(default=None, compare=False, repr=False)  # the matplotlib Figure


@dataclass(frozen=True, eq=False)
class Analysis:
    results: list[PopulationResult]
    normalization: Normalization | None
    figures: list[Plot]
    options: Options
    source: str
    notes: list[str] = field(default_factory=list)
    comparisons: pd.DataFrame | None = None  # compare.compare_frame's table: each population vs the first


def spec_summary(spec_json: object) -> str:
    """``"d=[1,2,4,7] w=[24,56,152,368] b=1 g=8"`` from a NetSpec JSON (the raw text if unparsable)."""
    try:
        stages = json.loads(str(spec_json))["stages"]
        d = [s["depth"] for s in stages]
        w = [s["width"] for s in stages]
        b = [s.get("bottleneck", 1) for s in stages]
        g = [s.get("group_width", 0) for s in stages]
    except (ValueError, KeyError, TypeError):
        text = str(spec_json)
        return text if len(text) <= 80 else text[:77] + "..."

    def fmt(v: list) -> str:
        v = [f"{x:g}" if isinstance(x, float) else str(x) for x in v]
        return v[0] if len(set(v)) == 1 else "[" + ",".join(v) + "]"

    return f"d=[{','.join(map(str, d))}] w=[{','.join(map(str, w))}] b={fmt(b)} g={fmt(g)}"
