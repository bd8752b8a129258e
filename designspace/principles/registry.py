"""``PRINCIPLES``: the registry of design principles (filled by the definition modules of this package)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from designspace.registry import Registry

if TYPE_CHECKING:  # pragma: no cover
    from designspace.principles.base import Principle

PRINCIPLES: Registry[Principle] = Registry("design principle")
