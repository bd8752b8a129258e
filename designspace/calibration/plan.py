"""A calibration plan (TOML) -> the population studies that measure it.

A plan names a stratified calibration set (every listed space, the regime's flops range cut into
equal bins, ``models`` models drawn per space and bin), a long *reference* training and any
number of *protocols*, each trained ``replicates`` times with independent seeds. Every (protocol,
replicate, space, bin) is one ordinary population study in the plan's storage, so trials are
resumable, crash-safe and shareable between workers exactly like any study's::

    [calibration]
    name = "cal1"
    storage = "sqlite:///results/calibration/calibration.db"
    spaces = ["anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e", "regnetx"]
    flops = "4M:8M"
    bins = 3                  # equal-width flops bins
    models = 2                # per space and bin: 6 x 3 x 2 = 36 models
    seed = 7                  # which models
    replicates = 2            # independent trainings per protocol and model
    precision = "bf16"        # pinned: every training of the plan
    group_rule = "pycls"      # AnyNetX's width/group rule (a study's space.group_rule), pinned

    [data]                    # as a study's [data], without train_subset
    name = "cifar10"

    [reference]               # trained once per model
    epochs = 4
    train_subset = 0          # 0 = all training images

    [protocols.today]         # epochs, train_subset, [train] overrides, common_seed
    epochs = 1
    train_subset = 20000

``factors = { A = -1, B = 1 }`` places a protocol in a two-level designed experiment: the report
estimates each factor's main effect on ICC and validity from the protocols that give levels for
all the design's factors.

A protocol with ``common_seed = true`` gives every model of a replicate the same seed (common
random numbers: the same data order and augmentation, the same initial RNG stream); without it,
each model trains with its own seed. Replicate ``r`` of a protocol always uses seeds distinct from
replicate ``r'``, so the replicates' noise is independent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from designspace.regime import parse_range
from designspace.study.config import StudyConfig
from designspace.study.objective import check_config
from designspace.tomlfile import load_toml
from designspace.ui import checks

__all__ = ["REFERENCE", "CalibrationPlan", "Protocol", "load_plan"]

REFERENCE = "reference"
_SEED_STRIDE = 100_000  # replicate r's seeds start at r * stride: no seed is shared between replicates
_CELL_STRIDE = 1_000  # each (space, bin) cell's models get seeds cell * stride + k


@dataclass(frozen=True)
class Protocol:
    """One way to train a model: budget, subset, recipe overrides, common random numbers."""

    name: str
    epochs: float
    train_subset: int | None  # None: all training images
    train: tuple[tuple[str, Any], ...] = ()
    common_seed: bool = False
    #: the protocol's levels in a designed experiment: (factor, -1 | +1) pairs (report: main effects)
    factors: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> Protocol:
        where = f"protocols.{name}" if name != REFERENCE else REFERENCE
        if not isinstance(data, dict):
            raise ValueError(f"{where}: must be a table")
        allowed = {"epochs", "train_subset", "train", "common_seed", "factors"}
        for key in data:
            if key not in allowed:
                raise ValueError(f"{where}.{key}: unknown key (allowed: {', '.join(sorted(allowed))})")
        epochs = data.get("epochs")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, float)) or not epochs > 0:
            raise ValueError(f"{where}.epochs={epochs!r}: must be a positive number")
        subset = data.get("train_subset", 0)
        if isinstance(subset, bool) or not isinstance(subset, int) or subset < 0:
            raise ValueError(f"{where}.train_subset={subset!r}: must be a non-negative integer (0 = all)")
        train = data.get("train", {})
        if not isinstance(train, dict):
            raise ValueError(f"{where}.train: must be a table of recipe overrides")
        common = data.get("common_seed", False)
        if not isinstance(common, bool):
            raise ValueError(f"{where}.common_seed={common!r}: must be true or false")
        factors = data.get("factors", {})
        if not isinstance(factors, dict) or any(v not in (-1, 1) or isinstance(v, bool) for v in factors.values()):
            raise ValueError(f"{where}.factors: must be a table of factor = -1 or 1")
        return cls(name, epochs, subset or None, tuple(sorted(train.items())), common, tuple(sorted(factors.items())))

    def images(self, train_size: int = 50_000) -> float:
        """Training images one training sees."""
        return self.epochs * (self.train_subset or train_size)


@dataclass(frozen=True)
class CalibrationPlan:
    name: str
    storage: str
    spaces: tuple[str, ...]
    flops: tuple[float, float]
    bins: int
    models: int
    seed: int
    replicates: int
    precision: str
    data: tuple[tuple[str, Any], ...]
    reference: Protocol
    protocols: tuple[Protocol, ...]
    resolution: int = 32
    group_rule: str = "pycls"

    @property
    def cells(self) -> list[tuple[int, str, int, tuple[float, float]]]:
        """(cell index, space, bin, flops range) for every stratum."""
        lo, hi = self.flops
        edges = [lo + (hi - lo) * i / self.bins for i in range(self.bins + 1)]
        out = []
        for s, space in enumerate(self.spaces):
            for b in range(self.bins):
                out.append((s * self.bins + b, space, b, (edges[b], edges[b + 1])))
        return out

    def protocol(self, name: str) -> Protocol:
        if name == REFERENCE:
            return self.reference
        for p in self.protocols:
            if p.name == name:
                return p
        raise ValueError(f"no protocol {name!r} in plan {self.name} (known: {', '.join(self.protocol_names)})")

    @property
    def protocol_names(self) -> list[str]:
        return [p.name for p in self.protocols]

    def replicates_of(self, protocol: str) -> int:
        return 1 if protocol == REFERENCE else self.replicates

    def study_name(self, protocol: str, replicate: int, space: str, bin_: int) -> str:
        return f"{self.name}.{protocol}.r{replicate}.{space}.f{bin_}"

    def studies(self, protocol: str) -> list[StudyConfig]:
        """The protocol's studies, replicate by replicate, cell by cell."""
        p = self.protocol(protocol)
        out = []
        for r in range(self.replicates_of(protocol)):
            for cell, space, b, flops in self.cells:
                train = dict(p.train)
                train.setdefault("precision", self.precision)
                base = r * _SEED_STRIDE + (0 if p.common_seed else cell * _CELL_STRIDE)
                if p.common_seed:
                    train["common_seed"] = base
                data = dict(self.data)
                out.append(
                    StudyConfig(
                        name=self.study_name(protocol, r, space, b),
                        space=space,
                        trials=self.models,
                        seed=self.seed,
                        train_seed=base,
                        resolution=self.resolution,
                        group_rule=self.group_rule,
                        flops=flops,
                        dataset=data.get("name", "cifar10"),
                        data_dir=data.get("dir"),
                        train_subset=p.train_subset,
                        test_subset=data.get("test_subset"),
                        data_seed=data.get("seed", 0),
                        epochs=p.epochs,
                        train=tuple(train.items()),
                        storage=self.storage,
                    )
                )
        return out

    def size(self) -> int:
        return len(self.spaces) * self.bins * self.models


def load_plan(path: str | Path) -> CalibrationPlan:
    """Read and check a plan file; one-line ``ValueError`` naming the key."""
    from designspace import spaces as space_registry  # deferred: loads torch (plain status and report need not)
    from designspace.train.config import PRECISIONS  # deferred, as above

    path = Path(path)
    raw = load_toml(path, "calibration plan")
    try:
        return _plan(raw, path, space_registry, parse_range, PRECISIONS)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _plan(
    raw: dict[str, Any], path: Path, registry: Any, parse_range: Any, precisions: tuple[str, ...]
) -> CalibrationPlan:
    for section in raw:
        if section not in ("calibration", "data", "reference", "protocols"):
            raise ValueError(f"unknown section [{section}]")
    cal = raw.get("calibration", {})
    allowed = {
        "name", "storage", "spaces", "flops", "bins", "models", "seed", "replicates", "precision", "resolution",
        "group_rule",
    }  # fmt: skip
    for key in cal:
        if key not in allowed:
            raise ValueError(f"calibration.{key}: unknown key (allowed: {', '.join(sorted(allowed))})")
    spaces = cal.get("spaces")
    if not isinstance(spaces, list) or not spaces or len(set(spaces)) != len(spaces):
        raise ValueError("calibration.spaces: must be a non-empty list of distinct design space names")
    for s in spaces:
        registry.get(s)
    flops = parse_range(cal.get("flops", ""), "calibration.flops")
    if not all(math.isfinite(f) for f in flops):
        raise ValueError("calibration.flops: both ends must be given (e.g. '4M:8M')")
    precision = cal.get("precision")
    if precision not in precisions or precision == "auto":
        raise ValueError(f"calibration.precision={precision!r}: must be pinned: fp32, bf16 or fp16")
    if "reference" not in raw:
        raise ValueError("missing section [reference]")
    protocols = raw.get("protocols", {})
    if not isinstance(protocols, dict) or not protocols:
        raise ValueError("missing [protocols.NAME] sections")
    if REFERENCE in protocols:
        raise ValueError(f"protocols.{REFERENCE}: the name is taken by [reference]")
    data = raw.get("data", {})
    if "train_subset" in data:
        raise ValueError("data.train_subset: set it per protocol")
    plan = CalibrationPlan(
        name=str(cal.get("name", path.stem)),
        storage=str(cal.get("storage", f"sqlite:///results/calibration/{path.stem}.db")),
        spaces=tuple(spaces),
        flops=(float(flops[0]), float(flops[1])),
        bins=checks.integer("calibration.bins", cal.get("bins", 3), low=1),
        models=checks.integer("calibration.models", cal.get("models", 2), low=1),
        seed=checks.integer("calibration.seed", cal.get("seed", 0), low=0),
        replicates=checks.integer("calibration.replicates", cal.get("replicates", 2), low=2),
        precision=precision,
        data=tuple(sorted(data.items())),
        reference=Protocol.from_dict(REFERENCE, raw["reference"]),
        protocols=tuple(Protocol.from_dict(k, v) for k, v in protocols.items()),
        resolution=checks.integer("calibration.resolution", cal.get("resolution", 32), low=1),
        group_rule=str(cal.get("group_rule", "pycls")),
    )
    for p in plan.protocols:  # the recipe keys, checked now rather than in the first trial
        plan.studies(p.name)[0]
    for name in [REFERENCE, *plan.protocol_names]:
        check_config(plan.studies(name)[0])
    return plan
