"""Network specs: the one description of a network.

A :class:`NetSpec` is a stem, a tuple of :class:`StageSpec` and a head. Specs are frozen,
hashable and round-trip exactly through JSON (``to_dict``/``from_dict``). Change them with
``dataclasses.replace``. Invalid values raise ``ValueError`` naming the field and value.

Conventions (Radosavovic et al. 2019/2020):

* ``width`` w is a stage's output width; ``bottleneck`` b is the bottleneck *ratio*, so the
  bottleneck width is ``w / b`` (b = 4 is ResNet-50's, b = 1 is RegNet's).
* ``group_width`` g is the channels per group of the 3x3 conv: groups = (w / b) / g. ``0``
  means one group (a dense conv), which is the same as g = w / b.
* ``se`` is the squeeze-excitation ratio relative to the block's input width (0 = off).
* Blocks ignore fields that do not apply to them.
* The classic-network fields (``kernel``, ``padding``, ``activation``, ``branches``, ``pool_size``,
  head ``activation``/``bn``) are left out of ``to_dict`` while they hold their default, so a spec
  that does not use them has the same JSON (and hash of it) as before those fields existed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any

from designspace.parts import PART_NAMES
from designspace.ui import checks
from designspace.ui.messages import unknown_name_message

__all__ = ["StemSpec", "StageSpec", "HeadSpec", "NetSpec"]


def _fail(field_name: str, value: object, why: str) -> None:
    raise checks.fail(field_name, value, why)


def _int(obj: object, name: str, *, minimum: int | None = None) -> None:
    checks.integer(name, getattr(obj, name), low=minimum)


def _float(obj: object, name: str, *, minimum: float | None = None, positive: bool = False) -> None:
    value = getattr(obj, name)
    object.__setattr__(obj, name, checks.number(name, value))
    if positive and value <= 0:
        _fail(name, value, "must be positive")
    if minimum is not None:
        checks.number(name, value, low=minimum)


def _optional_int(obj: object, name: str, *, minimum: int) -> None:
    value = getattr(obj, name)
    if value is not None:
        _int(obj, name, minimum=minimum)


def _omit_default(default: Any) -> Any:
    """A field left out of ``to_dict`` while it holds ``default`` (see the module docstring)."""
    return field(default=default, metadata={"omit_default": True})


#: per spec class: (name, omitted when equal to its default, default) of each field (hot: records)
_FIELDS: dict[type, tuple[tuple[str, bool, Any], ...]] = {}


def _as_dict(obj: Any) -> dict[str, Any]:
    layout = _FIELDS.get(type(obj))
    if layout is None:
        layout = _FIELDS[type(obj)] = tuple(
            (f.name, bool(f.metadata.get("omit_default")), f.default) for f in fields(obj)
        )
    d = {}
    for name, omit, default in layout:
        value = getattr(obj, name)
        if omit and value == default:
            continue
        d[name] = list(value) if isinstance(value, tuple) else value
    return d


def _known(kind: str, name: str, value: object) -> None:
    if not isinstance(value, str):
        _fail(name, value, "must be a string")
    if value not in PART_NAMES[kind]:
        raise ValueError(f"{name}={value!r}: " + unknown_name_message(kind, value, PART_NAMES[kind]))


@dataclass(frozen=True)
class StemSpec:
    """The stem: ``kind`` names a registered stem; ``width`` is its output width."""

    kind: str = "simple"
    width: int = 32
    in_channels: int = 3

    def __post_init__(self) -> None:
        _known("stem", "kind", self.kind)
        _int(self, "width", minimum=1)
        _int(self, "in_channels", minimum=1)


@dataclass(frozen=True)
class StageSpec:
    """One stage: ``depth`` blocks of kind ``block``; the first one applies ``stride``.

    Fields of the classic blocks (``conv``, ``nin``, ``inception``, ``maxpool``, ``avgpool``),
    ignored by the others: ``kernel`` is the main kernel size (``None``: the block's default),
    ``padding`` the padding of that conv/pool (``None``: ``(kernel - 1) // 2``), ``activation``
    a registered activation, and ``branches`` the six widths of an inception module
    (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj; empty: derived from width/bottleneck).
    """

    block: str
    depth: int
    width: int
    stride: int = 1
    bottleneck: float = 1.0
    group_width: int = 0
    se: float = 0.0
    bn: bool = True
    kernel: int | None = _omit_default(None)
    padding: int | None = _omit_default(None)
    activation: str = _omit_default("relu")
    branches: tuple[int, ...] = _omit_default(())

    def __post_init__(self) -> None:
        _known("block", "block", self.block)
        _int(self, "depth", minimum=1)
        if self.width is None or isinstance(self.width, bool) or not isinstance(self.width, int):
            _fail("width", self.width, "must be an integer")
        if self.width < 1:
            _fail("width", self.width, "must be positive")
        _int(self, "stride", minimum=1)
        _float(self, "bottleneck", positive=True)
        _int(self, "group_width", minimum=0)
        _float(self, "se", minimum=0.0)
        checks.flag("bn", self.bn)
        wb = self.width / self.bottleneck
        if abs(wb - round(wb)) > 1e-9 or round(wb) < 1:
            _fail("bottleneck", self.bottleneck, f"width {self.width} / bottleneck is not a positive integer")
        if self.group_width and self.bottleneck_width % self.group_width:
            _fail(
                "group_width",
                self.group_width,
                f"does not divide the bottleneck width {self.bottleneck_width}",
            )
        _optional_int(self, "kernel", minimum=1)
        _optional_int(self, "padding", minimum=0)
        _known("activation", "activation", self.activation)
        branches = self.branches
        if not isinstance(branches, (list, tuple)) or any(
            isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in branches
        ):
            _fail("branches", branches, "must be a list of positive widths")
        branches = tuple(branches)
        object.__setattr__(self, "branches", branches)
        if branches and (len(branches) != 6 or sum(branches[i] for i in (0, 2, 4, 5)) != self.width):
            _fail(
                "branches",
                list(branches),
                f"must be six widths (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) whose outputs "
                f"(1st, 3rd, 5th, 6th) add up to width {self.width}",
            )

    @property
    def bottleneck_width(self) -> int:
        """w / b, the width of the 3x3 conv of a bottleneck block."""
        return int(round(self.width / self.bottleneck))

    @property
    def groups(self) -> int:
        """Number of groups of the 3x3 conv (1 when ``group_width`` is 0)."""
        return self.bottleneck_width // self.group_width if self.group_width else 1


@dataclass(frozen=True)
class HeadSpec:
    """The head: ``kind`` names a registered head (``linear``: global pool + linear).

    ``hidden`` widths make an MLP: Linear -> (BatchNorm if ``bn``) -> ``activation`` -> (Dropout)
    per hidden width; with no hidden layer, ``dropout`` applies to the classifier's input.
    ``pool_size`` is the side of the adaptive average pool of the ``flatten`` head.
    """

    kind: str = "linear"
    num_classes: int = 10
    hidden: tuple[int, ...] = ()
    dropout: float = 0.0
    pool_size: int = _omit_default(1)
    activation: str = _omit_default("relu")
    bn: bool = _omit_default(False)

    def __post_init__(self) -> None:
        _known("head", "kind", self.kind)
        _int(self, "num_classes", minimum=1)
        hidden = self.hidden
        if not isinstance(hidden, (list, tuple)):
            _fail("hidden", hidden, "must be a list of widths")
        for h in hidden:
            if isinstance(h, bool) or not isinstance(h, int) or h < 1:
                _fail("hidden", hidden, "widths must be positive integers")
        object.__setattr__(self, "hidden", tuple(hidden))
        _float(self, "dropout", minimum=0.0)
        if self.dropout >= 1:
            _fail("dropout", self.dropout, "must be < 1")
        _int(self, "pool_size", minimum=1)
        _known("activation", "activation", self.activation)
        checks.flag("bn", self.bn)


@dataclass(frozen=True)
class NetSpec:
    """A whole network: stem -> stages -> head."""

    stem: StemSpec
    stages: tuple[StageSpec, ...]
    head: HeadSpec = field(default_factory=HeadSpec)

    def __post_init__(self) -> None:
        if not isinstance(self.stem, StemSpec):
            _fail("stem", self.stem, "must be a StemSpec")
        if not isinstance(self.head, HeadSpec):
            _fail("head", self.head, "must be a HeadSpec")
        if not isinstance(self.stages, (list, tuple)):
            _fail("stages", self.stages, "must be a list of StageSpec")
        stages = tuple(self.stages)
        if not stages:
            _fail("stages", stages, "a network needs at least one stage")
        for s in stages:
            if not isinstance(s, StageSpec):
                _fail("stages", s, "must be StageSpec objects")
        object.__setattr__(self, "stages", stages)

    # -- (de)serialization --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "stem": _as_dict(self.stem),
            "stages": [_as_dict(s) for s in self.stages],
            "head": _as_dict(self.head),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: Any) -> NetSpec:
        if not isinstance(data, dict):
            _fail("spec", data, "must be a JSON object")
        _check_keys("spec", data, {f.name for f in fields(cls)}, required={"stem", "stages"})
        stem = _from_fields(StemSpec, "stem", data["stem"])
        if not isinstance(data["stages"], list):
            _fail("stages", data["stages"], "must be a list")
        stages = tuple(_from_fields(StageSpec, f"stages[{i}]", s) for i, s in enumerate(data["stages"]))
        head = _from_fields(HeadSpec, "head", data.get("head", {}))
        return cls(stem=stem, stages=stages, head=head)

    @classmethod
    def from_json(cls, text: str) -> NetSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"spec is not valid JSON: {e}") from None
        return cls.from_dict(data)

    # -- conveniences -------------------------------------------------------------------
    @property
    def depths(self) -> tuple[int, ...]:
        return tuple(s.depth for s in self.stages)

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(s.width for s in self.stages)

    def with_num_classes(self, num_classes: int) -> NetSpec:
        return replace(self, head=replace(self.head, num_classes=num_classes))

    def with_in_channels(self, in_channels: int) -> NetSpec:
        stem = self.stem
        width = in_channels if stem.kind == "none" else stem.width
        return replace(self, stem=replace(stem, in_channels=in_channels, width=width))


def _check_keys(where: str, data: dict[str, Any], allowed: set[str], required: set[str] = frozenset()) -> None:
    checks.keys(where, data, allowed, sorted(required))


def _from_fields(cls: type, where: str, data: Any) -> Any:
    if not isinstance(data, dict):
        _fail(where, data, "must be a JSON object")
    _check_keys(where, data, {f.name for f in fields(cls) if f.init})
    try:
        return cls(**data)
    except TypeError as e:  # a missing required field
        raise ValueError(f"{where}: {e}") from None
    except ValueError as e:
        raise ValueError(f"{where}.{e}" if not str(e).startswith(where) else str(e)) from None
