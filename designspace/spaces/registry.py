"""``SPACES``: the registry of design spaces (filled by the definition modules of this package)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from designspace.registry import Registry

if TYPE_CHECKING:  # pragma: no cover
    from designspace.spaces.base import DesignSpace

SPACES: Registry[DesignSpace] = Registry("design space")
