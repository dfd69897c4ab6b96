"""``pilkada log`` written as its events come, a piece at a time, in exactly the text the whole
log's renderers give (render/log.py: ``to_text(log_screen(...))``, ``log_csv``, the JSON of
``history.log_json``; tests/test_log_stream.py holds them equal): the table's columns laid out
first from what the events hold (``history.LogSummary``: the plain table pads each column to
its widest cell), then each event as a line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from rich.cells import cell_len

from pilkada_cli.base.i18n import _, format_date_short
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.history import LOG_SCHEMA, LogSummary, Offices, event_json
from pilkada_cli.domain.regions import Region
from pilkada_cli.render.cells import measure
from pilkada_cli.render.log import COLUMNS, WHOLE, LogRows
from pilkada_cli.render.screen import pack
from pilkada_cli.render.table import (
    Cell,
    Fitted,
    csv_lines,
    fit,
    head_lines,
    header_text,
    row_line,
)
from pilkada_cli.render.text import inert

if TYPE_CHECKING:
    from rich.text import Text

_CLOCK = 6  # " 10.15": a space and the time of day
_PIECE = 1 << 16  # characters written at once


class Layout:
    """The log's table before its events are known: headers, the plain table's column widths
    and the terminal table's natural widths and filled columns, from a summary of them."""

    def __init__(self, summary: LogSummary, region_of: Callable[[str], Region | None],
                 offices: Offices, id_length: int, verbose: bool) -> None:
        self.rows = LogRows(region_of, offices, id_length, verbose)
        zones = summary.zones
        self.one_zone = len(zones) == 1
        self.grid = self.rows.grid(zones)
        self.plain, self.natural, self.filled = self._widths(summary, offices, id_length)

    def _widths(self, s: LogSummary, offices: Offices, id_length: int
                ) -> tuple[list[int], list[int], set[int]]:
        texts: list[list[str]] = [
            [], [],
            [self.rows.status_of(status, progress, "0" * 32 if undo else None)[0]
             for status, progress, undo in s.combos],
            list(s.items), ["0" * min(32, id_length)] if s.count else [], list(s.bys),
            [offices.get(origin, origin) for origin in s.origins], [], []]
        plain = [len(inert(header_text(h))) for h in self.grid.headers]
        natural = [max(cell_len(line) for line in h.split("\n")) for h in self.grid.headers]
        filled = set()
        for i, column in enumerate(texts):
            for text in column:
                n, cells = measure(text)
                plain[i], natural[i] = max(plain[i], n), max(natural[i], cells)
                if text.strip():
                    filled.add(i)
        plain[1], natural[1] = max(plain[1], s.names[0]), max(natural[1], s.names[1])
        for i, (n, cells, anything) in ((7, s.note), (8, s.evidence)):
            plain[i], natural[i] = max(plain[i], n), max(natural[i], cells)
            if anything:
                filled.add(i)
        times = [(0, s.at_digits)] + ([(9, s.rec_digits)] if len(plain) > 9 else [])
        for i, per_zone in times:
            for zone, months in per_zone.items():
                for month, size in enumerate(months):
                    if size:
                        n, cells = _time_width(month, size, None if self.one_zone else zone)
                        plain[i], natural[i] = max(plain[i], n), max(natural[i], cells)
                        filled.add(i)
        return plain, natural, filled

    def cells(self, ev: Event) -> list[Cell]:
        return [c if isinstance(c, tuple) else (c, "") for c in self.rows.cells(ev, self.one_zone)]

    def plain_head(self) -> str:
        """The plain table's header line (render.table.to_plain)."""
        return _padded([inert(header_text(h)) for h in self.grid.headers], self.plain)

    def plain_line(self, ev: Event) -> str:
        """One event's line of the plain table."""
        return _padded([inert(text) for text, _style in self.cells(ev)], self.plain)


def _padded(texts: list[str], widths: list[int]) -> str:
    return "  ".join(t.ljust(w) for t, w in zip(texts, widths, strict=True)).rstrip()


def _time_width(month: int, size: int, zone: str | None) -> tuple[int, int]:
    """The width of a time shown in ``month`` whose day and year take ``size`` digits (with
    ``zone`` after it where the header does not name the one zone)."""
    sample = format_date_short(date(2000, month + 1, 1))  # "1 Jan 2000": 5 digits
    text = sample + "0" * (size - 5) + " " * _CLOCK + (f" {zone}" if zone else "")
    return measure(text)


def plain(layout: Layout, events: Iterable[Event]) -> Iterator[str]:
    """The plain table (pipes, cron) of ``events``: ``to_text`` of their log screen."""
    piece = [layout.plain_head()]
    size = 0
    for ev in events:
        line = layout.plain_line(ev)
        piece.append(line)
        size += len(line)
        if size > _PIECE:
            yield "\n".join(piece) + "\n"
            piece, size = [], 0
    yield "\n".join(piece) + "\n" if piece else ""


def terminal(layout: Layout, events: Iterable[Event], width: int) -> Iterator[Text]:
    """Every event for a terminal ``width`` cells wide (``--all``): the table, where it shows
    every column and the note and evidence whole, else each event in lines of its own
    (render.screen.table_or_stacked)."""
    fitted: Fitted = fit(layout.grid, width, layout.natural, layout.filled)
    if fitted.width <= width and not fitted.dropped and all(
            w >= layout.natural[i] for i, w in zip(fitted.columns, fitted.widths, strict=True)
            if i in WHOLE):  # (render.screen.shows_all: every column, note and evidence whole)
        yield from head_lines(layout.grid, fitted)
        for ev in events:
            yield row_line(layout.grid, fitted, 0, layout.cells(ev))
        return
    for ev in events:
        for para in layout.rows.stacked(ev):
            yield from pack(para, width)


def csv_stream(events: Iterable[Event], offices: Offices, sample: bool = False
               ) -> Iterator[str]:
    """``render.log.log_csv`` a piece at a time (with a sample workspace's first column, as
    ``cli.screenformats.csv_marked`` gives it)."""
    mark = [_("SAMPLE DATA — not real records")] if sample else []

    def rows() -> Iterator[list[object]]:
        for ev in events:
            row = event_json(ev, offices)
            row["evidence"] = "; ".join(row["evidence"])
            yield [*mark, *(row[c] for c in COLUMNS)]
    return csv_lines(["sample", *COLUMNS] if sample else list(COLUMNS), rows())


def json_stream(events: Iterable[Event], offices: Offices,
                verified: Collection[str] = (), sample: bool = False) -> Iterator[str]:
    """The JSON of ``history.log_json`` (indented by 2, as ``log --format json`` writes it;
    a sample workspace's says so after its schema, as ``cli.screenformats.json_text``) an event at
    a time."""
    head = ("{\n  \"schema\": " + json.dumps(LOG_SCHEMA, ensure_ascii=False)
            + (",\n  \"sample\": true" if sample else "") + ",\n  \"events\": ")
    verified = frozenset(verified)
    first = True
    for ev in events:
        text = _indented(event_json(ev, offices, verified))
        yield (head + "[\n    " if first else ",\n    ") + text
        first = False
    yield (head + "[]" if first else "\n  ]") + "\n}\n"


_QUOTE = json.encoder.encode_basestring  # (ensure_ascii=False: the C encoder of a string)


def _value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return _QUOTE(value)
    if type(value) is int:
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _indented(obj: dict[str, object]) -> str:
    """``json.dumps(obj, ensure_ascii=False, indent=2)`` of one event of the log (strings,
    numbers, nulls and a list of strings), indented as the fourth level of the log's document,
    without Python's slow encoder of indented JSON (every string through the C one)."""
    parts = []
    for key, value in obj.items():
        if isinstance(value, list):
            text = ("[\n        " + ",\n        ".join(map(_value, value)) + "\n      ]"
                    if value else "[]")
        else:
            text = _value(value)
        parts.append(f"      {_QUOTE(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n    }"
