"""designspace: network design-space research (AnyNet/RegNet populations, EDF analysis)."""

from designspace.models import zoo
from designspace.models.api import build_model, complexity, resolve
from designspace.models.regnet import fit_regnet, regnet
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec

__version__ = "0.1.0"

__all__ = [
    "HeadSpec",
    "NetSpec",
    "StageSpec",
    "StemSpec",
    "build_model",
    "complexity",
    "fit_regnet",
    "regnet",
    "resolve",
    "zoo",
    "__version__",
]
