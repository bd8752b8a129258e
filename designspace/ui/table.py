"""Aligned plain-text tables (what the commands print)."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence

GAP = "  "


def format_table(rows: Sequence[Sequence[str]], *, right: Container[int] = (), rules: Iterable[int] = (0,)) -> str:
    """``rows`` of cells as lines: each column as wide as its widest cell, columns two spaces apart,
    left-aligned unless the column's index is in ``right``; a rule of dashes under each row whose index is
    in ``rules`` (the header, by default); no trailing spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = GAP.join("-" * w for w in widths)
    after = set(rules)
    lines = []
    for i, row in enumerate(rows):
        cells = (c.rjust(w) if j in right else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths)))
        lines.append(GAP.join(cells).rstrip())
        if i in after:
            lines.append(rule)
    return "\n".join(lines)
