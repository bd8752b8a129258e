"""designspace: network design-space research (AnyNet/RegNet populations, EDF analysis).

``import designspace`` is cheap: the names below (and the subpackages ``analysis``, ``data``,
``models``, ``spaces``, ``study``, ``train``) are imported on first use, so the command line's
help and a worker process's start do not pay for torch, scipy or matplotlib until they need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "HeadSpec": "designspace.specs",
    "NetSpec": "designspace.specs",
    "StageSpec": "designspace.specs",
    "StemSpec": "designspace.specs",
    "build_model": "designspace.models.api",
    "complexity": "designspace.models.api",
    "resolve": "designspace.models.api",
    "fit_regnet": "designspace.models.regnet",
    "regnet": "designspace.models.regnet",
    "load": "designspace.study.load",
}
_SUBPACKAGES = ("analysis", "data", "models", "spaces", "study", "train", "zoo")

__all__ = [
    "HeadSpec",
    "NetSpec",
    "StageSpec",
    "StemSpec",
    "build_model",
    "complexity",
    "fit_regnet",
    "load",
    "regnet",
    "resolve",
    "zoo",
    "__version__",
]

if TYPE_CHECKING:  # what type checkers and IDEs see
    from designspace import analysis, data, models, spaces, study, train  # noqa: F401
    from designspace.models import zoo
    from designspace.models.api import build_model, complexity, resolve
    from designspace.models.regnet import fit_regnet, regnet
    from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec
    from designspace.study.load import load


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name == "zoo":
        value = importlib.import_module("designspace.models.zoo")
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"designspace.{name}")
    else:
        raise AttributeError(f"module 'designspace' has no attribute {name!r}")
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBPACKAGES})
