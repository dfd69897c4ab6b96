"""A screen: what a terminal view shows, top to bottom, as lines of prose and tables.

Views (render/status.py, render/log.py, render/listings.py) build a ``Screen``; this module
lays it out for a terminal of a given width (tables fitted, prose packed without breaking a
name or a number), as plain text for pipes and cron (every column, nothing shortened), or as
Markdown. Renderers never print: they return text or rich ``Text`` lines.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from rich.cells import cell_len

from pilkada_cli.base.i18n import _
from pilkada_cli.render.table import (
    Grid,
    ellipsize,
    fit,
    md_escape,
    natural_widths,
    to_lines,
    to_markdown,
    to_plain,
)
from pilkada_cli.render.text import inert

if TYPE_CHECKING:  # (imported where lines are made for a terminal: plain text needs no Text)
    from rich.text import Text

T = TypeVar("T")
Piece = tuple[str, str]  # (text, rich style)
Part = tuple[Piece, ...]  # kept whole on one line (unless longer than a line)


def part(*pieces: str | Piece) -> Part:
    """A part of a paragraph from bare strings and (text, style) pieces."""
    return tuple(p if isinstance(p, tuple) else (p, "") for p in pieces)


@dataclass(frozen=True)
class Para:
    """A paragraph of parts joined by ``sep``; a line breaks only between parts (and inside
    a part only at spaces, when the part alone is wider than the line)."""

    parts: tuple[Part, ...]
    sep: str = " · "
    style: str = ""
    indent: int = 0
    hang: int = 2  # extra indent of continuation lines
    # When more than 0, the last part (a title) that does not fit on the line it would start
    # on starts the next line, shortened with "…" to that line only where it is longer than
    # a whole line: a wider terminal never shows less of it.
    shorten: int = 0

    @property
    def text(self) -> str:
        """The paragraph on one line, without styles."""
        return " " * self.indent + self.sep.join(["".join([t for t, _s in p])
                                                   for p in self.parts])


@dataclass(frozen=True)
class Table:
    """A grid in a screen; ``more`` says how many rows were left out (and how to see them);
    ``notes`` are shown under it while their column is (a legend)."""

    grid: Grid
    more: str = ""
    notes: dict[int, Para] = field(default_factory=dict)


Block = Para | Table | None  # None: an empty line


@dataclass
class Screen:
    """Blocks top to bottom."""

    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        """Append blocks."""
        self.blocks.extend(blocks)

    def line(self, *pieces: str | Piece, style: str = "", indent: int = 0) -> None:
        """Append a one-part paragraph."""
        self.blocks.append(Para((part(*pieces),), style=style, indent=indent))


def pack(para: Para, width: int) -> list[Text]:
    """A paragraph in lines no wider than ``width``."""
    from rich.text import Text

    lines: list[Text] = []
    line = Text(" " * para.indent, style=para.style)
    used = para.indent
    fresh = True
    for k, p in enumerate(para.parts):
        size = sum(cell_len(inert(t)) for t, _s in p)
        sep = 0 if fresh else cell_len(para.sep)
        if para.shorten and k == len(para.parts) - 1 and used + sep + size > width:
            p = _shortened(p, max(width - para.indent - para.hang, para.shorten))
            size = sum(cell_len(inert(t)) for t, _s in p)
        if not fresh and used + sep + size > width:
            lines.append(line)
            used = para.indent + para.hang
            line = Text(" " * used, style=para.style)
            fresh, sep = True, 0
        if sep:
            line.append(para.sep)
            used += sep
        if used + size <= width:
            for t, s in p:
                line.append(inert(t), s)
            used += size
        else:  # a part wider than a line: break it at spaces
            for t, s in p:
                for word in _words(inert(t)):
                    w = cell_len(word)
                    if used + w > width and used > para.indent + para.hang:
                        lines.append(line)
                        used = para.indent + para.hang
                        line = Text(" " * used, style=para.style)
                        word = word.lstrip()
                        w = cell_len(word)
                    line.append(word, s)
                    used += w
        fresh = False
    lines.append(line)
    for ln in lines:
        ln.rstrip()
    return lines


def _shortened(p: Part, room: int) -> Part:
    """A part in at most ``room`` cells, its text shortened with "…" at the end."""
    out: list[Piece] = []
    for t, s in p:
        text = inert(t)
        left = room - sum(cell_len(x) for x, _s in out)
        if cell_len(text) > left:
            out.append((ellipsize(text, max(left, 1)), s))
            break
        out.append((text, s))
    return tuple(out)


def _words(text: str) -> Iterable[str]:
    """Words with the space before them kept, so that joining them gives the text back."""
    start = 0
    for i in range(1, len(text)):
        if text[i] == " " and text[i - 1] != " ":
            yield text[start:i]
            start = i
    yield text[start:]


def table_or_stacked(entries: Sequence[T], width: int | None, lines: int | None,
                     table: Callable[[Sequence[T], int], Table],
                     stacked: Callable[[T], Sequence[Para]], more: Callable[[int], str],
                     heading: Para | None = None, per: int = 2, complete: bool = True,
                     whole: Collection[int] = ()) -> list[Para | Table]:
    """``entries`` as a table of at most ``lines`` rows (``table`` gets them and how many were
    left out), or each entry in its own few lines (``stacked``; about ``per`` each, so fewer
    of them), under ``heading``, with a dim line saying how many more there are (``more``).

    The table is used only where it shows what the stacked lines show, so that a wider
    window never shows less than a narrower one: every column (``complete``; else only the
    ones it never leaves out), the columns in ``whole`` (a reason, a note) not shortened."""
    shown = entries[:lines] if lines else entries
    whole_table = table(shown, len(entries) - len(shown))
    if width is None or shows_all(whole_table.grid, width, complete, whole):
        return [whole_table]
    shown = entries[:max(4, lines // per)] if lines else entries
    out: list[Para | Table] = [heading] if heading is not None else []
    for entry in shown:
        out += stacked(entry)
    if len(shown) < len(entries):
        out.append(Para((part(more(len(entries) - len(shown))),), style="dim", indent=2))
    return out


def shows_all(grid: Grid, width: int, complete: bool = True, whole: Collection[int] = ()
              ) -> bool:
    """Whether ``grid`` fits ``width`` leaving out no column (``complete``; else only the
    columns it may leave out) and shortening none of ``whole``."""
    fitted = fit(grid, width)
    if fitted.width > width or (complete and fitted.dropped):
        return False
    if not whole:
        return True
    natural = natural_widths(grid)
    return all(w >= natural[i] for i, w in zip(fitted.columns, fitted.widths, strict=True)
               if i in whole)


def dropped_line(headers: Sequence[str]) -> Para:
    """The one dim line naming the columns a narrow terminal left out."""
    return Para((part(_("Not shown at this width: {columns}; a wider window or --format "
                        "plain shows them.").format(columns=", ".join(headers))),),
                style="dim")


def to_terminal(screen: Screen, width: int) -> list[Text]:
    """Every block laid out for a terminal ``width`` cells wide."""
    from rich.text import Text

    out: list[Text] = []
    for block in screen.blocks:
        if block is None:
            out.append(Text())
        elif isinstance(block, Para):
            out += pack(block, width)
        else:
            fitted = fit(block.grid, width)
            out += to_lines(block.grid, width, fitted)
            if block.more:
                out += pack(Para((part(block.more),), style="dim"), width)
            for column, note in block.notes.items():
                if column in fitted.columns:
                    out += pack(note, width)
            if fitted.dropped:
                out += pack(dropped_line(fitted.dropped), width)
    return out


def to_text(screen: Screen) -> str:
    """Plain text for pipes, cron and grep: every column, nothing shortened, no escapes."""
    out: list[str] = []
    for block in screen.blocks:
        if block is None:
            out.append("")
        elif isinstance(block, Para):
            out.append(inert(block.text))
        else:
            out.append(to_plain(block.grid).rstrip("\n"))
            if block.more:
                out.append(inert(block.more))
            out += [inert(note.text) for note in block.notes.values()]
    return "\n".join(out) + "\n"


def to_md(screen: Screen) -> str:
    """Markdown: prose as lines (hard breaks), tables as pipe tables."""
    out: list[str] = []
    for block in screen.blocks:
        if block is None:
            out.append("")
        elif isinstance(block, Para):
            out.append(md_escape(block.text.strip()) + "  ")
        else:
            out += ["", to_markdown(block.grid).rstrip("\n"), ""]
            if block.more:
                out.append(md_escape(block.more) + "  ")
            out += [md_escape(note.text) + "  " for note in block.notes.values()]
    return "\n".join(out).strip("\n") + "\n"
