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

Unknown keys and bad values raise ``ValueError`` with one line naming the key.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from designspace.models.compat import GROUP_RULES

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


class _Bad(ValueError):
    pass


def _bad(key: str, value: object, why: str) -> _Bad:
    return _Bad(f"{key}={value!r}: {why}")


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
            raise _bad("study.name", self.name, "must be letters, digits, '_', '-' or '.'")
        if self.mode not in MODES:
            raise _bad("study.mode", self.mode, f"must be one of {', '.join(MODES)}")
        _positive_int(self.trials, "study.trials")
        if (self.mode == "paired") != (self.principle is not None):
            raise _bad("study.principle", self.principle, "is needed in paired mode and only there")
        if self.principle is not None and (not isinstance(self.principle, str) or not self.principle):
            raise _bad("study.principle", self.principle, "must be a principle name")
        if self.sequential:
            from designspace.study.sequential import SequentialRule

            if self.mode != "population":
                raise _Bad("[sequential] is for population studies")
            items = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in self.sequential)
            object.__setattr__(self, "sequential", items)
            try:
                SequentialRule.from_items(items, self.trials)
            except ValueError as e:
                raise _Bad(str(e)) from None
        sampler = self.sampler or _DEFAULT_SAMPLER[self.mode]
        if sampler not in SAMPLERS[self.mode]:
            raise _bad("study.sampler", sampler, f"{self.mode} mode takes {', '.join(SAMPLERS[self.mode])}")
        object.__setattr__(self, "sampler", sampler)
        _int(self.seed, "study.seed")
        object.__setattr__(self, "train_seed", _train_seed(self.train_seed))
        if self.storage is not None and (not isinstance(self.storage, str) or not self.storage):
            raise _bad("study.storage", self.storage, "must be a storage URL")
        _positive_number(self.heartbeat_interval, "study.heartbeat_interval")
        _positive_number(self.grace_period, "study.grace_period")
        object.__setattr__(self, "heartbeat_interval", float(self.heartbeat_interval))
        object.__setattr__(self, "grace_period", float(self.grace_period))
        if self.grace_period <= self.heartbeat_interval:
            raise _bad("study.grace_period", self.grace_period, "must be longer than study.heartbeat_interval")
        if not isinstance(self.space, str) or not self.space:
            raise _bad("space.name", self.space, "must be a design space name")
        _positive_int(self.resolution, "space.resolution")
        object.__setattr__(self, "flops", _range(self.flops, "space.flops"))
        object.__setattr__(self, "params", _range(self.params, "space.params"))
        if self.group_rule not in GROUP_RULES:
            raise _bad("space.group_rule", self.group_rule, f"must be one of {', '.join(GROUP_RULES)}")
        if not isinstance(self.dataset, str) or not self.dataset:
            raise _bad("data.name", self.dataset, "must be a dataset name")
        if self.data_dir is not None and (not isinstance(self.data_dir, str) or not self.data_dir):
            raise _bad("data.dir", self.data_dir, "must be a path")
        for key, value in (("data.train_subset", self.train_subset), ("data.test_subset", self.test_subset)):
            if value is not None:
                _positive_int(value, key)
        _int(self.data_seed, "data.seed")
        if (self.epochs is None) == (self.seconds is None):
            raise _Bad("budget: give exactly one of budget.epochs and budget.seconds")
        for key, value in (("budget.epochs", self.epochs), ("budget.seconds", self.seconds)):
            if value is not None:
                _positive_number(value, key)
        train = self.train.items() if isinstance(self.train, dict) else self.train
        object.__setattr__(self, "train", tuple(sorted((str(k), _frozen(v, f"train.{k}")) for k, v in train)))

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
        return {k: _thawed(v) for k, v in self.train}

    def to_dict(self) -> dict[str, Any]:
        """The TOML layout as a JSON-able dict (``None`` values left out)."""
        out: dict[str, Any] = {}
        for section, keys in _LAYOUT.items():
            part = {}
            for key, attr in keys.items():
                value = getattr(self, attr)
                if value is not None:
                    if attr in ("flops", "params"):
                        value = _range_text(value)
                    part[key] = list(value) if isinstance(value, tuple) else value
            out[section] = part
        if self.train:
            out["train"] = self.train_overrides
        if self.sequential:
            out["sequential"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.sequential}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "", name: str | None = None) -> StudyConfig:
        """Build from the TOML layout; errors name the key (``section.key``)."""
        where = f"{source}: " if source else ""
        try:
            return cls._from_dict(data, source, name)
        except _Bad as e:
            raise ValueError(f"{where}{e}") from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any], source: str, name: str | None) -> StudyConfig:
        if not isinstance(data, dict):
            raise _Bad("a study config must be a table of sections")
        kwargs: dict[str, Any] = {"source": source}
        allowed_sections = [*_LAYOUT, "train", "sequential"]
        for section, body in data.items():
            if section not in allowed_sections:
                raise _Bad(f"unknown key {section!r}{_close(section, allowed_sections)}")
            if not isinstance(body, dict):
                raise _bad(section, body, f"must be a table: [{section}]")
            if section in ("train", "sequential"):
                kwargs[section] = tuple(body.items())
                continue
            for key, value in body.items():
                if key not in _LAYOUT[section]:
                    full = [f"{section}.{k}" for k in _LAYOUT[section]]
                    raise _Bad(f"unknown key '{section}.{key}'{_close(f'{section}.{key}', full)}")
                kwargs[_LAYOUT[section][key]] = value
        kwargs.setdefault("name", name)
        for required, attr in (("study.trials", "trials"), ("space.name", "space")):
            if attr not in kwargs:
                raise _Bad(f"missing key {required!r}")
        if kwargs["name"] is None:
            raise _Bad("missing key 'study.name'")
        try:
            return cls(**kwargs)
        except TypeError as e:  # pragma: no cover - every field has a TOML key
            raise _Bad(str(e)) from None

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
            _positive_int(trials, "--trials")
        except _Bad as e:
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


# -- small validators ------------------------------------------------------------------------
def _int(value: object, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(key, value, "must be an integer")


def _train_seed(value: object) -> int | tuple[int, ...] | None:
    """``study.train_seed``: None, an integer, or a non-empty list of distinct integers (a tuple)."""
    if value is None or not isinstance(value, (list, tuple)):
        if value is not None:
            _int(value, "study.train_seed")
        return value  # type: ignore[return-value]
    for v in value:
        _int(v, "study.train_seed")
    if not value or len(set(value)) != len(value):
        raise _bad("study.train_seed", list(value), "a list must hold distinct integers")
    return tuple(value)


def _positive_int(value: object, key: str) -> None:
    _int(value, key)
    if value < 1:  # type: ignore[operator]
        raise _bad(key, value, "must be a positive integer")


def _positive_number(value: object, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise _bad(key, value, "must be a positive number")


def _range(value: object, key: str) -> tuple[float, float] | None:
    """``"4M:12M"`` (an open side: ``":12M"``) or ``[low, high]`` (numbers or ``"4M"``) -> (low, high)."""
    if value is None:
        return None
    from designspace.spaces.regime import parse_quantity, parse_range

    if isinstance(value, (list, tuple)):
        if len(value) != 2 or any(isinstance(v, bool) for v in value):
            raise _bad(key, value, "must be [low, high] or 'LOW:HIGH', e.g. '4M:12M'")
        try:
            value = tuple(parse_quantity(v, key) if isinstance(v, str) else v for v in value)
        except ValueError as e:
            raise _Bad(str(e)) from None
    elif not isinstance(value, str):
        raise _bad(key, value, "must be [low, high] or 'LOW:HIGH', e.g. '4M:12M'")
    try:
        lo, hi = parse_range(value, key)
    except ValueError as e:
        raise _Bad(str(e)) from None
    return (lo, hi)


def _range_text(bounds: tuple[float, float]) -> str:
    """(4e6, inf) -> '4000000:' (exact, JSON-safe, read back by :func:`_range`)."""
    return ":".join("" if math.isinf(b) else (str(int(b)) if float(b).is_integer() else repr(float(b))) for b in bounds)


def _frozen(value: Any, key: str) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v, key) for v in value)
    if value is None or isinstance(value, dict) or not isinstance(value, (bool, int, float, str)):
        raise _bad(key, value, "must be a number, a string, a boolean or a list of them")
    return value


def _thawed(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


def _close(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {match[0]!r}?)" if match else f" (known: {', '.join(choices)})"
