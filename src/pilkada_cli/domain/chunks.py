"""The fold's input: events of one region as parallel columns (``Chunk``), made from Event
objects (``event_chunks``) or by the cache from a record file's columns (cache/folds.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pilkada_cli.domain.events import STATUSES, Event

EventLoader = Callable[[int], Event]  # a locator (line, list index) -> the event


class Chunk:
    """Events of one region as parallel columns: what the fold reads instead of Event objects.

    ``at`` is the POSIX second of ``at``. Events are ordered as ``events.order_key`` orders
    them by (``at``, ``rec``, ``ids`` 16-byte slice): ``rec`` is the POSIX microsecond of
    ``recorded`` (always UTC), or, for a list already in that order, the position in it (then
    ``ids`` is None). ``locate`` gives the locator ``load`` takes (a line's offset, a list
    index); ``skip`` the positions left out (an incomplete batch); ``source`` says where
    ``load`` reads from (kept by ``Readiness.state``)."""

    __slots__ = ("region", "items", "item", "status", "progress", "at", "rec", "locate", "load",
                 "ids", "skip", "source")

    def __init__(self, region: str, items: Sequence[str], item: Sequence[int],
                 status: Sequence[int], progress: Sequence[int], at: Sequence[int],
                 rec: Sequence[int], locate: Sequence[int], load: EventLoader,
                 ids: bytes | None = None, skip: frozenset[int] = frozenset(),
                 source: Any = None) -> None:
        self.region = region
        self.items = items  # item ids; ``item`` indexes into it
        self.item = item
        self.status = status  # index into events.STATUSES
        self.progress = progress  # -1 when none
        self.at = at
        self.rec = rec
        self.locate = locate
        self.load = load
        self.ids = ids
        self.skip = skip
        self.source = source


def event_chunks(events: Iterable[Event]) -> list[Chunk]:
    """Events in ``order_key`` order as chunks (one per region, positions as the order)."""
    listed = events if isinstance(events, list) else list(events)
    codes = {s: i for i, s in enumerate(STATUSES)}
    # region -> (item ids, item, status, progress, at, positions), filled in one pass
    groups: dict[str, tuple[dict[str, int], list[int], list[int], list[int], list[int],
                            list[int]]] = {}
    for i, ev in enumerate(listed):
        g = groups.get(ev.region)
        if g is None:
            g = groups[ev.region] = ({}, [], [], [], [], [])
        names = g[0]
        g[1].append(names.setdefault(ev.item, len(names)))
        g[2].append(codes[ev.status])
        g[3].append(-1 if ev.progress is None else ev.progress)
        g[4].append(ev.at.us // 1_000_000)  # whole seconds: exact
        g[5].append(i)
    load = listed.__getitem__
    return [Chunk(region=code, items=list(names), item=item, status=status, progress=progress,
                  at=at, rec=positions, locate=positions, load=load)
            for code, (names, item, status, progress, at, positions) in groups.items()]
