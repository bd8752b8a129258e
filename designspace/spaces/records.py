"""What sampling a space yields, and the rules records share with the space contract.

The resolution check, a record's effective values, the :class:`Narrowing` a draw ran under and the
:class:`SampleResult`; below :mod:`designspace.spaces.base` and :mod:`designspace.spaces.sampling`,
which both use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from designspace.regime import Regime
from designspace.specs import NetSpec
from designspace.ui import checks

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Narrowing", "SampleResult", "check_resolution", "effective_values"]


def check_resolution(resolution: Any) -> int:
    """A positive integer (numpy integers too) as an int."""
    return checks.integer("resolution", int(resolution) if isinstance(resolution, np.integer) else resolution, low=1)


def effective_values(spec: NetSpec) -> dict[str, int]:
    """The network's own values of its X (``res_bottleneck``) stages, as records hold them.

    ``width{i}``, ``bottleneck_width{i}``, ``group_width{i}``, ``groups{i}`` for stage i = 1, 2, ...
    (after the compatibility rule; the drawn values are the sampled parameters ``w{i}``, ``b``,
    ``g``, ...). Empty for a network without X stages.
    """
    out: dict[str, int] = {}
    for i, st in enumerate(spec.stages):
        if st.block == "res_bottleneck":
            wb = st.bottleneck_width
            gw = st.group_width or wb
            names = _EFFECTIVE_NAMES[i] if i < len(_EFFECTIVE_NAMES) else _effective_names(i)
            out.update(zip(names, (st.width, wb, gw, wb // gw)))
    return out


def _effective_names(i: int) -> tuple[str, str, str, str]:
    return (f"width{i + 1}", f"bottleneck_width{i + 1}", f"group_width{i + 1}", f"groups{i + 1}")


_EFFECTIVE_NAMES = tuple(_effective_names(i) for i in range(8))


@dataclass(frozen=True)
class Narrowing:
    """An exact restriction of the draw for a regime (see :mod:`designspace.spaces.bounds`).

    ``restrict`` maps tuples of parameter names to tables of allowed value tuples, drawn
    jointly and uniformly (:class:`~designspace.spaces.trials.BatchTrial`); ``kept`` is the
    probability that an unrestricted draw falls inside the restriction (so plain rejection
    would accept ``kept`` times the acceptance rate of the restricted draw).
    """

    restrict: Mapping[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    kept: float = 1.0
    #: "name,name,..." -> (allowed tuples, all tuples)
    counts: Mapping[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class SampleResult:
    """What :meth:`DesignSpace.sample_result` returns: the records and how they were obtained.

    ``acceptance`` is accepted / draws of the (possibly narrowed) draw; ``raw_acceptance``
    (= ``acceptance * narrowing.kept``) estimates the acceptance of plain rejection sampling
    from the whole space. Both are ``None`` when nothing was drawn.
    """

    space: str
    seed: int
    resolution: int
    regime: Regime
    records: list[dict[str, Any]]
    draws: int
    narrowing: Narrowing

    @property
    def acceptance(self) -> float | None:
        return len(self.records) / self.draws if self.draws else None

    @property
    def raw_acceptance(self) -> float | None:
        acc = self.acceptance
        return None if acc is None else acc * self.narrowing.kept

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(self.records)

    def summary(self) -> str:
        """One line: accepted / draws, acceptance, and the narrowing."""
        n, acc = len(self.records), self.acceptance
        if acc is None:
            return f"{self.space}: nothing drawn"
        line = f"{self.space} at {self.resolution} px, {self.regime.describe()}: accepted {n} of {self.draws} draws"
        line += f" ({100 * acc:.3g}%)"
        if self.narrowing.kept < 1:
            line += (
                f"; exact narrowing kept {100 * self.narrowing.kept:.3g}% of the space,"
                f" so plain rejection would accept ~{100 * self.raw_acceptance:.3g}%"  # type: ignore[operator]
            )
        return line
