"""A neutral grid of styled cells, rendered as a rich table, plain text, CSV or Markdown.

Views build one grid; each format renders the same cells, so they carry the same numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rich.table import Table
from rich.text import Text

from pilkada_cli.render.text import inert

Cell = tuple[str, str]  # (text, rich style)


@dataclass
class Grid:
    """Headers, rows of cells, and which columns are right-aligned numbers."""

    headers: list[str]
    numeric: set[int] = field(default_factory=set)
    nowrap: set[int] = field(default_factory=set)  # columns a terminal table must not wrap
    rows: list[list[Cell]] = field(default_factory=list)
    title: str = ""
    caption: str = ""

    def add(self, *cells: str | Cell) -> None:
        """Add a row; a bare string is an unstyled cell."""
        self.rows.append([c if isinstance(c, tuple) else (c, "") for c in cells])


def to_rich(grid: Grid) -> Table:
    """A rich Table; every cell is inert Text (user text never becomes markup)."""
    table = Table(title=Text(inert(grid.title)) if grid.title else None,
                  caption=Text(inert(grid.caption)) if grid.caption else None,
                  header_style="bold", caption_justify="left", title_justify="left")
    for i, header in enumerate(grid.headers):
        table.add_column(header, justify="right" if i in grid.numeric else "left",
                         overflow="fold", no_wrap=i in grid.nowrap or i in grid.numeric)
    for row in grid.rows:
        table.add_row(*(Text(inert(text), style=style) for text, style in row))
    return table


def to_plain(grid: Grid) -> str:
    """Aligned columns separated by two spaces, no escape codes: for pipes, cron and grep."""
    table = [grid.headers, *([inert(text) for text, _style in row] for row in grid.rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(grid.headers))]
    lines = []
    if grid.title:
        lines.append(inert(grid.title))
    for r in table:
        cells = [c.rjust(w) if i in grid.numeric else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    if grid.caption:
        lines.append(inert(grid.caption))
    return "\n".join(lines) + "\n"


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas (OWASP CSV injection): a leading ' on risky text."""
    stripped = text.lstrip(" \t\r\n")
    if stripped[:1] in ("=", "+", "-", "@", "\t", "\r", "\x00") or text[:1] in ("\t", "\r"):
        if not _is_number(text):
            return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV text (RFC 4180 quoting, formula-neutralised text cells)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else csv_safe(v) if isinstance(v, str) else v
                         for v in row])
    return out.getvalue()


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#~!"})
# GFM and many chat apps turn scheme://, www. and name@host into links even without brackets.
_AUTOLINK = re.compile(r"(:)(?=\\?/\\?/)|(?<=[Ww]{3})(\.)|(@)")


@lru_cache(maxsize=8192)  # titles, owners, ids and dates repeat across thousands of rows
def md_escape(text: str) -> str:
    """User text made inert in Markdown: special characters escaped, lines joined, and no
    bare URL or address left for a viewer to turn into a link."""
    flat = " ".join(inert(text).split()).translate(_MD_SPECIAL)
    return _AUTOLINK.sub(lambda m: "\\" + m.group(), flat)


def to_markdown(grid: Grid) -> str:
    """A Markdown table that survives being pasted into chat or a wiki."""
    lines = []
    if grid.title:
        lines += [f"**{md_escape(grid.title)}**", ""]
    lines.append("| " + " | ".join(md_escape(h) for h in grid.headers) + " |")
    lines.append("|" + "|".join("---:" if i in grid.numeric else "---"
                                for i in range(len(grid.headers))) + "|")
    for row in grid.rows:
        lines.append("| " + " | ".join(md_escape(text) or " " for text, _s in row) + " |")
    if grid.caption:
        lines += ["", md_escape(grid.caption)]
    return "\n".join(lines) + "\n"
