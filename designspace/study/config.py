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
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
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
from designspace.tomlfile import load_toml

__all__ = ["MODES", "SAMPLERS", "StudyConfig", "load_config"]

#: the rule the v1 studies (stored before ``space.group_rule`` existed) sampled AnyNetX with
LEGACY_GROUP_RULE = "gcd"

MODES = ("population", "search", "paired")
SAMPLERS = {"population": ("uniform", "qmc"), "search": ("tpe", "cmaes", "random"), "paired": ("uniform",)}
_DEFAULT_SAMPLER = {"population": "uniform", "search": "tpe", "paired": "uniform"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _key(key: str, *, text: Callable[[Any], Any] | None = None, unwritten: object = None, **options: Any) -> Any:
    """A field read from the TOML key ``key`` (``section.key``), or from a whole table (``key`` has no
    dot; the field holds its items). ``text``: how :meth:`StudyConfig.to_dict` writes the value;
    ``unwritten``: a value it leaves out (besides ``None``)."""
    return field(metadata={"key": key, "text": text, "unwritten": unwritten}, **options)


@dataclass(frozen=True, kw_only=True)
class StudyConfig:
    """Everything that defines a study (what runs it -- storage, workers, device -- aside).

    The fields are the TOML layout, in its order: each names its key (``section.key``) or table, and
    reading (:meth:`from_dict`: unknown and missing keys), writing (:meth:`to_dict`) and the messages
    of validation follow from them. A field without a default is a required key.
    """

    name: str = _key("study.name")  # default (load_config): the file's stem
    mode: str = _key("study.mode", default="population")
    principle: str | None = _key("study.principle", default=None)  # paired mode: its principle (principles)
    trials: int = _key("study.trials")
    sampler: str = _key("study.sampler", default="")  # "" = the mode's default
    seed: int = _key("study.seed", default=0)
    #: None: seed; a tuple: one training per entry
    train_seed: int | tuple[int, ...] | None = _key("study.train_seed", default=None)
    storage: str | None = _key("study.storage", default=None)
    heartbeat_interval: float = _key("study.heartbeat_interval", default=10.0)
    grace_period: float = _key("study.grace_period", default=60.0)
    #: search mode: stops bad models early (designspace.study.pruners); "none" is not written (as before pruners)
    pruner: str = _key("study.pruner", default="none", unwritten="none")
    space: str = _key("space.name")
    resolution: int = _key("space.resolution", default=32)
    flops: tuple[float, float] | None = _key("space.flops", default=None, text=bounds_text)
    params: tuple[float, float] | None = _key("space.params", default=None, text=bounds_text)
    #: the X blocks' compatibility rule (designspace.models.compat): "pycls", or "gcd" for the v1 data
    group_rule: str = _key("space.group_rule", default="pycls")
    dataset: str = _key("data.name", default="cifar10")
    data_dir: str | None = _key("data.dir", default=None)
    train_subset: int | None = _key("data.train_subset", default=None)
    test_subset: int | None = _key("data.test_subset", default=None)
    data_seed: int = _key("data.seed", default=0)
    epochs: float | None = _key("budget.epochs", default=None)
    seconds: float | None = _key("budget.seconds", default=None)
    train: tuple[tuple[str, Any], ...] = _key("train", default=())  # recipe overrides (TrainConfig fields)
    sequential: tuple[tuple[str, Any], ...] = _key("sequential", default=())  # interim looks (study.sequential)
    pruning: tuple[tuple[str, Any], ...] = _key("pruner", default=())  # the pruner's settings
    cluster: tuple[tuple[str, Any], ...] = _key("cluster", default=())  # study submit's job array (study.cluster)
    #: where it was read from (for messages); not part of the study's identity
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        self._check()

    # -- validation ---------------------------------------------------------------------
    def _bad(self, attr: str, why: str) -> BadValue:
        """``section.key=value: why`` for field ``attr``."""
        return bad_value(key_of(attr), getattr(self, attr), why)

    def _check(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise self._bad("name", "must be letters, digits, '_', '-' or '.'")
        if self.mode not in MODES:
            raise self._bad("mode", f"must be one of {', '.join(MODES)}")
        check_positive_int(self.trials, key_of("trials"))
        if (self.mode == "paired") != (self.principle is not None):
            raise self._bad("principle", "is needed in paired mode and only there")
        if self.principle is not None and (not isinstance(self.principle, str) or not self.principle):
            raise self._bad("principle", "must be a principle name")
        if self.sequential:
            self._check_sequential()
        sampler = self.sampler or _DEFAULT_SAMPLER[self.mode]
        if sampler not in SAMPLERS[self.mode]:
            raise bad_value(key_of("sampler"), sampler, f"{self.mode} mode takes {', '.join(SAMPLERS[self.mode])}")
        object.__setattr__(self, "sampler", sampler)
        check_int(self.seed, key_of("seed"))
        object.__setattr__(self, "train_seed", parse_train_seed(self.train_seed))
        if self.storage is not None and (not isinstance(self.storage, str) or not self.storage):
            raise self._bad("storage", "must be a storage URL")
        for attr in ("heartbeat_interval", "grace_period"):
            check_positive_number(getattr(self, attr), key_of(attr))
            object.__setattr__(self, attr, float(getattr(self, attr)))
        if self.grace_period <= self.heartbeat_interval:
            raise self._bad("grace_period", f"must be longer than {key_of('heartbeat_interval')}")
        if not isinstance(self.space, str) or not self.space:
            raise self._bad("space", "must be a design space name")
        check_positive_int(self.resolution, key_of("resolution"))
        for attr in ("flops", "params"):
            object.__setattr__(self, attr, parse_bounds(getattr(self, attr), key_of(attr)))
        if self.group_rule not in GROUP_RULES:
            raise self._bad("group_rule", f"must be one of {', '.join(GROUP_RULES)}")
        if not isinstance(self.dataset, str) or not self.dataset:
            raise self._bad("dataset", "must be a dataset name")
        if self.data_dir is not None and (not isinstance(self.data_dir, str) or not self.data_dir):
            raise self._bad("data_dir", "must be a path")
        for attr in ("train_subset", "test_subset"):
            if getattr(self, attr) is not None:
                check_positive_int(getattr(self, attr), key_of(attr))
        check_int(self.data_seed, key_of("data_seed"))
        if (self.epochs is None) == (self.seconds is None):
            raise BadValue(f"budget: give exactly one of {key_of('epochs')} and {key_of('seconds')}")
        for attr in ("epochs", "seconds"):
            if getattr(self, attr) is not None:
                check_positive_number(getattr(self, attr), key_of(attr))
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

    def _check_sequential(self) -> None:
        from designspace.study.sequential import SequentialRule  # deferred: loads scipy and pandas

        if self.mode != "population":
            raise BadValue("[sequential] is for population studies")
        items = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in self.sequential)
        object.__setattr__(self, "sequential", items)
        try:
            SequentialRule.from_items(items, self.trials)
        except ValueError as e:
            raise BadValue(str(e)) from None

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
        """The TOML layout as a JSON-able dict (``None`` values left out; every section, empty tables not)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if "key" not in f.metadata:
                continue
            section, _, key = f.metadata["key"].partition(".")
            value = getattr(self, f.name)
            if not key:  # a table
                if value:
                    out[section] = {k: thawed_value(v) for k, v in value}
                continue
            part = out.setdefault(section, {})
            if value is not None and value != f.metadata["unwritten"]:
                text = f.metadata["text"]
                value = text(value) if text is not None else value
                part[key] = list(value) if isinstance(value, tuple) else value
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
        attrs = {f.metadata["key"]: f for f in fields(cls) if "key" in f.metadata}  # key or table -> field
        sections = list(dict.fromkeys(key.partition(".")[0] for key in attrs))
        kwargs: dict[str, Any] = {"source": source}
        for section, body in data.items():
            if section not in sections:
                raise BadValue(f"unknown key {section!r}{did_you_mean(section, sections)}")
            if not isinstance(body, dict):
                raise bad_value(section, body, f"must be a table: [{section}]")
            if section in attrs:  # a table: its items as they are
                kwargs[attrs[section].name] = tuple(body.items())
                continue
            for key, value in body.items():
                full = f"{section}.{key}"
                if full not in attrs:
                    known = [k for k in attrs if k.startswith(f"{section}.")]
                    raise BadValue(f"unknown key {full!r}{did_you_mean(full, known)}")
                kwargs[attrs[full].name] = value
        if kwargs.setdefault("name", name) is None:  # no study.name (or JSON's null) and no file stem
            del kwargs["name"]
        required = [(key, f.name) for key, f in attrs.items() if f.default is MISSING]
        for key, attr in sorted(required, key=lambda r: r[1] == "name"):  # the name (it has a fallback) last
            if attr not in kwargs:
                raise BadValue(f"missing key {key!r}")
        return cls(**kwargs)

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
        from designspace import spaces  # deferred: the spaces import torch

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
    path = Path(path)
    config = StudyConfig.from_dict(load_toml(path, "study config"), source=str(path), name=path.stem)
    if trials is not None:
        try:
            check_positive_int(trials, "--trials")
        except BadValue as e:
            raise ValueError(str(e)) from None
        config = config.with_trials(trials)
    return config


def key_of(attr: str) -> str:
    """The TOML key (``section.key``) of :class:`StudyConfig`'s field ``attr``."""
    return _KEYS[attr]


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
    from designspace import spaces  # deferred: the spaces import torch

    try:
        spaces.get(space).with_group_rule(LEGACY_GROUP_RULE)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return "pycls"
    return LEGACY_GROUP_RULE


#: field -> its TOML key (``section.key``), for messages
_KEYS = {f.name: f.metadata["key"] for f in fields(StudyConfig) if "." in f.metadata.get("key", "")}
