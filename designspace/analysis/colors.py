"""A deterministic design space -> color mapping shared by every plot.

The paper's spaces have fixed colors; any other space name gets a color from a hash of its
normalized name (lowercase letters and digits), so a space has the same color in every report.
If two spaces of one report would share a color, the later one (by name) takes the next free
color of the palette, in that report only. Populations of the same space are told apart by
line style (:data:`LINE_STYLES`) and marker.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

__all__ = ["FIXED", "LINE_STYLES", "MARKERS", "PALETTE", "color_map", "space_color", "space_key"]

#: colorblind-friendly-ish categorical palette (matplotlib tab10 then tab20's darker extras)
PALETTE = (
    "#1f77b4",  # blue
    "#ff7f0e",  # orange
    "#2ca02c",  # green
    "#d62728",  # red
    "#9467bd",  # purple
    "#8c564b",  # brown
    "#e377c2",  # pink
    "#7f7f7f",  # gray
    "#bcbd22",  # olive
    "#17becf",  # cyan
    "#393b79",  # indigo
    "#637939",  # moss
    "#8c6d31",  # ochre
    "#843c39",  # maroon
    "#7b4173",  # plum
    "#3182bd",  # mid blue
)

#: fixed colors of the spaces of Radosavovic et al. (keys as :func:`space_key` writes them)
FIXED = {
    "anynetxa": PALETTE[0],
    "anynetxb": PALETTE[1],
    "anynetxc": PALETTE[2],
    "anynetxd": PALETTE[3],
    "anynetxe": PALETTE[4],
    "regnetx": PALETTE[5],
    "regnety": PALETTE[6],
    "regnet": PALETTE[10],
    "vanilla": PALETTE[7],
    "resnet": PALETTE[8],
    "resnext": PALETTE[9],
}

LINE_STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D")


def space_key(space: str) -> str:
    """``"AnyNetX_A"`` and ``"anynetx-a"`` are the same space: lowercase letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(space).lower())


def space_color(space: str) -> str:
    """The color of ``space`` on its own (fixed for the paper's spaces, else hashed)."""
    key = space_key(space)
    if key in FIXED:
        return FIXED[key]
    return PALETTE[zlib.crc32(key.encode()) % len(PALETTE)]


def color_map(spaces: Iterable[str]) -> dict[str, str]:
    """Colors for the spaces of one report: :func:`space_color`, with clashes moved to a free color."""
    names = sorted({str(s) for s in spaces}, key=lambda s: (space_key(s) not in FIXED, space_key(s), s))
    by_key: dict[str, str] = {}
    used: set[str] = set()
    out = {}
    for name in names:
        key = space_key(name)
        if key not in by_key:
            color = space_color(name)
            if color in used:
                start = PALETTE.index(color)
                free = [PALETTE[(start + i) % len(PALETTE)] for i in range(1, len(PALETTE))]
                color = next((c for c in free if c not in used), color)
            by_key[key] = color
            used.add(color)
        out[name] = by_key[key]
    return out
