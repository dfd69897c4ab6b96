"""How ``pilkada log`` writes its events: from every event read at once (the cache off: the
reference), or streamed from the keys the derived cache keeps (cache/logstream.py), byte for
byte the same (tests/test_log_stream.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, overload

from pilkada_cli.base.errors import InputError
from pilkada_cli.cli._common import Session, show_screen

if TYPE_CHECKING:
    from pilkada_cli.app.loading import KeptLog
    from pilkada_cli.domain.events import Event
    from pilkada_cli.domain.history import LogQuery


def log_read(s: Session, query: LogQuery, fmt: str | None, show_all: bool, verbose: bool,
              offices: dict[str, str]) -> None:
    """The log from every event read at once (the cache off): the reference of ``log_kept``."""
    from pilkada_cli.cli.screenformats import csv_marked, json_text
    from pilkada_cli.domain.history import log_filter, log_json
    from pilkada_cli.render.log import log_csv, log_screen, short_id_length

    history = s.events()
    entries = log_filter(history, query.region, query.item, query.since, query.until, query.by)
    sample = s.workspace().config.sample
    if fmt == "json":  # the name a claim gives, and whether this workspace vouches for it
        names = s.office_names()
        s.out().write(json_text(log_json(entries, {o: n.name for o, n in names.items()},
                                         {o for o, n in names.items() if n.verified}), sample))
    elif fmt == "csv":
        s.out().write(csv_marked(log_csv(entries, offices), sample))
    else:
        screen = fmt == "table" or (fmt is None and s.laid_out())
        out = s.console() if screen else None
        limit = None if show_all or out is None or not s.screen() else max(10, out.height - 10)
        page = log_screen(entries, s.regions().get, offices,
                          id_length=short_id_length(e.id for e in history), verbose=verbose,
                          limit=limit, width=out.width if out is not None else None)
        show_screen(s, page, screen)


def log_kept(s: Session, kept: KeptLog, query: LogQuery, fmt: str | None, show_all: bool,
              verbose: bool, offices: dict[str, str]) -> None:
    """The log written as its events come, from the kept keys: the same text as ``log_read``
    (tests/test_log_stream.py), in memory that does not grow with the records."""
    from itertools import islice

    from pilkada_cli.render import logstream as stream
    from pilkada_cli.render.log import log_screen
    from pilkada_cli.storage.cache.logstream import count, summary

    parts = kept.parts(query)
    sample = s.workspace().config.sample
    if fmt == "json":  # the name a claim gives, and whether this workspace vouches for it
        names = s.office_names()
        _write_all(s, stream.json_stream(kept.events(parts), {o: n.name for o, n in names.items()},
                                         {o for o, n in names.items() if n.verified}, sample))
        return
    if fmt == "csv":
        _write_all(s, stream.csv_stream(kept.events(parts), offices, sample))
        return
    screen = fmt == "table" or (fmt is None and s.laid_out())
    if screen and not show_all and s.screen():  # a screenful, and how many more there are
        out = s.console()
        limit = max(10, out.height - 10)
        first = list(islice(kept.events(parts), limit))
        total = len(first) if len(first) < limit else count(parts)
        page = log_screen(_Head(first, total), s.regions().get, offices,
                          id_length=kept.id_length, verbose=verbose, limit=limit,
                          width=out.width)
        show_screen(s, page, True)
        return
    found = summary(parts)
    if not found.count:
        show_screen(s, log_screen([], s.regions().get, offices), screen)
        return
    layout = stream.Layout(found, s.regions().get, offices, kept.id_length, verbose)
    if not screen:
        _write_all(s, stream.plain(layout, kept.events(parts)))
        return
    out = s.console()
    lines = stream.terminal(layout, kept.events(parts), out.width)
    if s.screen():
        for line in lines:
            out.print(line, no_wrap=True, overflow="ignore", crop=False)
    else:  # piped (| less) at the reader's width: the text without styles (as show_screen)
        _write_all(s, (line.plain + "\n" for line in lines))


def _write_all(s: Session, pieces: Iterable[str]) -> None:
    out = s.out()
    for piece in pieces:
        out.write(piece)


class _Head(Sequence["Event"]):
    """The first events of a log and how many it has in all: what a screenful needs."""

    def __init__(self, first: list[Event], total: int) -> None:
        self.first, self.total = first, total

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, i: int) -> Event: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Event]: ...

    def __getitem__(self, i: int | slice) -> Event | Sequence[Event]:
        if isinstance(i, slice) and (i.stop is None or i.stop > len(self.first)) and (
                len(self.first) < self.total):
            raise IndexError("only the first events of the log are here")
        return self.first[i]


def known_item(s: Session, item: str, recorded: Callable[[str], bool]) -> None:
    """InputError, with the ids meant, for an item neither the cycle nor any record has
    (``recorded``; a typo would otherwise say "No events")."""
    from pilkada_cli.domain.recording import unknown_item

    cycle = s.cycle()
    if item in cycle.items or recorded(item):
        return
    raise InputError(unknown_item(item, cycle.id, list(cycle.items)))
