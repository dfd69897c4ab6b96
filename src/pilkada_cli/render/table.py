"""A neutral grid of styled cells, rendered as a rich table, plain text, CSV or Markdown, and
fitted to a terminal's width.

Views build one grid; each format renders the same cells, so they carry the same numbers. On a
terminal (``fit``) a grid that is too wide first shortens the columns that may be shortened
(long titles, notes: with "…") and then leaves out whole columns, least important first: a
region's code and name, a level word and a number are never wrapped, squeezed or cut.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size

from pilkada_cli.render.text import inert

if TYPE_CHECKING:  # (imported where a terminal's lines are made: plain text and CSV need neither)
    from rich.table import Table
    from rich.text import Text

GAP = 2  # spaces between the columns of a fitted table


@dataclass(frozen=True)
class Spans:
    """A cell of several styled pieces (the stage strip): one text, several colours."""

    parts: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        """The cell's text without its styles."""
        return "".join(text for text, _style in self.parts)


Cell = tuple[str, str]  # (text, rich style)


@dataclass
class Grid:
    """Headers, rows of cells, and which columns are right-aligned numbers.

    For a terminal, ``priority`` ranks columns (0, the default: never left out; higher: left
    out sooner) and ``shrink`` gives the narrowest a column may be shortened to with "…".
    A header may have two lines ("Overdue\n(critical)")."""

    headers: list[str]
    numeric: set[int] = field(default_factory=set)
    nowrap: set[int] = field(default_factory=set)  # columns a terminal table must not wrap
    rows: list[list[Cell]] = field(default_factory=list)
    title: str = ""
    caption: str = ""
    priority: dict[int, int] = field(default_factory=dict)
    shrink: dict[int, int] = field(default_factory=dict)
    spans: dict[tuple[int, int], Spans] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)  # a column's name where not its header
    # A shrinkable column listed here is shortened only once every column less important than
    # this priority has been left out (an id is worth more whole than a title beside it).
    gate: dict[int, int] = field(default_factory=dict)
    # A shorter text for a cell (a stage's short name), shown in place of its text cut with
    # "…" where the terminal makes its column too narrow for the whole text.
    alt: dict[tuple[int, int], str] = field(default_factory=dict)
    # Columns leave strictly by priority: a narrow column does not come back in place of a
    # more important one that was left out (an owner is no use without the due date).
    ordered: bool = False

    def add(self, *cells: str | Cell | Spans) -> None:
        """Add a row; a bare string is an unstyled cell."""
        row: list[Cell] = []
        for i, c in enumerate(cells):
            if isinstance(c, Spans):
                self.spans[(len(self.rows), i)] = c
                row.append((c.text, ""))
            else:
                row.append(c if isinstance(c, tuple) else (c, ""))
        self.rows.append(row)


def header_text(header: str) -> str:
    """A header on one line (plain text, CSV, Markdown)."""
    return " ".join(header.split())


@dataclass(frozen=True)
class Fitted:
    """Which columns a terminal shows, how wide each is, and which were left out."""

    columns: tuple[int, ...]
    widths: tuple[int, ...]
    dropped: tuple[str, ...]

    @property
    def width(self) -> int:
        """The cells a row takes: wider than the terminal when the columns that are never
        left out do not fit side by side."""
        return sum(self.widths) + GAP * (len(self.widths) - 1)


def natural_widths(grid: Grid) -> list[int]:
    """The width each column needs to show every cell and its header whole."""
    widths = [max(cell_len(line) for line in h.split("\n")) for h in grid.headers]
    for row in grid.rows:
        for i, (text, _style) in enumerate(row):
            widths[i] = max(widths[i], cell_len(inert(text)))
    return widths


def fit(grid: Grid, width: int, natural: Sequence[int] | None = None,
        filled: set[int] | None = None) -> Fitted:
    """The columns and widths that fit ``width``: shrinkable columns are shortened first, then
    whole columns are left out, the highest ``priority`` first (the rightmost among equals).
    A column with nothing in any row is left out before every column with content is
    shortened or left out, is shown only where every column fits whole, and is not named as
    left out (nothing of it is missing).
    A wider terminal never shows fewer columns: a column is shown only where it is also
    shown at every greater width (a narrow column that comes back in the room of a wide one
    left out would otherwise go again when the wide one fits).
    ``natural`` and ``filled`` (the columns with more than blanks in some row): what the rows
    of a grid laid out before its rows are known would give (render/logstream.py streams
    them)."""
    natural = natural_widths(grid) if natural is None else natural
    empty = {i for i in grid.priority if grid.priority[i] > 0
             and (i not in filled if filled is not None
                  else not any(row[i][0].strip() for row in grid.rows))}
    full = sum(natural) + GAP * (len(natural) - 1)
    kept = set(_kept(grid, width, natural, empty))
    must = {i for i in range(len(natural)) if grid.priority.get(i, 0) <= 0}
    for wider in range(width + 1, full):
        if kept <= must:
            break
        kept &= set(_kept(grid, wider, natural, empty))
    columns = sorted(kept)
    widths = _squeeze(grid, columns, natural, width) or [natural[i] for i in columns]
    return Fitted(tuple(columns), tuple(widths),
                  tuple(grid.names.get(i) or header_text(grid.headers[i])
                        for i in range(len(natural)) if i not in kept and i not in empty))


def _kept(grid: Grid, width: int, natural: Sequence[int], empty: set[int]) -> list[int]:
    """The columns shown at ``width`` alone (see ``fit``)."""

    def rank(i: int) -> tuple[bool, int, int]:
        return (i in empty, grid.priority[i], i)

    kept = list(range(len(grid.headers)))
    dropped: list[int] = []
    if sum(natural) + GAP * (len(natural) - 1) > width:
        # an empty column goes before any column with content is shortened or left out
        dropped = [i for i in kept if i in empty]
        kept = [i for i in kept if i not in empty]
    while True:
        widths = _squeeze(grid, kept, natural, width)
        if widths is not None or len(kept) == 1:
            break
        droppable = [i for i in kept if grid.priority.get(i, 0) > 0]
        if not droppable:  # only must-keep columns left: show them whole, even if too wide
            break
        worst = max(droppable, key=rank)
        kept.remove(worst)
        dropped.append(worst)
    # A narrow column left out early may fit again once a wider one has gone.
    for i in sorted(dropped, key=rank):
        if i in empty:
            continue  # an empty column only where every column fits whole
        trial = sorted([*kept, i])
        again = _squeeze(grid, trial, natural, width)
        if again is None and grid.ordered:
            break
        if again is not None:
            kept = trial
            dropped.remove(i)
    return kept


def _squeeze(grid: Grid, kept: Sequence[int], natural: Sequence[int],
             width: int) -> list[int] | None:
    """Widths of ``kept`` within ``width``, shortening shrinkable columns as little as needed,
    the least important first; None if even their narrowest does not fit."""
    room = width - GAP * (len(kept) - 1)
    widths = {i: natural[i] for i in kept}
    excess = sum(widths.values()) - room
    least = max(grid.priority.get(i, 0) for i in kept)
    flexible = sorted((i for i in kept if i in grid.shrink and grid.gate.get(i, least) >= least),
                      key=lambda i: (-grid.priority.get(i, 0), -i))
    for i in flexible:
        if excess <= 0:
            break
        floor = min(natural[i], max(grid.shrink[i], _header_floor(grid, i)))
        cut = min(excess, natural[i] - floor)
        widths[i] -= cut
        excess -= cut
    if excess > 0:
        return None
    return [widths[i] for i in kept]


def _header_floor(grid: Grid, i: int) -> int:
    return max(cell_len(word) for word in grid.headers[i].split())


def ellipsize(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, ending in "…" when it had to be shortened."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return set_cell_size(text, width - 1).rstrip() + "…"


def to_lines(grid: Grid, width: int, fitted: Fitted | None = None) -> list[Text]:
    """The grid as terminal lines no wider than ``width``: a bold header (one or two lines),
    a dim rule, then the rows; every cell inert text in its style."""
    fitted = fitted or fit(grid, width)
    out = head_lines(grid, fitted)
    for r, row in enumerate(grid.rows):
        out.append(row_line(grid, fitted, r, row))
    return out


def head_lines(grid: Grid, fitted: Fitted) -> list[Text]:
    """A fitted grid's bold header (one or two lines) and its dim rule."""
    from rich.text import Text

    cols, widths = fitted.columns, fitted.widths
    depth = max(len(grid.headers[i].split("\n")) for i in cols)
    out: list[Text] = []
    for n in range(depth):
        line = Text(style="bold")
        for k, (i, w) in enumerate(zip(cols, widths, strict=True)):
            parts = grid.headers[i].split("\n")
            part = parts[n - (depth - len(parts))] if n >= depth - len(parts) else ""
            _append(line, ellipsize(part, w), "", w, i in grid.numeric, k == 0)
        out.append(_trim(line))
    rule = Text(style="dim")
    for k, w in enumerate(widths):
        rule.append((" " * GAP if k else "") + "─" * w)
    out.append(rule)
    return out


def row_line(grid: Grid, fitted: Fitted, r: int, row: Sequence[Cell]) -> Text:
    """Row ``r`` of a fitted grid (``row``: its cells) as one terminal line."""
    from rich.text import Text

    line = Text()
    for k, (i, w) in enumerate(zip(fitted.columns, fitted.widths, strict=True)):
        spans = grid.spans.get((r, i))
        if spans is not None:
            if k:
                line.append(" " * GAP)
            used = 0
            for text, style in spans.parts:
                piece = set_cell_size(inert(text), max(0, min(cell_len(text), w - used)))
                line.append(piece, style)
                used += cell_len(piece)
            line.append(" " * (w - used))
            continue
        text, style = row[i]
        if cell_len(inert(text)) > w and (r, i) in grid.alt:
            text = grid.alt[(r, i)]
        _append(line, ellipsize(inert(text), w), style, w, i in grid.numeric, k == 0)
    return _trim(line)


def _append(line: Text, text: str, style: str, width: int, right: bool, first: bool) -> None:
    if not first:
        line.append(" " * GAP)
    pad = " " * (width - cell_len(text))
    if right:
        line.append(pad)
        line.append(text, style)
    else:
        line.append(text, style)
        line.append(pad)


def _trim(line: Text) -> Text:
    line.rstrip()
    return line


def to_rich(grid: Grid) -> Table:
    """A rich Table; every cell is inert Text (user text never becomes markup)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(inert(grid.title)) if grid.title else None,
                  caption=Text(inert(grid.caption)) if grid.caption else None,
                  header_style="bold", caption_justify="left", title_justify="left")
    for i, header in enumerate(grid.headers):
        table.add_column(header_text(header), justify="right" if i in grid.numeric else "left",
                         overflow="fold", no_wrap=i in grid.nowrap or i in grid.numeric)
    for row in grid.rows:
        table.add_row(*(Text(inert(text), style=style) for text, style in row))
    return table


def to_plain(grid: Grid) -> str:
    """Aligned columns separated by two spaces, no escape codes: for pipes, cron and grep.
    (Tens of thousands of rows at national scale: made column by column, each distinct cell
    made inert and padded once.)"""
    columns = []
    for i, header in enumerate(grid.headers):
        texts = [header_text(header), *map(itemgetter(0), map(itemgetter(i), grid.rows))]
        safe = {text: inert(text) for text in set(texts)}
        columns.append(list(map(safe.__getitem__, texts)))
    padded = []
    for i, column in enumerate(columns):
        width = max(map(len, column))
        pad = str.rjust if i in grid.numeric else str.ljust
        cells = {text: pad(text, width) for text in set(column)}
        padded.append(map(cells.__getitem__, column))
    lines = [inert(grid.title)] if grid.title else []
    lines += map(str.rstrip, map("  ".join, zip(*padded, strict=True)))
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


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text (RFC 4180 quoting, formula-neutralised text cells)."""
    return "".join(csv_lines(headers, rows))


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """``to_csv`` a piece at a time (the header, then every few rows), for a stream."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for n, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else csv_safe(v) if isinstance(v, str) else v
                         for v in row])
        if n % 256 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


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
    lines.append("| " + " | ".join(md_escape(header_text(h)) for h in grid.headers) + " |")
    lines.append("|" + "|".join("---:" if i in grid.numeric else "---"
                                for i in range(len(grid.headers))) + "|")
    for row in grid.rows:
        lines.append("| " + " | ".join(md_escape(text) or " " for text, _s in row) + " |")
    if grid.caption:
        lines += ["", md_escape(grid.caption)]
    return "\n".join(lines) + "\n"
