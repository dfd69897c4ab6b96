"""``pilkada due`` as plain text (pipes, cron, ``--format plain``), made region by region.

The text is ``screen.to_text(status.due_screen(...))`` (a test holds them equal), assembled
from one ``Piece`` per region: its blocked lines and its table rows already rendered, each with
its place in the list as one number. The derived cache keeps the pieces per region
(cache/duetext.py), so after one recorded event ``due`` renders one region again and sorts
and joins the nation's ~70 k lines, instead of building and rendering every row
(docs/performance.md).

A piece's rows are padded to the widths of the whole list (``list_widths``): a region whose
cells change those widths makes every piece be padded again (made afresh)."""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from pilkada_cli.base.i18n import _
from pilkada_cli.domain.duelist import DAYS, DuePick
from pilkada_cli.domain.views import due_counts, tally_of
from pilkada_cli.render.screen import Para, Screen, part, to_text
from pilkada_cli.render.status import (
    banner,
    blocked_paras,
    critical_legend,
    due_heading,
    due_order,
    due_tally_para,
    items_due_grid,
    nothing_due,
    title_line,
    unreported_para,
)
from pilkada_cli.render.table import header_text
from pilkada_cli.render.text import inert

if TYPE_CHECKING:
    from pilkada_cli.domain.duelist import DueEntry, OpenPair
    from pilkada_cli.domain.readiness import Readiness
    from pilkada_cli.domain.regions import Region

SEP = "\x00"  # joins a piece's lines: inert() shows a NUL as "\\x00", so no line holds one
COUNTS = 6  # overdue, critical overdue, due soon, blocked, critical blocked, critical rows


class Piece:
    """One region's part of the list: its rows (``lines`` padded, or ``cells`` not yet) with
    their keys, its blocked lines with theirs, the widths of its cells, its counts."""

    __slots__ = ("lines", "cells", "keys", "widths", "blocked", "bkeys", "counts",
                 "conflicts")

    def __init__(self, lines: str | None, cells: list[list[str]] | None, keys: array[int],
                 widths: tuple[int, ...], blocked: str, bkeys: array[int],
                 counts: tuple[int, ...], conflicts: bool) -> None:
        self.lines, self.cells, self.keys, self.widths = lines, cells, keys, widths
        self.blocked, self.bkeys, self.counts, self.conflicts = blocked, bkeys, counts, conflicts

    def stored(self) -> tuple[object, ...]:
        """The piece as plain data (padded) for the cache."""
        return (self.lines, self.keys, self.widths, self.blocked, self.bkeys, self.counts,
                self.conflicts)

    @classmethod
    def from_stored(cls, data: object) -> Piece | None:
        """A stored piece, or None if it is not one (a damaged entry)."""
        if type(data) is not tuple or len(data) != 7:
            return None
        lines, keys, widths, blocked, bkeys, counts, conflicts = data
        if not (type(lines) is str and type(keys) is array and type(widths) is tuple
                and len(widths) == _columns() and all(type(w) is int for w in widths)
                and type(blocked) is str and type(bkeys) is array and type(counts) is tuple
                and len(counts) == COUNTS and type(conflicts) is bool):
            return None
        return cls(lines, None, keys, widths, blocked, bkeys, counts, conflicts)


@cache
def _columns() -> int:
    return len(headers())


def headers() -> list[str]:
    """The table's header cells, as the plain table shows them."""
    return [inert(header_text(h)) for h in items_due_grid([], {}).headers]


def make_piece(r: Readiness, pick: DuePick, code: str, block: Sequence[OpenPair]) -> Piece:
    """Region ``code``'s piece from its open pairs (``views.open_pairs``), not yet padded."""
    entries: list[DueEntry] = []
    keys: list[int] = []
    pick.region(code, block, entries, keys)
    names: dict[str, Region] = {code: r.region(code)}
    blocked = [i for i, st in enumerate(entries) if st.status == "blocked"]
    rows = [i for i, st in enumerate(entries) if st.status != "blocked"]
    # blocked: by (not critical, most days late, region), ties in the list's order (the key,
    # then the region's own order): the region is added when the list is put together
    ranked = sorted(blocked, key=lambda i: (keys[i], i))
    rank = {i: n for n, i in enumerate(ranked)}
    bkeys = array("q", [(not entries[i].item.critical) << 62
                        | (DAYS - entries[i].days_late) << 40 | rank[i] for i in blocked])
    btext = SEP.join(inert(p.text) for p in blocked_paras([entries[i] for i in blocked], names))
    grid = items_due_grid([entries[i] for i in rows], names)
    cells = [[inert(text) for text, _style in row] for row in grid.rows]
    widths = tuple(max((len(row[c]) for row in cells), default=0)
                   for c in range(len(grid.headers)))
    # the tally's counts (views.due_counts), and whether a table row is critical (the legend)
    counts = (*due_counts(r, entries, pick.within).get(code, [0] * 5),
              int(any(entries[i].item.critical for i in rows)))
    return Piece(None, cells, array("q", [keys[i] for i in rows]), widths, btext, bkeys,
                 counts, any(st.conflict for st in entries))


def list_widths(pieces: Mapping[str, Piece], codes: Sequence[str]) -> tuple[int, ...]:
    """The widths of the table's columns: its header and every row of ``codes``."""
    out = [len(h) for h in headers()]
    for code in codes:
        for c, w in enumerate(pieces[code].widths):
            if w > out[c]:
                out[c] = w
    return tuple(out)


def pad(piece: Piece, widths: Sequence[int]) -> None:
    """Make a piece's row lines, padded to ``widths`` (as ``table.to_plain`` pads them)."""
    if piece.cells is not None:
        piece.lines = SEP.join(_line(row, widths) for row in piece.cells)
        piece.cells = None


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(text.ljust(w) for text, w in zip(cells, widths, strict=True)).rstrip()


def due_text(r: Readiness, target: Region, pieces: Mapping[str, Piece], codes: Sequence[str],
             widths: Sequence[int], silent: Sequence[Region], within: int, sample: bool,
             overdue_only: bool = False) -> str:
    """The plain text of ``due`` for ``target``'s subtree from the padded pieces of
    ``codes`` (its regions that reported something, in code order)."""
    tally = tally_of(r, {code: pieces[code].counts for code in codes}, target.code)
    d = r.results[target.code].d
    head = Screen()
    head.add(*banner(sample), title_line(r, target, d, (r.cycle.voting_day - d).days,
                                         due_heading(within, overdue_only)),
             due_tally_para(tally, within, overdue_only))
    note = unreported_para(silent)
    if note is not None:
        head.add(note)
    head.add(due_order())
    out = [to_text(head).rstrip("\n")]
    lines: list[str] = []
    keys: list[int] = []
    for n, code in enumerate(codes):
        piece = pieces[code]
        if piece.bkeys:
            mine = piece.blocked.split(SEP)
            if len(mine) != len(piece.bkeys):
                raise ValueError(f"a damaged piece of {code}")  # (a kept one: made again)
            lines += mine
            keys += [k | n << 20 for k in piece.bkeys]
    if lines:
        out += ["", inert(Para((part((_("Blocked ({n}):").format(n=len(lines)), "bold")),)
                               ).text)]
        out += map(lines.__getitem__, sorted(range(len(lines)), key=keys.__getitem__))
    blocked = len(lines)
    lines, keys = [], []
    critical = False
    for code in codes:
        piece = pieces[code]
        if piece.keys:
            mine = [] if piece.lines is None else piece.lines.split(SEP)
            if len(mine) != len(piece.keys):
                raise ValueError(f"a damaged piece of {code}")
            lines += mine
            keys += piece.keys
            critical = critical or bool(piece.counts[5])
    if lines:
        out += ["", _line(headers(), widths)]
        out += map(lines.__getitem__, sorted(range(len(lines)), key=keys.__getitem__))
        if critical:
            out.append(inert(critical_legend().text))
    elif not blocked:
        out.append(inert(Para((part(nothing_due(overdue_only)),), style="dim").text))
    return "\n".join(out) + "\n"
