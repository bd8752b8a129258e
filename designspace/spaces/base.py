"""The design-space contract: a named population of specs with a define-by-run sampling rule.

A space is defined by two things, both inspectable:

* ``draw(trial, resolution)``: calls ``trial.suggest_*`` once per parameter, always with the
  same name and the same distribution (Optuna's samplers need static distributions), and
  returns ``{name: value}``. It must not branch on sampled values, so the same code runs on
  Optuna trials, ``FixedTrial``, and the vectorized :class:`~designspace.spaces.trials.BatchTrial`.
* ``build(values, resolution)``: the deterministic map from (canonical) values to a ``NetSpec``.

``canonical(values)`` maps drawn values to the form that is recorded (e.g. sorted widths for
the ordered AnyNetX spaces, ``w0`` quantized to a multiple of 8 for RegNet). It is idempotent
and ``build(canonical(v)) == build(v)``, so the recorded values, passed back through
``optuna.trial.FixedTrial(values)`` into :meth:`DesignSpace.suggest`, reproduce the spec.

Resolution picks the stem/stride variant: inputs of at most 64 px (CIFAR-like) get the
``cifar`` stem (3x3, stride 1) and a stride-1 first stage; larger inputs (ImageNet-like) get
the ``simple`` stem (3x3, stride 2) and stride 2 in every stage. Specs carry a 10-class
linear head (the trainer re-targets ``num_classes`` to the dataset); regimes are measured
with that head.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from designspace.models.compat import DEFAULT_GROUP_RULE, check_group_rule
from designspace.regime import Regime
from designspace.spaces.records import Narrowing, SampleResult, check_resolution, effective_values
from designspace.spaces.sampling import sample
from designspace.spaces.trials import Distribution, RecordingTrial
from designspace.specs import NetSpec

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["effective_values", "DesignSpace", "Narrowing", "SampleResult", "is_small", "check_resolution", "SMALL_MAX"]

#: inputs of at most this many pixels use the CIFAR variant (stride-1 stem and first stage)
SMALL_MAX = 64
NUM_CLASSES = 10
STEM_WIDTH = 32


def is_small(resolution: int) -> bool:
    """True for the CIFAR variant (resolution <= 64 px)."""
    return check_resolution(resolution) <= SMALL_MAX


class DesignSpace(ABC):
    """A registered design space (see the module docstring for the contract)."""

    name: str
    description: str
    #: draws per vectorized batch; part of the definition of the seeded stream
    batch_size: ClassVar[int] = 4096

    # -- the definition ------------------------------------------------------------------
    @abstractmethod
    def draw(self, trial: Any, resolution: int) -> dict[str, Any]:
        """Suggest every parameter through ``trial`` (static names and distributions)."""

    def canonical(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Vectorized map to the recorded form (idempotent). Default: identity."""
        return values

    @abstractmethod
    def build(self, values: Mapping[str, Any], resolution: int) -> NetSpec:
        """The spec of one set of (canonical) values."""

    @property
    @abstractmethod
    def size(self) -> int | None:
        """Number of distinct specs (exact), or ``None`` where no closed form exists."""

    @property
    @abstractmethod
    def num_settings(self) -> int | None:
        """Number of distinct recorded parameter settings, or ``None`` for continuous spaces."""

    def definition(self) -> str:
        """The exact definition in words (``designspace spaces NAME``); default: the description."""
        return self.description

    # -- the X block's compatibility rule ----------------------------------------------------
    @property
    def group_rule(self) -> str | None:
        """The compatibility rule of its X blocks (``"pycls"``/``"gcd"``), ``None`` where it has none."""
        return None

    def with_group_rule(self, rule: str) -> DesignSpace:
        """This space with its X blocks under ``rule`` (see :mod:`designspace.models.compat`).

        Only AnyNetX spaces have a choice; any other space accepts its own rule (or ``"pycls"``)
        and refuses the rest with a one-line ``ValueError``.
        """
        check_group_rule(rule)
        if rule == (self.group_rule or DEFAULT_GROUP_RULE):
            return self
        raise ValueError(f"group_rule={rule!r}: space {self.name} has no choice of group rule (only pycls)")

    # -- constraints beyond the distributions ------------------------------------------------
    def valid(self, values: Mapping[str, np.ndarray], resolution: int) -> np.ndarray | None:
        """Which canonical draws satisfy the space's constraint (a bool mask), or ``None`` (none).

        A draw outside the constraint is not in the space: the sampler rejects it like a draw outside
        a regime, and so do a study's proposals (pycls's RegNet sweeps keep only 4-stage models so).
        """
        return None

    def violation(self, values: Mapping[str, Any], resolution: int) -> str:
        """'' when one set of sampled values is in the space, else why not (one line)."""
        ok = self.valid(self.canonical({k: np.asarray([v]) for k, v in values.items()}), resolution)
        return "" if ok is None or bool(ok[0]) else f"outside {self.name}: fails its constraint"

    # -- optional accelerations ------------------------------------------------------------
    def batch_complexity(self, values: Mapping[str, np.ndarray], resolution: int) -> dict[str, np.ndarray] | None:
        """Vectorized ``ds.complexity`` of a batch of canonical values, or ``None`` (per spec)."""
        return None

    def narrow(self, resolution: int, regime: Regime) -> Narrowing:
        """An exact restriction of the draw for ``regime`` (default: none)."""
        return Narrowing()

    # -- derived API -----------------------------------------------------------------------
    def suggest(self, trial: Any, resolution: int = 32) -> NetSpec:
        """Draw one spec through an Optuna-style trial (Optuna ``Trial``/``FixedTrial``, ``NumpyTrial``)."""
        resolution = check_resolution(resolution)
        raw = self.draw(trial, resolution)
        values = self.canonical({k: np.asarray([v]) for k, v in raw.items()})
        return self.build({k: v[0].item() for k, v in values.items()}, resolution)

    def distributions(self, resolution: int = 32) -> dict[str, Distribution]:
        """``{name: distribution}`` in draw order (the inspectable definition)."""
        trial = RecordingTrial()
        self.draw(trial, check_resolution(resolution))
        return dict(trial.distributions)

    def param_names(self, resolution: int = 32) -> tuple[str, ...]:
        """The sampled parameter names, in draw order (the keys a record holds them under)."""
        return tuple(self.distributions(resolution))

    def fixed_params(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The sampled values of a :meth:`sample` record, for ``optuna.trial.FixedTrial`` / ``enqueue_trial``."""
        return {name: record[name] for name in self.param_names(record.get("resolution", 32))}

    def sample(
        self,
        n: int,
        seed: int = 0,
        resolution: int = 32,
        flops: Any = None,
        params: Any = None,
        *,
        as_frame: bool = False,
        **kwargs: Any,
    ) -> list[dict[str, Any]] | pd.DataFrame:
        """``n`` seeded records (see :meth:`sample_result`), as dicts or a DataFrame."""
        result = self.sample_result(n, seed, resolution, flops, params, **kwargs)
        return result.to_frame() if as_frame else result.records

    def sample_result(
        self,
        n: int,
        seed: int = 0,
        resolution: int = 32,
        flops: Any = None,
        params: Any = None,
        **kwargs: Any,
    ) -> SampleResult:
        """Records plus the draw count and acceptance rates (see :func:`designspace.spaces.sampling.sample`)."""
        return sample(self, n, seed=seed, resolution=resolution, flops=flops, params=params, **kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
