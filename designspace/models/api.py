"""The public model API: resolve a name or spec, build it, count its complexity."""

from __future__ import annotations

import json
from pathlib import Path

from torch import nn

from designspace.models import zoo
from designspace.models.network import Network, network_complexity
from designspace.specs import NetSpec
from designspace.ui import checks

SpecLike = NetSpec | str | dict


def resolve(spec_or_name: SpecLike) -> NetSpec:
    """A spec from a spec, a dict, a zoo name, or a path to a spec JSON file."""
    if isinstance(spec_or_name, NetSpec):
        return spec_or_name
    if isinstance(spec_or_name, dict):
        return NetSpec.from_dict(spec_or_name)
    if isinstance(spec_or_name, str):
        if spec_or_name in zoo.ZOO:
            return zoo.get(spec_or_name)
        if spec_or_name.endswith(".json") or Path(spec_or_name).is_file():
            path = Path(spec_or_name)
            if not path.is_file():
                raise ValueError(f"spec file {spec_or_name!r} does not exist")
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError as e:
                raise ValueError(f"spec file {spec_or_name!r} is not valid JSON: {e}") from None
            if isinstance(data, dict) and "spec" in data and "stem" not in data:
                data = data["spec"]  # a `describe --json` / `sample --json` record
            return NetSpec.from_dict(data)
        zoo.ZOO.get(spec_or_name)  # raises with close matches
    raise ValueError(f"cannot make a network spec from {spec_or_name!r}")


def default_resolution(spec_or_name: SpecLike) -> int:
    if isinstance(spec_or_name, str) and spec_or_name in zoo.ZOO:
        return zoo.resolution(spec_or_name)
    spec = resolve(spec_or_name)
    return 224 if spec.stem.kind in ("imagenet", "simple") or spec.head.kind == "vgg" else 32


def build_model(spec_or_name: SpecLike, num_classes: int | None = None, in_channels: int | None = None) -> nn.Module:
    """An ``nn.Module`` for a spec or zoo name (optionally with another class/input count)."""
    spec = resolve(spec_or_name)
    if num_classes is not None:
        spec = spec.with_num_classes(num_classes)
    if in_channels is not None:
        spec = spec.with_in_channels(in_channels)
    return Network(spec)


def complexity(spec_or_name: SpecLike, resolution: int = 224) -> dict[str, int]:
    """``{"flops", "params", "acts"}`` computed analytically (no torch modules are built)."""
    checks.integer("resolution", resolution, low=1)
    return network_complexity(resolve(spec_or_name), resolution)
