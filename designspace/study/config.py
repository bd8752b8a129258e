"""A study's TOML file -> a frozen, hashable, JSON-able :class:`StudyConfig`.

Layout (every key but ``study.trials``, ``space.name`` and one budget key has a default)::

    [study]
    name = "quickstart"          # default: the file's stem
    mode = "population"          # population (EDF input) | search (find the best model)
                                 # | paired (a principle as an intervention: docs/paired.md)
    principle = "sort_depths"    # paired mode only: designspace.principles (space.name = its parent)
    trials = 20                  # the budget: trials that end with a result
    sampler = "uniform"          # population: uniform | qmc;  search: tpe | cmaes | random
    seed = 0                     # which models (population draws, search proposals)
    train_seed = 0               # optional, default: seed; trial k trains with train_seed + k
                                 # a list ([0, 1000]): trial k trains once per entry (entry + k)
                                 # and reports the mean test error (averages out seed noise)
    storage = "sqlite:///results/quickstart.db"   # default; --storage overrides
    pruner = "none"              # search mode: none | median | successive_halving | hyperband,
                                 # settings in [pruner] (designspace.study.pruners)
    heartbeat_interval = 10      # seconds between a running trial's heartbeats
    grace_period = 60            # a running trial without a heartbeat this long is lost (FAIL, re-queued)

    [space]
    name = "anynetx_a"
    resolution = 32
    flops = "4M:12M"             # complexity regime (multiply-adds), optional; or [4e6, 12e6]
    params = ":1M"               # optional (an empty side is open)
    group_rule = "pycls"         # AnyNetX's width/group compatibility rule: pycls (default) or gcd
                                 # (gcd only to resume/replay the v1 studies sampled with it)

    [data]
    name = "cifar10"
    dir = "/path/to/data"        # optional
    train_subset = 5000          # optional
    test_subset = 1000           # optional
    seed = 0                     # which subset

    [budget]                     # exactly one of:
    epochs = 2
    # seconds = 30

    [train]                      # recipe overrides: any TrainConfig field (lr, batch_size, ...)
    lr = 0.2

    [pruner]                     # search mode with study.pruner: its settings (designspace.study.pruners)
    [cluster]                    # study submit's SLURM job array (designspace.study.cluster)

Unknown keys and bad values raise ``ValueError`` with one line naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from designspace.models.compat import GROUP_RULES
from designspace.study.cluster import ClusterSpec
from designspace.study.pruners import check_pruning
from designspace.study.values import (
    BadValue,
    bad_value,
    bounds_text,
    check_int,
    check_positive_int,
    check_positive_number,
    did_you_mean,
    frozen_value,
    parse_bounds,
    parse_train_seed,
    thawed_value,
)

__all__ = ["MODES", "SAMPLERS", "StudyConfig", "load_config"]

#: the rule the v1 studies (stored before ``space.group_rule`` existed) sampled AnyNetX with
LEGACY_GROUP_RULE = "gcd"

MODES = ("population", "search", "paired")
SAMPLERS = {"population": ("uniform", "qmc"), "search": ("tpe", "cmaes", "random"), "paired": ("uniform",)}
_DEFAULT_SAMPLER = {"population": "uniform", "search": "tpe", "paired": "uniform"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

#: TOML layout: section -> key -> StudyConfig field
_LAYOUT: dict[str, dict[str, str]] = {
    "study": {
        "name": "name",
        "mode": "mode",
        "principle": "principle",
        "trials": "trials",
        "sampler": "sampler",
        "seed": "seed",
        "train_seed": "train_seed",
        "storage": "storage",
        "heartbeat_interval": "heartbeat_interval",
        "grace_period": "grace_period",
        "pruner": "pruner",
    },
    "space": {
        "name": "space",
        "resolution": "resolution",
        "flops": "flops",
        "params": "params",
        "group_rule": "group_rule",
    },
    "data": {
        "name": "dataset",
        "dir": "data_dir",
        "train_subset": "train_subset",
        "test_subset": "test_subset",
        "seed": "data_seed",
    },
    "budget": {"epochs": "epochs", "seconds": "seconds"},
}


@dataclass(frozen=True)
class StudyConfig:
    """Everything that defines a study (what runs it -- storage, workers, device -- aside)."""

    name: str
    space: str
    trials: int
    mode: str = "population"
    principle: str | None = None  # paired mode: the principle (designspace.principles) its pairs test
    sampler: str = ""  # "" = the mode's default
    seed: int = 0
    train_seed: int | tuple[int, ...] | None = None  # None: seed; a tuple: one training per entry
    resolution: int = 32
    flops: tuple[float, float] | None = None
    params: tuple[float, float] | None = None
    #: the X blocks' compatibility rule (designspace.models.compat): "pycls", or "gcd" for the v1 data
    group_rule: str = "pycls"
    dataset: str = "cifar10"
    data_dir: str | None = None
    train_subset: int | None = None
    test_subset: int | None = None
    data_seed: int = 0
    epochs: float | None = None
    seconds: float | None = None
    train: tuple[tuple[str, Any], ...] = ()
    sequential: tuple[tuple[str, Any], ...] = ()  # [sequential]: interim looks (designspace.study.sequential)
    pruner: str = "none"  # search mode: stops bad models early (designspace.study.pruners)
    pruning: tuple[tuple[str, Any], ...] = ()  # [pruner]: the pruner's settings
    cluster: tuple[tuple[str, Any], ...] = ()  # [cluster]: study submit's job array (study.cluster)
    storage: str | None = None
    heartbeat_interval: float = 10.0
    grace_period: float = 60.0
    #: where it was read from (for messages); not part of the study's identity
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        self._check()

    # -- validation ---------------------------------------------------------------------
    def _check(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise bad_value("study.name", self.name, "must be letters, digits, '_', '-' or '.'")
        if self.mode not in MODES:
            raise bad_value("study.mode", self.mode, f"must be one of {', '.join(MODES)}")
        check_positive_int(self.trials, "study.trials")
        if (self.mode == "paired") != (self.principle is not None):
            raise bad_value("study.principle", self.principle, "is needed in paired mode and only there")
        if self.principle is not None and (not isinstance(self.principle, str) or not self.principle):
            raise bad_value("study.principle", self.principle, "must be a principle name")
        if self.sequential:
            from designspace.study.sequential import SequentialRule

            if self.mode != "population":
                raise BadValue("[sequential] is for population studies")
            items = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in self.sequential)
            object.__setattr__(self, "sequential", items)
            try:
                SequentialRule.from_items(items, self.trials)
            except ValueError as e:
                raise BadValue(str(e)) from None
        sampler = self.sampler or _DEFAULT_SAMPLER[self.mode]
        if sampler not in SAMPLERS[self.mode]:
            raise bad_value("study.sampler", sampler, f"{self.mode} mode takes {', '.join(SAMPLERS[self.mode])}")
        object.__setattr__(self, "sampler", sampler)
        check_int(self.seed, "study.seed")
        object.__setattr__(self, "train_seed", parse_train_seed(self.train_seed))
        if self.storage is not None and (not isinstance(self.storage, str) or not self.storage):
            raise bad_value("study.storage", self.storage, "must be a storage URL")
        check_positive_number(self.heartbeat_interval, "study.heartbeat_interval")
        check_positive_number(self.grace_period, "study.grace_period")
        object.__setattr__(self, "heartbeat_interval", float(self.heartbeat_interval))
        object.__setattr__(self, "grace_period", float(self.grace_period))
        if self.grace_period <= self.heartbeat_interval:
            raise bad_value("study.grace_period", self.grace_period, "must be longer than study.heartbeat_interval")
        if not isinstance(self.space, str) or not self.space:
            raise bad_value("space.name", self.space, "must be a design space name")
        check_positive_int(self.resolution, "space.resolution")
        object.__setattr__(self, "flops", parse_bounds(self.flops, "space.flops"))
        object.__setattr__(self, "params", parse_bounds(self.params, "space.params"))
        if self.group_rule not in GROUP_RULES:
            raise bad_value("space.group_rule", self.group_rule, f"must be one of {', '.join(GROUP_RULES)}")
        if not isinstance(self.dataset, str) or not self.dataset:
            raise bad_value("data.name", self.dataset, "must be a dataset name")
        if self.data_dir is not None and (not isinstance(self.data_dir, str) or not self.data_dir):
            raise bad_value("data.dir", self.data_dir, "must be a path")
        for key, value in (("data.train_subset", self.train_subset), ("data.test_subset", self.test_subset)):
            if value is not None:
                check_positive_int(value, key)
        check_int(self.data_seed, "data.seed")
        if (self.epochs is None) == (self.seconds is None):
            raise BadValue("budget: give exactly one of budget.epochs and budget.seconds")
        for key, value in (("budget.epochs", self.epochs), ("budget.seconds", self.seconds)):
            if value is not None:
                check_positive_number(value, key)
        train = self.train.items() if isinstance(self.train, dict) else self.train
        self._check_pruning()
        cluster = self.cluster.items() if isinstance(self.cluster, dict) else self.cluster
        cluster = tuple(sorted((str(k), tuple(v) if isinstance(v, list) else v) for k, v in cluster))
        object.__setattr__(self, "cluster", cluster)
        try:
            ClusterSpec.from_items(cluster)
        except (ValueError, TypeError) as e:
            raise BadValue(str(e)) from None
        object.__setattr__(self, "train", tuple(sorted((str(k), frozen_value(v, f"train.{k}")) for k, v in train)))

    def _check_pruning(self) -> None:
        pruning = self.pruning.items() if isinstance(self.pruning, dict) else self.pruning
        object.__setattr__(self, "pruning", tuple(sorted((str(k), v) for k, v in pruning)))
        seeds = len(self.train_seed) if isinstance(self.train_seed, tuple) else 1
        try:
            check_pruning(self.pruner, self.pruning, mode=self.mode, epochs=self.epochs, seeds=seeds)
        except ValueError as e:
            raise BadValue(str(e)) from None

    # -- views ----------------------------------------------------------------------------
    def training_seed(self, slot: int) -> int:
        """The (first) seed trial ``slot`` trains with: ``train_seed`` (default ``seed``) + slot."""
        return self.training_seeds(slot)[0]

    def training_seeds(self, slot: int) -> tuple[int, ...]:
        """Every seed trial ``slot`` trains with (one training each; the trial reports their mean)."""
        base = self.seed if self.train_seed is None else self.train_seed
        return tuple(s + slot for s in (base if isinstance(base, tuple) else (base,)))

    @property
    def train_overrides(self) -> dict[str, Any]:
        return {k: thawed_value(v) for k, v in self.train}

    def to_dict(self) -> dict[str, Any]:
        """The TOML layout as a JSON-able dict (``None`` values left out)."""
        out: dict[str, Any] = {}
        for section, keys in _LAYOUT.items():
            part = {}
            for key, attr in keys.items():
                value = getattr(self, attr)
                if value is not None and not (attr == "pruner" and value == "none"):  # as before pruners
                    if attr in ("flops", "params"):
                        value = bounds_text(value)
                    part[key] = list(value) if isinstance(value, tuple) else value
            out[section] = part
        if self.train:
            out["train"] = self.train_overrides
        if self.sequential:
            out["sequential"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.sequential}
        if self.pruning:
            out["pruner"] = dict(self.pruning)
        if self.cluster:
            out["cluster"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.cluster}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "", name: str | None = None) -> StudyConfig:
        """Build from the TOML layout; errors name the key (``section.key``)."""
        where = f"{source}: " if source else ""
        try:
            return cls._from_dict(data, source, name)
        except BadValue as e:
            raise ValueError(f"{where}{e}") from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any], source: str, name: str | None) -> StudyConfig:
        if not isinstance(data, dict):
            raise BadValue("a study config must be a table of sections")
        kwargs: dict[str, Any] = {"source": source}
        allowed_sections = [*_LAYOUT, "train", "sequential", "pruner", "cluster"]
        for section, body in data.items():
            if section not in allowed_sections:
                raise BadValue(f"unknown key {section!r}{did_you_mean(section, allowed_sections)}")
            if not isinstance(body, dict):
                raise bad_value(section, body, f"must be a table: [{section}]")
            if section in ("train", "sequential", "pruner", "cluster"):
                kwargs["pruning" if section == "pruner" else section] = tuple(body.items())
                continue
            for key, value in body.items():
                if key not in _LAYOUT[section]:
                    full = [f"{section}.{k}" for k in _LAYOUT[section]]
                    raise BadValue(f"unknown key '{section}.{key}'{did_you_mean(f'{section}.{key}', full)}")
                kwargs[_LAYOUT[section][key]] = value
        kwargs.setdefault("name", name)
        for required, attr in (("study.trials", "trials"), ("space.name", "space")):
            if attr not in kwargs:
                raise BadValue(f"missing key {required!r}")
        if kwargs["name"] is None:
            raise BadValue("missing key 'study.name'")
        try:
            return cls(**kwargs)
        except TypeError as e:  # pragma: no cover - every field has a TOML key
            raise BadValue(str(e)) from None

    def cluster_spec(self) -> ClusterSpec:
        """The ``[cluster]`` table: how ``study submit`` launches the workers."""
        return ClusterSpec.from_items(self.cluster)

    def with_trials(self, trials: int) -> StudyConfig:
        return replace(self, trials=trials)

    @classmethod
    def from_stored(cls, data: dict[str, Any], *, source: str = "") -> StudyConfig:
        """A config as a study stored it. One stored before ``space.group_rule`` existed is from v1,
        whose AnyNetX populations were sampled with the ``gcd`` rule: it reads as ``gcd`` for a
        space that has the choice (and ``pycls``, the only rule, for any other)."""
        space = data.get("space") if isinstance(data, dict) else None
        if isinstance(space, dict) and "group_rule" not in space:
            data = {**data, "space": {**space, "group_rule": _legacy_group_rule(space.get("name"))}}
        return cls.from_dict(data, source=source)

    def design_space(self) -> Any:
        """The study's design space under its group rule (``ValueError`` if the space has no such choice)."""
        from designspace import spaces

        return spaces.get(self.space).with_group_rule(self.group_rule)

    def identity(self) -> dict[str, Any]:
        """What must agree between workers joining one study (the budget may grow)."""
        d = self.to_dict()
        for key in ("trials", "storage", "heartbeat_interval", "grace_period"):
            d["study"].pop(key, None)
        d.pop("sequential", None)  # a stopping rule, like the budget
        d.pop("cluster", None)  # where its workers run
        return d


def load_config(path: str | Path, *, trials: int | None = None) -> StudyConfig:
    """Read and validate a study TOML file (``trials`` overrides ``study.trials``)."""
    from designspace.tomlfile import tomllib

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"study config {str(path)!r} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: invalid TOML: {e}") from None
    config = StudyConfig.from_dict(data, source=str(path), name=path.stem)
    if trials is not None:
        try:
            check_positive_int(trials, "--trials")
        except BadValue as e:
            raise ValueError(str(e)) from None
        config = config.with_trials(trials)
    return config


def describe_difference(stored: dict[str, Any], mine: dict[str, Any]) -> str | None:
    """The first ``section.key`` whose value differs between two ``identity()`` dicts."""
    for section in sorted(set(stored) | set(mine)):
        a, b = stored.get(section, {}), mine.get(section, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return f"{section}.{key} is {a.get(key)!r} in the study, {b.get(key)!r} here"
    return None


def _legacy_group_rule(space: object) -> str:
    """The rule a v1 study (stored without ``space.group_rule``) of ``space`` was sampled with."""
    from designspace import spaces

    try:
        spaces.get(space).with_group_rule(LEGACY_GROUP_RULE)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return "pycls"
    return LEGACY_GROUP_RULE
