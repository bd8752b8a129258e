"""Sequential stopping of a population study: interim looks against a reference population.

A population study's TOML may hold::

    [sequential]
    reference = "anynetx_c"      # a study in the same storage, with at least the last look's models
    looks = [50, 100, 150, 200]  # models with a result at each look; the last (at most study.trials)
                                 # is the planned maximum, the information fractions are n / last
    alpha = 0.05                 # optional: the level spent over all looks
    spending = "obrien-fleming"  # optional: or "pocock" (Lan-DeMets spending functions)
    alternative = "two-sided"    # optional: or "less" (this study has lower error) / "greater"
    normalize = "flops"          # optional: or "none"

Whenever the study's models with a result reach the next look, the runner asks :class:`Monitor`
whether the verdict is settled: the first ``n`` models of both studies (in trial order) are compared
by :func:`designspace.analysis.sequential.sequential_looks` (the z of the median shift against the
alpha-spending boundary of that look). When it crosses, the study stops adding models.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from designspace.analysis.sequential import SPENDING, Look, sequential_looks

__all__ = ["KEYS", "Monitor", "SequentialRule"]

KEYS = ("reference", "looks", "alpha", "spending", "alternative", "normalize")


@dataclass(frozen=True)
class SequentialRule:
    reference: str
    looks: tuple[int, ...]
    alpha: float = 0.05
    spending: str = "obrien-fleming"
    alternative: str = "two-sided"
    normalize: str = "flops"

    @classmethod
    def from_items(cls, items: tuple[tuple[str, Any], ...], trials: int) -> SequentialRule:
        """Validate a ``[sequential]`` table (``ValueError`` naming the key)."""
        d = dict(items)
        for key in d:
            if key not in KEYS:
                raise ValueError(f"unknown key 'sequential.{key}' (known: {', '.join(KEYS)})")
        for key in ("reference", "looks"):
            if key not in d:
                raise ValueError(f"missing key 'sequential.{key}'")
        ref = d["reference"]
        if not isinstance(ref, str) or not ref:
            raise ValueError(f"sequential.reference={ref!r}: must be a study name")
        looks = d["looks"]
        if (
            not isinstance(looks, (list, tuple))
            or not looks
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 3 for n in looks)
            or list(looks) != sorted(set(looks))
        ):
            raise ValueError(f"sequential.looks={looks!r}: must be increasing model counts >= 3")
        if looks[-1] > trials:
            raise ValueError(f"sequential.looks={looks!r}: the last look is beyond study.trials ({trials})")
        alpha = d.get("alpha", 0.05)
        if not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
            raise ValueError(f"sequential.alpha={alpha!r}: must be in (0, 0.5)")
        spending = d.get("spending", "obrien-fleming")
        if spending not in SPENDING:
            raise ValueError(f"sequential.spending={spending!r}: use one of {', '.join(SPENDING)}")
        alternative = d.get("alternative", "two-sided")
        if alternative not in ("two-sided", "less", "greater"):
            raise ValueError(f"sequential.alternative={alternative!r}: use two-sided, less or greater")
        normalize = d.get("normalize", "flops")
        if normalize not in ("flops", "params", "none"):
            raise ValueError(f"sequential.normalize={normalize!r}: use flops, params or none")
        return cls(ref, tuple(looks), float(alpha), spending, alternative, normalize)


def _strata(reference: np.ndarray, *complexities: np.ndarray, n: int) -> list[np.ndarray]:
    """Log-complexity bins fixed by the reference population's range: about sqrt(first look) bins."""
    k = int(min(20, max(1, round(math.sqrt(n)))))
    lo, hi = np.log10(reference.min()), np.log10(reference.max())
    edges = np.linspace(lo, hi + 1e-9, k + 1)
    return [np.clip(np.searchsorted(edges, np.log10(c), side="right") - 1, 0, k - 1) for c in complexities]


class Monitor:
    """Checks a study's looks as its models complete (one per runner; not thread-safe)."""

    def __init__(self, rule: SequentialRule, study: str, load: Callable[[list[str]], Any]) -> None:
        """``load(names)``: the trial table of those studies (``designspace.study.export.trials_frame``)."""
        self.rule, self.study, self.load = rule, study, load
        self.next = 0  # index of the next look

    def due(self, complete: int) -> bool:
        return self.next < len(self.rule.looks) and complete >= self.rule.looks[self.next]

    def check(self) -> Look | None:
        """The latest look the data allow; ``None`` when no look is complete yet."""
        frame = self.load([self.rule.reference, self.study])
        done = frame[(frame["state"] == "COMPLETE") & frame["test_error"].notna()].sort_values("trial")
        ref, own = done[done["study"] == self.rule.reference], done[done["study"] == self.study]
        n = min(len(ref), len(own))
        while self.next < len(self.rule.looks) and self.rule.looks[self.next] <= n:
            self.next += 1
        if self.rule.looks[0] > n:
            return None
        kw: dict = {}
        if self.rule.normalize != "none":
            c_ref = ref[self.rule.normalize].to_numpy(float)
            s1, s2 = _strata(c_ref, c_ref, own[self.rule.normalize].to_numpy(float), n=self.rule.looks[0])
            kw = dict(strata1=s1, strata2=s2)
        looks = sequential_looks(
            ref["test_error"].to_numpy(float),
            own["test_error"].to_numpy(float),
            self.rule.looks,
            alpha=self.rule.alpha,
            kind=self.rule.spending,
            alternative=self.rule.alternative,
            **kw,
        )
        return looks[-1]
